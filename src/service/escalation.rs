//! Opening escalations. The ticket is committed to SQLite before anything
//! else; an engineer's ticket then gets its AWS Support case at once (or as
//! soon as AWS answers, through the case worker); a customer's waits for an
//! engineer's approval. Critical escalations put the phone numbers first and
//! alert the outage channel.

use std::sync::Arc;

use crate::access::{Directory, Scope};
use crate::answer::{Alert, TicketSummary};
use crate::clock::Clock;
use crate::domain::{Role, Severity};
use crate::error::{ServiceError, UserError};
use crate::inbound::Actor;
use crate::intent::EscalationRequest;
use crate::policy::Policy;
use crate::reply::{Embed, Reply, colour, quote_user_text};
use crate::service::case_worker::CaseWorker;
use crate::service::support_plan::Allowed;
use crate::service::ticket_view;
use crate::store::{ActorRef, CaseState, NewTicket, Store};
use crate::text;

pub struct EscalationOutcome {
    pub reply: Reply,
    pub ticket: Option<TicketSummary>,
    pub alerts: Vec<Alert>,
}

pub struct EscalationService {
    store: Store,
    worker: Arc<CaseWorker>,
    directory: Arc<Directory>,
    policy: Arc<Policy>,
    clock: Arc<dyn Clock>,
}

/// Fewer words than this in a free-text problem is too thin to act on.
const MIN_PROBLEM_WORDS: usize = 3;

pub fn actor_ref(actor: &Actor) -> ActorRef {
    ActorRef {
        id: actor.user_id.clone(),
        name: actor.display_name.clone(),
        role: actor.role,
    }
}

impl EscalationService {
    pub fn new(
        store: Store,
        worker: Arc<CaseWorker>,
        directory: Arc<Directory>,
        policy: Arc<Policy>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            worker,
            directory,
            policy,
            clock,
        }
    }

    /// What the account's support plan (when already known: no AWS call
    /// before the case is approved) means for a ticket waiting for
    /// approval; the case attempt says it for the others.
    async fn plan_note(&self, ticket: &crate::store::Ticket) -> Option<String> {
        if ticket.case_state != CaseState::AwaitingApproval {
            return None;
        }
        let plan = self.worker.plans().known(ticket.account_id.as_ref()).await?;
        match plan.allow(ticket.severity) {
            Allowed::AsAsked(_) => None,
            Allowed::Capped { asked, to } => Some(format!(
                "Once approved, the AWS case is opened at severity **{}**: the account's support plan does not offer {}.",
                to.code(),
                asked.code()
            )),
            Allowed::NoSupportApi => Some(format!(
                "The account's support plan has no AWS Support API, so no AWS case can be opened from here; the provider's engineers work the ticket. {}",
                self.policy.notes.support_plan
            )),
        }
    }

    #[tracing::instrument(name = "escalate", skip_all, fields(ticket, severity))]
    pub async fn open(&self, actor: &Actor, request: EscalationRequest) -> Result<EscalationOutcome, ServiceError> {
        let customer = match self.directory.scope_of(actor) {
            Scope::Nobody => return Err(UserError::NotACustomer.into()),
            Scope::Customer(customer) => Some(customer),
            Scope::Everyone => None,
        };
        // Control characters never reach the store, the threads or AWS.
        let subject = request
            .subject
            .as_deref()
            .map(|s| text::printable(s, false).trim().to_owned())
            .filter(|s| !s.is_empty());
        let description = text::printable(&request.description, true).trim().to_owned();
        let problem_words = description.split_whitespace().count();
        // A subject and a description written out are always logged; a
        // request in chat needs a few words on the problem first.
        let enough = if request.explicit {
            problem_words > 0
        } else {
            problem_words >= MIN_PROBLEM_WORDS
        };
        if subject.is_none() || !enough {
            return Ok(self.ask_for_details(&request));
        }

        let account = match (&request.account, customer) {
            (Some(account), Some(customer)) if !customer.account_ids.contains(account) => {
                return Err(UserError::AccountNotYours(account.to_string()).into());
            }
            (Some(account), _) => Some(account.clone()),
            // A customer with one account needs not name it.
            (None, Some(customer)) if customer.account_ids.len() == 1 => customer.account_ids.first().cloned(),
            (None, _) => None,
        };
        let owner = match customer {
            Some(customer) => Some(customer.name.clone()),
            None => account
                .as_ref()
                .and_then(|a| self.directory.owner_of(a))
                .map(|c| c.name.clone()),
        };
        let severity = request.severity.unwrap_or(Severity::Normal);
        let case_state = match actor.role {
            Role::Engineer => CaseState::Pending,
            Role::Customer => CaseState::AwaitingApproval,
        };
        let new_ticket = NewTicket {
            subject: subject.unwrap_or_default(),
            description,
            severity,
            customer: owner,
            account_id: account,
            aws_service: request.service.clone(),
            opened_by: actor_ref(actor),
            guild_id: actor.guild_id.clone(),
            channel_id: actor.channel_id.clone(),
            case_state,
        };
        // Committed before anything else is attempted.
        let mut ticket = self.store.open_ticket(&new_ticket, self.clock.now()).await?;
        let span = tracing::Span::current();
        span.record("ticket", ticket.id);
        span.record("severity", severity.code());
        tracing::info!(case_state = case_state.as_str(), "ticket opened");

        if case_state == CaseState::Pending {
            match self.worker.attempt(ticket.id).await {
                Ok(_) => {}
                // The ticket is safe on disk; the worker retries the case.
                Err(error) => {
                    tracing::error!(error = %crate::error::cause_chain(&error), "could not record the case attempt")
                }
            }
            if let Some(refreshed) = self.store.ticket(ticket.id).await? {
                ticket = refreshed;
            }
        }

        let mut embeds = Vec::new();
        let mut alerts = Vec::new();
        if severity == Severity::Critical {
            // Announced through the outage posts (outage channel and the
            // customer's subscribed channels); the ticket is safe either way.
            if let Err(error) = super::outage::sync_escalation(&self.store, &ticket, self.clock.now()).await {
                tracing::error!(error = %crate::error::cause_chain(&error), "could not record the escalation's announcement");
            }
            embeds.push(self.call_now_embed());
            alerts.push(Alert {
                text: format!(
                    "🚨 Critical escalation #{}: {} (opened by {}{}). {}",
                    ticket.id,
                    quote_user_text(&ticket.subject, 200),
                    quote_user_text(&actor.display_name, 80),
                    ticket
                        .customer
                        .as_deref()
                        .map(|c| format!(" for {}", quote_user_text(c, 80)))
                        .unwrap_or_default(),
                    ticket_view::case_line(&ticket, &self.policy.notes.support_plan),
                ),
                ping_on_call: true,
            });
        }
        let events = self.store.ticket_events(ticket.id).await?;
        let mut embed = ticket_view::embed(&ticket, "🎫 Ticket", &self.policy.notes.support_plan, &events);
        if let Some(note) = self.plan_note(&ticket).await {
            embed = embed.field("AWS support plan", note);
        }
        embeds.push(embed);
        Ok(EscalationOutcome {
            reply: ticket_view::with_buttons(
                Reply {
                    embeds,
                    ..Reply::default()
                },
                &ticket,
                0,
            ),
            ticket: Some(ticket_view::summary(&ticket)),
            alerts,
        })
    }

    fn call_now_embed(&self) -> Embed {
        let contacts = &self.policy.contacts;
        let mut embed = Embed::new("📞 Critical: call now", colour::URGENT).description(format!(
            "{} Your ticket is logged below; calling gets an engineer on it fastest.",
            contacts.critical_note
        ));
        for region in &contacts.regions {
            embed = embed.inline_field(&region.name, format!("**{}**", region.phone));
        }
        embed
    }

    fn ask_for_details(&self, request: &EscalationRequest) -> EscalationOutcome {
        let levels: Vec<String> = Severity::ALL.iter().map(|s| ticket_view::severity_line(*s)).collect();
        let mut embed = Embed::new("📝 Tell me a bit more to open the escalation", colour::UNCLEAR)
            .description(
                "Nothing is logged yet: I need a one-line subject and a few words on what is wrong, since when, and what you tried.",
            )
            .field(
                "Try",
                "`/escalate subject:\"RDS database down\" description:\"prod-db unreachable since 10:42 UTC, app returns 500\" severity:urgent`\nor: `open an escalation: our RDS database has been unreachable since 10:42`",
            )
            .field("Severities", levels.join("\n"));
        if !request.description.trim().is_empty() {
            embed = embed.field("You wrote", format!("> {}", quote_user_text(&request.description, 300)));
        }
        EscalationOutcome {
            reply: Reply::embed(embed).ephemeral(),
            ticket: None,
            alerts: Vec::new(),
        }
    }
}
