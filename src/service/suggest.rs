//! Suggestions while someone types an option (Discord's autocomplete): the
//! ticket numbers and account ids the asker may see, and no others; for
//! engineers, the open provider outages.

use std::sync::Arc;

use crate::access::{Directory, Scope};
use crate::domain::{AccountId, Severity};
use crate::inbound::Actor;
use crate::service::support_plan::SupportPlans;
use crate::store::{OutageSource, Store, StoreError, TicketQuery};
use crate::text::clip_chars;

/// Discord shows at most 25 suggestions, each named in at most 100 characters.
const MAX_SUGGESTIONS: usize = 25;
const MAX_LABEL: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggestion {
    Ticket { label: String, id: i64 },
    Account { label: String, id: String },
    Outage { label: String, id: i64 },
    Severity { label: String, code: String },
}

pub struct SuggestService {
    store: Store,
    directory: Arc<Directory>,
    plans: Arc<SupportPlans>,
}

impl SuggestService {
    pub fn new(store: Store, directory: Arc<Directory>, plans: Arc<SupportPlans>) -> Self {
        Self {
            store,
            directory,
            plans,
        }
    }

    /// The severities an escalation on `account` (typed, or the asker's
    /// customer's only account; else the bot's own) may ask for: those its
    /// support plan offers, or all when the plan is not known in time.
    async fn severities(&self, actor: &Actor, account: Option<&str>, typed: &str) -> Vec<Suggestion> {
        let account: Option<AccountId> = match (
            account.and_then(|a| a.trim().parse().ok()),
            self.directory.scope_of(actor),
        ) {
            (Some(account), Scope::Customer(customer)) if !customer.account_ids.contains(&account) => None,
            (Some(account), _) => Some(account),
            (None, Scope::Customer(customer)) if customer.account_ids.len() == 1 => {
                customer.account_ids.first().cloned()
            }
            (None, _) => None,
        };
        let offered = match self.plans.plan_within(account.as_ref()).await {
            Some(plan) => plan.offered(),
            None => Severity::ALL.to_vec(),
        };
        offered
            .into_iter()
            .rev()
            .filter(|s| s.code().starts_with(typed))
            .map(|s| Suggestion::Severity {
                label: clip_chars(
                    &format!(
                        "{}: {}; AWS aims to answer within {}",
                        s.code(),
                        s.meaning(),
                        s.response_target()
                    ),
                    MAX_LABEL,
                )
                .to_owned(),
                code: s.code().to_owned(),
            })
            .collect()
    }

    /// Suggestions for the option being typed (`id` of a ticket or outage
    /// command, or `account`), matching what was typed so far.
    pub async fn suggest(
        &self,
        actor: &Actor,
        command: &str,
        option: &str,
        typed: &str,
        account: Option<&str>,
    ) -> Result<Vec<Suggestion>, StoreError> {
        let typed = typed.trim().trim_start_matches('#').to_ascii_lowercase();
        let scope = self.directory.scope_of(actor);
        match (command, option) {
            ("escalate", "severity") => Ok(self.severities(actor, account, &typed).await),
            ("outage", "id") => {
                if scope != Scope::Everyone {
                    return Ok(Vec::new());
                }
                let outages = self.store.open_outages().await?;
                Ok(outages
                    .into_iter()
                    .filter(|o| o.source == OutageSource::Provider)
                    .filter(|o| {
                        typed.is_empty()
                            || o.id.to_string().starts_with(&typed)
                            || o.title.to_ascii_lowercase().contains(&typed)
                    })
                    .take(MAX_SUGGESTIONS)
                    .map(|o| Suggestion::Outage {
                        label: clip_chars(&format!("#{} {} ({})", o.id, o.title, o.severity.code()), MAX_LABEL)
                            .to_owned(),
                        id: o.id,
                    })
                    .collect())
            }
            (_, "id") => {
                let customer = match scope {
                    Scope::Nobody => return Ok(Vec::new()),
                    Scope::Customer(customer) => Some(Some(customer.name.clone())),
                    Scope::Everyone => None,
                };
                let tickets = self
                    .store
                    .list_tickets(&TicketQuery {
                        customer,
                        limit: 200,
                        ..TicketQuery::default()
                    })
                    .await?;
                Ok(tickets
                    .into_iter()
                    .filter(|t| {
                        typed.is_empty()
                            || t.id.to_string().starts_with(&typed)
                            || t.subject.to_ascii_lowercase().contains(&typed)
                    })
                    .take(MAX_SUGGESTIONS)
                    .map(|t| Suggestion::Ticket {
                        label: clip_chars(&format!("#{} {} ({})", t.id, t.subject, t.status.as_str()), MAX_LABEL)
                            .to_owned(),
                        id: t.id,
                    })
                    .collect())
            }
            (_, "account") => {
                let accounts: Vec<(String, String)> = match scope {
                    Scope::Nobody => Vec::new(),
                    Scope::Customer(customer) => customer
                        .account_ids
                        .iter()
                        .map(|a| (a.to_string(), customer.name.clone()))
                        .collect(),
                    Scope::Everyone => self
                        .directory
                        .customers()
                        .iter()
                        .flat_map(|c| c.account_ids.iter().map(move |a| (a.to_string(), c.name.clone())))
                        .collect(),
                };
                Ok(accounts
                    .into_iter()
                    .filter(|(id, name)| id.starts_with(&typed) || name.to_ascii_lowercase().contains(&typed))
                    .take(MAX_SUGGESTIONS)
                    .map(|(id, name)| Suggestion::Account {
                        label: clip_chars(&format!("{id} ({name})"), MAX_LABEL).to_owned(),
                        id,
                    })
                    .collect())
            }
            _ => Ok(Vec::new()),
        }
    }
}
