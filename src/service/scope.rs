//! "Is X in scope?": the verdict from the policy catalogue, explained, with
//! what to do next. Conservative by design: "unclear, an engineer will look"
//! whenever the catalogue does not clearly say "in scope".

use std::sync::Arc;

use serde::Serialize;

use crate::policy::{Policy, PolicyMatcher, ScopeAssessment, Verdict};
use crate::reply::{ButtonAction, Embed, Reply, colour, quote_inline, quote_user_text};
use crate::service::coverage::Coverage;
use crate::text;

/// The verdict as `ask --json` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeOutcome {
    pub verdict: Verdict,
    /// The catalogue item's id, or null when unclear.
    pub topic: Option<String>,
}

pub struct ScopeAnswer {
    pub outcome: ScopeOutcome,
    pub assessment: ScopeAssessment,
    pub reply: Reply,
}

pub struct ScopeService {
    policy: Arc<Policy>,
    matcher: PolicyMatcher,
}

const QUOTED_QUESTION_CHARS: usize = 300;

impl ScopeService {
    pub fn new(policy: Arc<Policy>, matcher: PolicyMatcher) -> Self {
        Self { policy, matcher }
    }

    #[tracing::instrument(name = "scope", skip_all, fields(verdict, topic))]
    pub fn answer(&self, question: &str) -> ScopeAnswer {
        let assessment = self.matcher.assess_scope(&text::normalize(question));
        let item = assessment.item.map(|i| &self.policy.scope[i]);
        let outcome = ScopeOutcome {
            verdict: assessment.verdict,
            topic: item.map(|i| i.id.clone()),
        };
        let span = tracing::Span::current();
        span.record("verdict", assessment.verdict.as_str());
        if let Some(item) = item {
            span.record("topic", item.id.as_str());
        }
        let reply = self.reply(question, &assessment);
        ScopeAnswer {
            outcome,
            assessment,
            reply,
        }
    }

    /// The answer to a question about one account's coverage.
    pub fn account_answer(&self, question: &str, account: &str, coverage: &Coverage) -> ScopeAnswer {
        let policy = &*self.policy;
        let asked = quote_inline(question, QUOTED_QUESTION_CHARS);
        let unoptimized = policy.scope.iter().position(|i| i.id == "unoptimized-accounts");
        let (verdict, item, embed) = match coverage {
            Coverage::Covered { name } => (
                Verdict::InScope,
                None,
                Embed::new(format!("✅ Account {account} is covered"), colour::IN_SCOPE).description(format!(
                    "{} is an active account of the organization, optimized by {}: platform-level support covers it.",
                    quote_user_text(name, 80),
                    policy.provider.product
                )),
            ),
            Coverage::NotMember | Coverage::NotActive { .. } | Coverage::NotOptimized { .. } => {
                let why = match coverage {
                    Coverage::NotMember => format!("Account {account} is not a member of the organization we support."),
                    Coverage::NotActive { name, status } => {
                        format!("{} ({account}) is not active (status {status}).", quote_user_text(name, 80))
                    }
                    Coverage::NotOptimized { name } => format!(
                        "{} ({account}) is not optimized by {}.",
                        quote_user_text(name, 80),
                        policy.provider.product
                    ),
                    _ => String::new(),
                };
                let explanation = unoptimized.map(|i| policy.scope[i].explanation.clone()).unwrap_or_default();
                (
                    Verdict::OutOfScope,
                    unoptimized,
                    Embed::new(format!("⛔ Account {account} is not covered"), colour::OUT_OF_SCOPE)
                        .description(format!("{why} {explanation}"))
                        .field("Bringing an account under our care", &policy.notes.support_plan)
                        .field(
                            "Managed Services",
                            format!("{} Options: {}", policy.provider.managed_services, policy.provider.managed_services_url),
                        ),
                )
            }
            Coverage::Unknown { reason } => (
                Verdict::Unclear,
                None,
                Embed::new(format!("❔ I can't check account {account} here"), colour::UNCLEAR).description(format!(
                    "{reason}, so I won't guess. An engineer will check it. Accounts are covered when they are active members of the organization optimized by {}.",
                    policy.provider.product
                )),
            ),
        };
        let embed = embed
            .field("You asked", format!("> {asked}"))
            .footer(super::policy_footer(policy));
        let reply = Reply::embed(embed);
        let reply = if verdict == Verdict::OutOfScope {
            reply
        } else {
            reply.with_button("Open escalation", ButtonAction::OpenEscalation)
        };
        ScopeAnswer {
            outcome: ScopeOutcome {
                verdict,
                topic: item.map(|i| policy.scope[i].id.clone()),
            },
            assessment: ScopeAssessment {
                verdict,
                item,
                best_in_scope: 0.0,
                best_out_of_scope: 0.0,
                best_in_scope_item: None,
                best_out_of_scope_item: None,
                mentions_free_operating_system: false,
                names_hands_on_work: false,
            },
            reply,
        }
    }

    fn reply(&self, question: &str, assessment: &ScopeAssessment) -> Reply {
        let policy = &*self.policy;
        let provider = &policy.provider;
        let asked = quote_inline(question, QUOTED_QUESTION_CHARS);
        let escalate_hint = "Want us to take it on? Open an escalation with `/escalate` (or the **Open escalation** button) and an engineer will pick it up.";
        let item = assessment.item.map(|i| &policy.scope[i]);

        let mut embed = match (assessment.verdict, item) {
            (Verdict::InScope, Some(item)) => Embed::new(format!("✅ In scope: {}", item.title), colour::IN_SCOPE)
                .description(&item.explanation)
                .field("You asked", format!("> {asked}"))
                .field("What next", escalate_hint),
            (Verdict::OutOfScope, Some(item)) => {
                let mut embed = Embed::new(format!("⛔ Out of scope: {}", item.title), colour::OUT_OF_SCOPE)
                    .description(&item.explanation)
                    .field("You asked", format!("> {asked}"))
                    .field(
                        "Managed Services",
                        format!(
                            "{} Options: {}",
                            provider.managed_services, provider.managed_services_url
                        ),
                    );
                if item.id == "unoptimized-accounts" {
                    embed = embed.field("Bringing an account under our care", &policy.notes.support_plan);
                }
                embed
            }
            _ => {
                let mut description = String::from(
                    "I can't match this to the platform-level support policy with confidence, so I won't guess. An engineer will look at it.",
                );
                if let (Some(i), Some(o)) = (assessment.best_in_scope_item, assessment.best_out_of_scope_item)
                    && assessment.recognized()
                {
                    description.push_str(&format!(
                        "\n\nParts of it sound like **{}** (in scope) and parts like **{}** (out of scope).",
                        policy.scope[i].title, policy.scope[o].title
                    ));
                }
                Embed::new("❔ Not sure: an engineer will look", colour::UNCLEAR)
                    .description(description)
                    .field("You asked", format!("> {asked}"))
                    .field("In scope", titles(policy, Verdict::InScope))
                    .field("Out of scope (Managed Services)", titles(policy, Verdict::OutOfScope))
                    .field("What next", escalate_hint)
            }
        };
        let free_os_item = item.is_some_and(|i| i.id == "free-os-vendor-support");
        if assessment.mentions_free_operating_system && !free_os_item {
            embed = embed.field("About free operating systems", &policy.notes.free_operating_systems);
        }
        let reply = Reply::embed(embed.footer(super::policy_footer(policy)));
        match assessment.verdict {
            Verdict::OutOfScope => reply,
            Verdict::InScope | Verdict::Unclear => reply.with_button("Open escalation", ButtonAction::OpenEscalation),
        }
    }
}

fn titles(policy: &Policy, verdict: Verdict) -> String {
    policy
        .scope
        .iter()
        .filter(|item| item.verdict == verdict)
        .map(|item| item.title.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> ScopeService {
        let policy = Arc::new(Policy::embedded_default().unwrap());
        let matcher = PolicyMatcher::new(&policy).unwrap();
        ScopeService::new(policy, matcher)
    }

    #[test]
    fn an_in_scope_answer_offers_an_escalation() {
        let answer = service().answer("is IAM in scope?");
        assert_eq!(
            answer.outcome,
            ScopeOutcome {
                verdict: Verdict::InScope,
                topic: Some("iam-policies".into())
            }
        );
        let embed = &answer.reply.embeds[0];
        assert_eq!(embed.color, colour::IN_SCOPE);
        assert!(embed.title.as_ref().unwrap().contains("IAM policies"));
        assert_eq!(answer.reply.buttons[0].action, ButtonAction::OpenEscalation);
    }

    #[test]
    fn an_out_of_scope_answer_points_to_managed_services() {
        let answer = service().answer("is patching in scope?");
        assert_eq!(answer.outcome.verdict, Verdict::OutOfScope);
        let text = serde_json::to_string(&answer.reply.embeds).unwrap();
        assert!(text.contains("Managed Services"), "{text}");
        assert!(answer.reply.buttons.is_empty());
    }

    #[test]
    fn an_unclear_answer_promises_an_engineer_and_lists_the_catalogue() {
        let answer = service().answer("can you build our CI/CD pipeline?");
        assert_eq!(
            answer.outcome,
            ScopeOutcome {
                verdict: Verdict::Unclear,
                topic: None
            }
        );
        let embed = &answer.reply.embeds[0];
        assert!(embed.title.as_ref().unwrap().contains("engineer"));
        assert!(embed.fields.iter().any(|f| f.value.contains("IAM policies")));
        assert_eq!(answer.reply.buttons.len(), 1);
    }

    #[test]
    fn questions_about_free_operating_systems_carry_the_vendor_note() {
        let answer = service().answer("do you handle IAM policies for our Ubuntu servers?");
        let text = serde_json::to_string(&answer.reply.embeds).unwrap();
        assert!(text.contains("vendor support"), "{text}");
        let answer = service().answer("Can I get vendor support for Debian on our instances?");
        assert_eq!(answer.outcome.verdict, Verdict::OutOfScope);
        assert_eq!(answer.outcome.topic.as_deref(), Some("free-os-vendor-support"));
    }

    #[test]
    fn the_question_is_quoted_without_pinging_anyone() {
        let answer = service().answer("@everyone is patching in scope?");
        let text = serde_json::to_string(&answer.reply.embeds).unwrap();
        assert!(!text.contains("@everyone"), "{text}");
    }
}
