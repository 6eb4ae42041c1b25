//! The free-text classifier. A message is read through the policy's
//! vocabulary (stems, concepts, scope items), its form is decided (question,
//! request or statement: see [`super::question`]), and a linear model whose
//! weights were learned from the labelled corpus scores every intent. Two
//! rules sit on top of the model:
//!
//! - **never silent to a question for the desk**: when the model says
//!   chit-chat but the message asks something (a question or a request, not
//!   put to a person by @-mention) and names something of the desk's (a concept
//!   marked `on_topic` or scope vocabulary), the best other intent is taken
//!   if the model gives it a fair chance, else a scope question (which
//!   answers "unclear, an engineer will look" at worst); a message addressed
//!   to the bot directly (a mention, a DM) is always answered;
//! - scope verdicts come from the policy's vocabulary ([`PolicyMatcher`]),
//!   never from the model: out-of-scope work wins, in scope only with a
//!   clear margin.

use std::sync::Arc;

use super::features;
use super::model::{CLASSES, CompiledModel, IntentModel, probabilities_fast};
use super::question::{Address, QuestionWords};
use super::{EscalationRequest, Intent, IntentKind, OutageRequest, SpendRequest, TicketRequest, extract};
use crate::language::lexicon;
use crate::language::tokens::Special;
use crate::policy::{Policy, PolicyMatcher, ScopeAssessment, Verdict, VocabularyError};
use crate::text;

/// When a question the model took for chit-chat is answered, its best other
/// intent is used if the model gives it at least this probability; else the
/// question is answered as a scope question.
const RESCUE_CONFIDENCE: f32 = 0.25;

/// A message of at most this many words that names something of the desk's
/// is a query even without a question or a verb ("invoice", "tickets").
const SHORT_QUERY_WORDS: usize = 3;

/// Messages longer than this are classified by their asking sentences when
/// only some of their sentences ask.
const FOCUS_ABOVE_BYTES: usize = 300;

/// At most this many asking sentences (the last ones) are kept.
const FOCUS_SENTENCES: usize = 3;

/// Only this many of a long message's last sentences are examined.
const FOCUS_EXAMINED: usize = 8;

/// How a message reached the bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Addressing {
    /// A mention of the bot or a direct message: always answered.
    Direct,
    /// A support channel, the console or `ask`: answered unless it is
    /// chit-chat.
    #[default]
    Ambient,
}

/// The classifier's answer, with the evidence kept for logs and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub intent: Intent,
    pub kind: IntentKind,
    /// The model's probability for `kind` (for a rescued question, for the
    /// intent it was given).
    pub score: f32,
    pub scope: ScopeAssessment,
    pub address: Address,
    /// The model's own choice was chit-chat, overruled because the message
    /// asks the desk something.
    pub rescued: bool,
}

/// Free text → intent. Built once from the policy; cheap to share.
#[derive(Debug, Clone)]
pub struct Classifier {
    policy: PolicyMatcher,
    model: Arc<CompiledModel>,
    questions: Arc<QuestionWords>,
}

impl Classifier {
    /// The classifier with the model embedded in the binary; `policy` must
    /// come from [`PolicyMatcher::new`], whose lexicon knows the model's words.
    pub fn new(policy: PolicyMatcher) -> Self {
        Self::compile(policy, super::model::embedded())
    }

    /// A classifier with another model (the trainer's cross-validation).
    pub fn with_model(policy: &Policy, model: &IntentModel) -> Result<Self, VocabularyError> {
        Ok(Self::compile(PolicyMatcher::with_words(policy, model.words())?, model))
    }

    fn compile(policy: PolicyMatcher, model: &IntentModel) -> Self {
        let compiled = CompiledModel::new(model, policy.lexicon(), policy.concept_ids());
        Self {
            questions: Arc::new(QuestionWords::new(policy.lexicon(), policy.work_verbs())),
            model: Arc::new(compiled),
            policy,
        }
    }

    pub fn policy_matcher(&self) -> &PolicyMatcher {
        &self.policy
    }

    /// How many feature rows the model scores with.
    pub fn model_rows(&self) -> usize {
        self.model.rows()
    }

    /// Classifies one message heard in a channel, the console or `ask`.
    /// Never fails: chit-chat is [`Intent::None`].
    pub fn classify(&self, message: &str) -> Classification {
        self.classify_as(message, Addressing::Ambient)
    }

    /// Classifies one message that reached the bot as `addressing` says. A
    /// long message whose sentences do not all ask (logs or context pasted
    /// with a question) is classified by the sentences that ask; an
    /// escalation keeps the whole message as its description.
    pub fn classify_as(&self, message: &str, addressing: Addressing) -> Classification {
        let Some(focus) = self.asking_sentences(message) else {
            return self.classify_text(message, addressing);
        };
        let mut classification = self.classify_text(&focus, addressing);
        if let Intent::Escalate(request) = &mut classification.intent {
            request.description = extract::escalation_problem(message);
        }
        classification
    }

    /// Of a long message, its sentences that ask, when some do and some
    /// do not. Only the last sentences are examined: a question comes after
    /// what was pasted with it, and the work stays bounded.
    fn asking_sentences(&self, message: &str) -> Option<String> {
        if message.len() <= FOCUS_ABOVE_BYTES {
            return None;
        }
        let text = text::head_and_tail(message);
        let sentences: Vec<&str> = text
            .split_inclusive(['.', '!', '?', ';', '\n'])
            .map(str::trim)
            .filter(|s| s.len() >= 2)
            .collect();
        let examined = &sentences[sentences.len().saturating_sub(FOCUS_EXAMINED)..];
        let asking: Vec<&str> = examined
            .iter()
            .copied()
            .filter(|sentence| {
                let reading = self.policy.read(&text::normalized(sentence));
                self.questions.address(&reading.words).asks()
            })
            .collect();
        let keep = asking.len().min(FOCUS_SENTENCES);
        (keep > 0 && asking.len() < sentences.len()).then(|| asking[asking.len() - keep..].join(" "))
    }

    fn classify_text(&self, message: &str, addressing: Addressing) -> Classification {
        let normalized = text::normalized(message);
        let reading = self.policy.read(&normalized);
        let address = self.questions.address(&reading.words);
        let scoring = features::extract(&reading, address, &self.questions, self.model.scoring());
        let probabilities = probabilities_fast(&self.model.classes(&scoring.scores));
        let best = argmax(&probabilities);

        let on_topic = reading.concepts & self.policy.on_topic_concepts() != 0 || reading.scope.touched();
        let direct = addressing == Addressing::Direct;
        // "invoice", "biling question", "tickets": a few words of the desk's
        // are a query even without a verb.
        let words = reading.words.iter().filter(|w| lexicon::is_word(**w)).count();
        let asks = address.asks() || (words <= SHORT_QUERY_WORDS && on_topic);
        let (kind, rescued) = if address.to_a_person && !direct {
            // "@maria is patching in scope?" in a channel: a colleague is
            // asked, not the desk (a mention of the bot makes it direct).
            (IntentKind::None, false)
        } else if best != IntentKind::None {
            (best, false)
        } else if asks && (direct || on_topic) {
            (rescue(&probabilities), true)
        } else if direct {
            (IntentKind::Help, true)
        } else {
            (IntentKind::None, false)
        };
        let names = |special: Special| reading.words.contains(&self.policy.lexicon().special(special));
        let details = Details {
            account: names(Special::AccountId),
            region: names(Special::Region),
        };
        Classification {
            intent: self.build_intent(kind, message, &normalized, details),
            kind,
            score: probabilities[kind as usize],
            scope: reading.scope,
            address,
            rescued,
        }
    }

    fn build_intent(&self, kind: IntentKind, message: &str, normalized: &str, details: Details) -> Intent {
        let message = message.trim();
        let account = || details.account.then(|| extract::account_id(message)).flatten();
        match kind {
            IntentKind::Scope => Intent::Scope {
                question: message.to_owned(),
            },
            IntentKind::Escalate => {
                let problem = extract::escalation_problem(message);
                Intent::Escalate(EscalationRequest {
                    subject: extract::subject_from(&problem),
                    severity: extract::severity(normalized),
                    account: account(),
                    service: None,
                    description: problem,
                    explicit: false,
                })
            }
            IntentKind::Spend => Intent::Spend(SpendRequest {
                account: account(),
                customer: None,
            }),
            IntentKind::Estimate => Intent::Estimate(SpendRequest {
                account: account(),
                customer: None,
            }),
            IntentKind::Contact => Intent::Contact {
                region: None,
                text: Some(message.to_owned()),
            },
            IntentKind::Outage => Intent::Outage(OutageRequest::Status {
                region: details.region.then(|| extract::aws_region(message)).flatten(),
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

    /// The scope verdict for a question.
    pub fn assess_scope(&self, question: &str) -> ScopeAssessment {
        self.policy.assess_scope(&text::normalize(question))
    }
}

/// What the reading already says is in the message, so extractors run only
/// when there is something to extract.
#[derive(Debug, Clone, Copy)]
struct Details {
    account: bool,
    region: bool,
}

fn argmax(probabilities: &[f32; CLASSES]) -> IntentKind {
    let mut best = 0;
    for (index, p) in probabilities.iter().enumerate() {
        if *p > probabilities[best] {
            best = index;
        }
    }
    IntentKind::ALL[best]
}

/// The intent for a question the model took for chit-chat: its best other
/// intent when that is likely enough, else a scope question.
fn rescue(probabilities: &[f32; CLASSES]) -> IntentKind {
    let (index, p) = probabilities
        .iter()
        .enumerate()
        .filter(|(i, _)| IntentKind::ALL[*i] != IntentKind::None)
        .fold((IntentKind::Scope as usize, 0.0f32), |best, (i, p)| {
            if *p > best.1 { (i, *p) } else { best }
        });
    if p >= RESCUE_CONFIDENCE {
        IntentKind::ALL[index]
    } else {
        IntentKind::Scope
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
    fn a_question_put_to_a_colleague_is_left_to_them_unless_the_bot_is_asked_too() {
        let c = classifier();
        for text in [
            "@bob is patching in scope?",
            "@maria can you check the patching?",
            "@raj open a ticket for the db",
        ] {
            assert_eq!(c.classify(text).kind, IntentKind::None, "{text:?}");
        }
        assert_eq!(
            c.classify_as("@bob is patching in scope?", Addressing::Direct).kind,
            IntentKind::Scope
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
