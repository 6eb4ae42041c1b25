//! The free-text classifier: one `RegexSet` of weighted signals for each
//! intent, plus the policy's scope vocabulary, scored together. The highest
//! score wins; below the threshold the message is chit-chat and the bot stays
//! silent. Scope verdicts come from [`PolicyMatcher`], never from here.

use super::{EscalationRequest, Intent, IntentKind, OutageRequest, SpendRequest, TicketRequest, extract};
use crate::policy::{PolicyMatcher, ScopeAssessment, ScopeTarget, Verdict};
use crate::text::{self, WeightedSet};

/// Below this score a message is not addressed to the bot.
const ANSWER_THRESHOLD: f32 = 2.0;

/// What a signal pattern counts towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    /// A question about what support covers ("is X in scope?", "do you...").
    ScopeFrame,
    /// A technical noun: makes a capability question about our work.
    Technical,
    Intent(IntentKind),
}

use IntentKind::{Contact, Escalate, Estimate, Help, Outage, Spend, Ticket, Troubleshoot};
use Signal::{Intent as I, ScopeFrame, Technical};

/// The grammar of the bot's intents. Patterns run on text folded by
/// `text::normalize` (lower case, ASCII word boundaries).
#[rustfmt::skip]
const SIGNALS: &[(&str, Signal, f32)] = &[
    // ---- scope: the question is about what support covers
    (r"\b(in|out\s+of|within)[\s-]+scope\b", ScopeFrame, 3.0),
    (r"\bscope\s+of\s+(your\s+|the\s+)?(support|service|platform)", ScopeFrame, 3.0),
    (r"\b(covered|included)\b", ScopeFrame, 2.5),
    (r"\bpart\s+of\s+(the\s+|your\s+|our\s+)?(platform[\s-]+(level[\s-]+)?)?support\b", ScopeFrame, 3.0),
    (r"\b(does|do|will|would)\s+(\w+\s+){0,3}support\s+(cover|include|handle|extend|deal)", ScopeFrame, 3.0),
    (r"\bsomething\s+(that\s+)?you\s+(guys\s+)?(support|cover|do|handle|offer|help\s+with)\b", ScopeFrame, 3.0),
    (r"\bpart\s+of\s+(what|the\s+services?\s+)\s*(you|your\s+team)\b", ScopeFrame, 3.0),
    (r"\bwhat\s+(you|your\s+team)\s+(guys\s+)?(offer|cover|support|provide|handle)\b", ScopeFrame, 2.0),
    (r"\b(is|are)\s+(\w+\s+){1,5}(supported|something\s+you)\b", ScopeFrame, 2.5),
    (r"\b(do|does|can|could|will|would)\s+(you|u|ya|y'?all|your\s+team|the\s+team|support)\s+(guys\s+)?(support|cover|handle|offer|provide|do|help|assist|take\s+care|deal|manage|review|look\s+after|escalate|take\s+on)\b", ScopeFrame, 2.0),
    (r"\b(can|could|will|would)\s+(you|u|ya|y'?all|your\s+team|the\s+team|support)\b", ScopeFrame, 1.5),
    (r"\bare\s+you\s+(guys\s+)?(able|allowed|permitted|responsible)\b", ScopeFrame, 2.0),
    (r"\bcan\s+(i|we)\s+(get|ask|request|have|expect)\b", ScopeFrame, 1.5),
    (r"\bhelp\s+(us\s+|me\s+)?with\b", ScopeFrame, 1.0),
    (r"\bhelp\s+(us|me)\s+(when|if)\b", ScopeFrame, 1.0),
    (r"\b(if|when)\s+(needed|necessary|required)\b", ScopeFrame, 1.5),
    (r"\b(if|when|whenever)\s+(something|anything|things|it|stuff)\s+(breaks?|goes\s+wrong|fails?|happens)\b", ScopeFrame, 1.5),
    (r"\bwho\s+(handles|is\s+responsible\s+for|takes\s+care\s+of|looks\s+after)\b", ScopeFrame, 2.0),
    // "can you show me..." asks for something now, not about coverage
    (r"\b(can|could|would|will)\s+you\s+(please\s+)?(show|tell|give|list|check|get|send|pull|find|share|print|post|display|look\s+up)\b", ScopeFrame, -1.5),
    (r"\b(can|could|would|will)\s+you\s+(please\s+)?(open|raise|create|file|log|submit|start)\s+(a|an|the|new|another)?\s*(\w+\s+){0,3}(case|ticket|escalation|incident)\b", ScopeFrame, -2.0),
    (r"\b(aws|amazon|ec2|s3|rds|lambda|vpc|iam|cloud|servers?|instances?|databases?|pipelines?|ci/cd|cicd|kubernetes|k8s|eks|ecs|terraform|cloudformation|networks?|networking|dns|route\s*53|load\s+balancers?|accounts?|infrastructure|containers?|docker|apps?|applications?|websites?|backups?|migrations?|migrate|cost|bill|billing|ami|ebs|vm|vms|fleet|os|linux|windows|stack)\b", Technical, 1.0),
    // ---- spend: money spent so far
    (r"\bspen[dt]\w*\b", I(Spend), 1.5),
    (r"\bcost(s|ing)?\b", I(Spend), 1.0),
    (r"\b(charges|charged)\b", I(Spend), 1.0),
    (r"\bhow\s+much\b", I(Spend), 1.0),
    (r"\b(month[\s-]+to[\s-]+date|mtd|so\s+far|this\s+month|current\s+month|this\s+billing\s+period)\b", I(Spend), 1.0),
    (r"\b(month[\s-]+to[\s-]+date|mtd)\s+(cost|spend|charges|total|bill)", I(Spend), 1.0),
    (r"\b(january|february|march|april|june|july|august|september|october|november|december)\b", I(Spend), 0.5),
    (r"\b(current|latest|today'?s)\s+(\w+\s+)?(charges|costs?|spend|bill)\b", I(Spend), 1.0),
    (r"\b(broken\s+down|breakdown|by\s+service|by\s+account|per\s+service|per\s+account)\b", I(Spend), 0.5),
    (r"\bbill\b", I(Spend), 0.5),
    (r"\b(our|my|the)\s+(aws\s+)?(spend|spending|costs?|charges)\b", I(Spend), 1.0),
    // ---- estimate: money at the end of the month
    (r"\b(estimate\w*|forecast\w*|project(ed|ion|ions)|predict\w*)\b", I(Estimate), 3.0),
    (r"\b(end\s+of\s+(the\s+|this\s+)?month|month[\s-]+end|eom)\b", I(Estimate), 2.5),
    (r"\bwill\s+(the|our|my|this\s+month'?s)\s+(\w+\s+)?(bill|costs?|spend|invoice|charges|total)\s+be\b", I(Estimate), 3.0),
    (r"\bwhere\s+will\s+(\w+\s+){0,3}land\b", I(Estimate), 2.5),
    (r"\b(project|predict|expect)\s+(we'?ll|we\s+will|we'?d|our|the)\b", I(Estimate), 3.0),
    (r"\bwill\s+(we|i)\s+(\w+\s+)?(pay|owe|spend|be\s+billed|be\s+charged)\b", I(Estimate), 3.0),
    (r"\b(expected|likely|final)\s+(\w+\s+)?(bill|costs?|spend|total|invoice)\b", I(Estimate), 2.5),
    (r"\bbill\b", I(Estimate), 0.5),
    // ---- contact: who to call
    (r"\bphone\w*\b", I(Contact), 2.0),
    (r"\b(call|ring|dial)\b", I(Contact), 1.5),
    (r"\bapi\s+calls?\b", I(Contact), -1.5),
    (r"\bnumbers?\b", I(Contact), 1.0),
    (r"\bwho\s+(do|should|can)\s+(i|we)\s+(call|contact|ring|reach|talk\s+to|speak\s+to|email|e-mail|write\s+to)\b", I(Contact), 3.0),
    (r"\b(reach|contact|get\s+hold\s+of|talk\s+to|speak\s+to|speak\s+with)\s+(\w+\s+){0,2}(support|someone|somebody|you|an?\s+engineer|a\s+human|a\s+person|the\s+team|on[\s-]?call)\b", I(Contact), 2.5),
    (r"\bcontact\w*\b", I(Contact), 1.5),
    (r"\b(hotline|helpline|emergency\s+line|support\s+line)\b", I(Contact), 3.0),
    (r"\bemergenc(y|ies)\b", I(Contact), 1.0),
    (r"\b(e-?mail\s+(address|support|for\s+support)|support\s+e-?mail)\b", I(Contact), 2.0),
    (r"\b(emea|europe|apac|asia|canada|united\s+states|usa|singapore|australia|uk)\b", I(Contact), 0.5),
    // ---- outage: is something down
    (r"\boutages?\b", I(Outage), 2.0),
    (r"\b(is|are)\s+(\w+\s+){0,3}down\b", I(Outage), 2.0),
    (r"\bdown\s+(right\s+)?now\b", I(Outage), 1.5),
    (r"\b(service|aws|amazon)\s+(issues|problems|disruptions?|degradation|incidents?|events?)\b", I(Outage), 2.0),
    (r"\b(incidents?|disruptions?|degrad\w+)\b", I(Outage), 1.0),
    (r"\b(health\s+(dashboard|events?|status)|status\s+page)\b", I(Outage), 2.5),
    (r"\bany\s+(\w+\s+){0,2}(issues|problems|incidents)\b", I(Outage), 1.5),
    (r"\b(right\s+now|currently)\b", I(Outage), 0.5),
    (r"\b[a-z]{2}(-gov)?-(east|west|north|south|central|northeast|southeast|northwest|southwest)-\d\b", I(Outage), 1.0),
    (r"\bis\s+there\s+(an?\s+)?(outage|issue|problem|incident)\b", I(Outage), 1.5),
    (r"\b(anything|something)\s+(going\s+on|happening|wrong)\s+with\b", I(Outage), 2.0),
    (r"\b(having|seeing|experiencing)\s+(\w+\s+)?(problems|issues|trouble|errors|an?\s+outage)\b", I(Outage), 1.5),
    // "is S3 having issues?", "is us-east-1 ok?", "lambda seems down", "status of AWS"
    (r"\b(is|are)\s+(aws|amazon|s3|ec2|rds|lambda|dynamodb|cloudfront|route\s*53|eks|ecs|sqs|sns|elb|api\s+gateway|cloudwatch|kinesis|redshift|aurora|efs|ebs|the\s+(aws\s+)?console|[a-z]{2}-[a-z]+-\d)\s+(\w+\s+)?(ok|okay|up|healthy|working|fine|degraded|unavailable|having\s+(issues|problems|trouble))\b", I(Outage), 2.0),
    (r"\b(aws|amazon|s3|ec2|rds|lambda|dynamodb|cloudfront|route\s*53|eks|ecs|sqs|sns|elb|cloudwatch|kinesis|redshift|aurora|efs|ebs)\s+(seems?|looks?|appears?)\s+(to\s+be\s+)?(down|degraded|unavailable|broken|flaky)\b", I(Outage), 2.0),
    (r"\b((status|health)\s+of\s+(aws|amazon)|(aws|amazon)\s+(status|health))\b", I(Outage), 2.0),
    (r"\b(anything|something)\s+(broken|wrong|down|off)\s+(on|with|at|in)\s+(aws|amazon)\b", I(Outage), 2.0),
    (r"\bat\s+the\s+moment\b", I(Outage), 0.5),
    // ---- troubleshoot: logs and what to send
    (r"\blogs?\b", I(Troubleshoot), 1.5),
    (r"(\bagent\s+logs?\b|\belasticbox|\blog\s+files?\b|\.log\b)", I(Troubleshoot), 2.5),
    (r"\bbox\w*\s+(\w+\s+){0,2}(error|errors|failed|fails|failing|failure|broke|broken)\b", I(Troubleshoot), 2.0),
    (r"\b(fail(ed|s|ing|ure)?\s+to\s+deploy|deploy\w*\s+(failed|fails|failing|errors?))\b", I(Troubleshoot), 1.5),
    (r"\bwhat\s+(\w+\s+){0,2}(should|do|must|shall)\s+(i|we)\s+(send|attach|include|provide|share)\b", I(Troubleshoot), 2.5),
    (r"\bwhich\s+(logs?|files?|details|information|info)\b", I(Troubleshoot), 2.0),
    (r"\b(troubleshoot\w*|debug\w*|diagnos\w*)\b", I(Troubleshoot), 2.0),
    (r"\b(api\s+(\w+\s+){0,3}(fail\w*|errors?|returns?|broken)|(request|call)\s+to\s+(\w+\s+){0,4}fail\w*)\b", I(Troubleshoot), 2.0),
    (r"\berrors?\b", I(Troubleshoot), 0.5),
    (r"\bwhere\s+(is|are|can\s+i\s+find|do\s+i\s+find|do\s+i\s+get)\b", I(Troubleshoot), 0.5),
    // ---- ticket: an existing ticket
    (r"\b(ticket|case|escalation)s?\s*(#|no\.?\s*|number\s*)?\d+\b", I(Ticket), 3.5),
    (r"#\d+\b", I(Ticket), 1.5),
    (r"\b(tickets|escalations|cases)\b", I(Ticket), 1.5),
    (r"\b(my|our|open|pending|closed|resolved)\s+(tickets|cases|escalations)\b", I(Ticket), 1.5),
    (r"\b(tickets|cases|escalations)\s+(are\s+|is\s+)?(still\s+)?(open|pending|closed|resolved|outstanding)\b", I(Ticket), 1.5),
    (r"\b(what|which|how\s+many)\s+(tickets|cases|escalations)\b", I(Ticket), 1.5),
    (r"\b(my|our|the)\s+open\s+(ticket|case|escalation)\b", I(Ticket), 2.0),
    (r"\bstatus\s+of\s+(my|our|the|that)\s+(ticket|case|escalation)\b", I(Ticket), 2.5),
    (r"^\W*(please\s+)?(close|resolve|reopen|re-open|approve)\s+(ticket|case|escalation)\b", I(Ticket), 2.0),
    (r"\b(any\s+)?updates?\s+on\s+(my|our|the)\s+(ticket|case|escalation)\b", I(Ticket), 2.5),
    (r"\b(show|list|display|get)\s+(me\s+)?(\w+\s+){0,2}(tickets?|cases?|escalations?)\b", I(Ticket), 2.5),
    // ---- help: about the bot itself
    (r"^\W*(help|commands|usage|menu|\?+)\W*$", I(Help), 4.0),
    (r"\bhow\s+(do|can|should)\s+(i|we)\s+use\s+(this|the|you)\b", I(Help), 4.0),
    (r"\b(help\s+me|teach\s+me|show\s+me\s+how\s+to)\s+use\s+(this|the|you)\b", I(Help), 4.0),
    (r"\bwhat\s+(can|do)\s+you\s+do\b", I(Help), 4.0),
    (r"\b((what|which|list)\s+(\w+\s+)?commands|commands\s+(are\s+there|do\s+you))\b", I(Help), 3.0),
    (r"\bhow\s+does\s+(this|the)\s+bot\s+work\b", I(Help), 4.0),
    (r"\bbot\b", I(Help), 0.5),
    (r"\bhelp\b", I(Help), 0.5),
    // ---- escalate: open a ticket now
    (r"\bescalat\w*\b", I(Escalate), 1.5),
    (r"(^\W*escalat\w*\s*[:\-]|\bescalate\s*:)", I(Escalate), 3.0),
    (r"\bescalate\s+(this|it|that)\b", I(Escalate), 2.0),
    (r"\b(open|raise|create|file|log|submit|start|lodge|put\s+in)\s+(a|an|the|new|another)?\s*(\w+\s+){0,3}(case|ticket|escalation|incident|support\s+request)\b", I(Escalate), 3.0),
    (r"\b(need|want|would\s+like|wanna|have)\s+to\s+(escalate|open|raise|report)\b", I(Escalate), 1.5),
    (r"\b(urgent|critical|sev\s*[1-4]|severity|p[0-4])\b", I(Escalate), 0.5),
    (r"(\b(is|are)\s+(completely\s+|totally\s+)?(down|broken|not\s+working|failing|unreachable)\b|\btim(e|es|ed|ing)\s+out\b|\b5\d\d\b|\bstuck\b)", I(Escalate), 0.5),
    (r"\bplease\s+(open|raise|escalate|log|file)\b", I(Escalate), 1.0),
];

/// Which intent wins a tie, first to last.
const TIE_ORDER: [IntentKind; 8] = [Escalate, Ticket, Contact, Troubleshoot, Estimate, Spend, Outage, Help];

/// The classifier's answer, with the evidence kept for logs and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub intent: Intent,
    pub kind: IntentKind,
    pub score: f32,
    pub scope: ScopeAssessment,
}

/// What a pattern of the classifier's one set counts towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Signal(Signal),
    Scope(ScopeTarget),
}

/// Free text → intent. Built once from the policy; cheap to share.
#[derive(Debug, Clone)]
pub struct Classifier {
    /// The intent signals and the policy's scope vocabulary in one set, so a
    /// message is scanned once.
    patterns: WeightedSet<Target>,
    policy: PolicyMatcher,
}

impl Classifier {
    pub fn new(policy: PolicyMatcher) -> Self {
        let signals = SIGNALS
            .iter()
            .map(|(pattern, signal, weight)| (*pattern, Target::Signal(*signal), *weight));
        let vocabulary = policy
            .scope_vocabulary()
            .iter()
            .map(|(pattern, target, weight)| (pattern.as_str(), Target::Scope(*target), *weight));
        let patterns = WeightedSet::new(signals.chain(vocabulary))
            .expect("the signal patterns and the already compiled policy vocabulary compile together");
        Self { patterns, policy }
    }

    pub fn policy_matcher(&self) -> &PolicyMatcher {
        &self.policy
    }

    /// Classifies one message. Never fails: anything unrecognized is
    /// [`Intent::None`].
    pub fn classify(&self, message: &str) -> Classification {
        let normalized = text::normalize(message);
        let mut signals = Vec::new();
        let mut vocabulary = Vec::new();
        for (target, weight) in self.patterns.matches(&normalized) {
            match target {
                Target::Signal(signal) => signals.push((signal, weight)),
                Target::Scope(hit) => vocabulary.push((hit, weight)),
            }
        }
        let scope = self.policy.assess_hits(vocabulary.into_iter());
        let (kind, score) = Self::decide(&signals, &scope);
        Classification {
            intent: self.build_intent(kind, message, &normalized),
            kind,
            score,
            scope,
        }
    }

    fn decide(signals: &[(Signal, f32)], scope: &ScopeAssessment) -> (IntentKind, f32) {
        let mut scores = [0.0f32; IntentKind::ALL.len()];
        let mut frame = 0.0f32;
        let mut technical = 0.0f32;
        for &(signal, weight) in signals {
            match signal {
                ScopeFrame => frame += weight,
                Technical => technical = technical.max(weight),
                I(kind) => scores[kind as usize] += weight,
            }
        }
        let frame = frame.max(0.0);
        let framed = frame > 0.0;
        // Out-of-scope work named outright ("patch our servers") is a scope
        // question even without "can you"; in-scope words alone are not.
        let catalogue = if scope.best_out_of_scope >= 2.0 {
            2.0
        } else if scope.best_in_scope >= 2.0 {
            if framed { 1.5 } else { 0.5 }
        } else if framed && scope.best_in_scope > 0.0 {
            0.5
        } else {
            0.0
        };
        let scope_score = frame + if framed { technical } else { 0.0 } + catalogue;

        let (best_kind, best_score) = TIE_ORDER.iter().map(|kind| (*kind, scores[*kind as usize])).fold(
            (IntentKind::None, 0.0f32),
            |best, candidate| {
                if candidate.1 > best.1 { candidate } else { best }
            },
        );

        if scope_score >= ANSWER_THRESHOLD && scope_score >= best_score {
            (IntentKind::Scope, scope_score)
        } else if best_score >= ANSWER_THRESHOLD {
            (best_kind, best_score)
        } else {
            (IntentKind::None, best_score.max(scope_score))
        }
    }

    fn build_intent(&self, kind: IntentKind, message: &str, normalized: &str) -> Intent {
        let message = message.trim();
        match kind {
            IntentKind::Scope => Intent::Scope {
                question: message.to_owned(),
            },
            IntentKind::Escalate => {
                let problem = extract::escalation_problem(message);
                Intent::Escalate(EscalationRequest {
                    subject: extract::subject_from(&problem),
                    severity: extract::severity(normalized),
                    account: extract::account_id(message),
                    service: None,
                    description: problem,
                })
            }
            IntentKind::Spend => Intent::Spend(SpendRequest {
                account: extract::account_id(message),
                customer: None,
            }),
            IntentKind::Estimate => Intent::Estimate(SpendRequest {
                account: extract::account_id(message),
                customer: None,
            }),
            IntentKind::Contact => Intent::Contact {
                region: None,
                text: Some(message.to_owned()),
            },
            IntentKind::Outage => Intent::Outage(OutageRequest::Status {
                region: extract::aws_region(message),
            }),
            IntentKind::Troubleshoot => Intent::Troubleshoot {
                topic: None,
                text: Some(message.to_owned()),
            },
            IntentKind::Ticket => Intent::Ticket(match extract::ticket_number(message) {
                Some(id) => extract::ticket_action(normalized, id),
                None => TicketRequest::List {
                    filter: extract::ticket_filter(normalized),
                    status: None,
                    customer: None,
                },
            }),
            IntentKind::Help => Intent::Help,
            IntentKind::None => Intent::None,
        }
    }

    /// The scope verdict for a question (used by `/scope` and the scope
    /// service, which have the question but not a classification).
    pub fn assess_scope(&self, question: &str) -> ScopeAssessment {
        self.policy.assess_scope(&text::normalize(question))
    }
}

impl Classification {
    /// The scope verdict when the intent is a scope question.
    pub fn verdict(&self) -> Option<Verdict> {
        (self.kind == IntentKind::Scope).then_some(self.scope.verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn classifier() -> Classifier {
        Classifier::new(PolicyMatcher::new(&Policy::embedded_default().unwrap()).unwrap())
    }

    #[test]
    fn every_built_in_signal_compiles_alone() {
        for (pattern, _, _) in SIGNALS {
            assert!(crate::text::check_pattern(pattern).is_ok(), "{pattern}");
        }
    }

    #[test]
    fn intent_kinds_index_the_score_table() {
        for (index, kind) in IntentKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, index);
        }
    }

    #[test]
    fn chit_chat_is_none() {
        let c = classifier();
        for text in [
            "good morning everyone",
            "brb coffee",
            "lol",
            "",
            "   ",
            "can you believe it's friday",
        ] {
            assert_eq!(c.classify(text).kind, IntentKind::None, "{text:?}");
        }
    }

    #[test]
    fn escalations_carry_subject_and_inferred_severity() {
        let c = classifier();
        let Intent::Escalate(request) = c.classify("open an escalation: our RDS database is down").intent else {
            panic!("not an escalation")
        };
        assert_eq!(request.subject.as_deref(), Some("Our RDS database is down"));
        assert_eq!(request.description, "our RDS database is down");
        assert_eq!(request.severity, Some(crate::domain::Severity::Urgent));
    }

    #[test]
    fn ticket_questions_find_the_number_or_the_list() {
        let c = classifier();
        assert_eq!(
            c.classify("what's the status of ticket 42?").intent,
            Intent::Ticket(TicketRequest::Show { id: 42 })
        );
        assert_eq!(
            c.classify("list my open tickets").intent,
            Intent::Ticket(TicketRequest::List {
                filter: super::super::TicketFilter::Open,
                status: None,
                customer: None
            })
        );
    }

    #[test]
    fn outage_questions_keep_the_region() {
        let c = classifier();
        assert_eq!(
            c.classify("is there an outage in us-east-1?").intent,
            Intent::Outage(OutageRequest::Status {
                region: Some("us-east-1".into())
            })
        );
    }
}
