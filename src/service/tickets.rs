//! Looking at and acting on tickets: show, list, note, resolve, reopen, and
//! an engineer's approval of a customer's ticket for an AWS case. Customers
//! see and act on their own customer's tickets only; a ticket they may not
//! see is "not found", exactly like one that does not exist.

use std::sync::Arc;

use crate::access::{Directory, Scope};
use crate::answer::TicketSummary;
use crate::clock::Clock;
use crate::domain::Role;
use crate::error::{ServiceError, UserError};
use crate::inbound::Actor;
use crate::intent::slash::FileUpload;
use crate::intent::{NoteTo, TicketFilter, TicketRequest};
use crate::policy::Policy;
use crate::reply::{Embed, Reply, colour, quote_user_text};
use crate::service::case_worker::CaseWorker;
use crate::service::escalation::actor_ref;
use crate::service::ticket_view;
use crate::store::tickets::INTERNAL_NOTE;
use crate::store::{NoteFile, NoteKind, Store, Ticket, TicketQuery, TicketStatus};

pub struct TicketOutcome {
    pub reply: Reply,
    pub ticket: Option<TicketSummary>,
}

pub struct TicketService {
    store: Store,
    worker: Arc<CaseWorker>,
    directory: Arc<Directory>,
    policy: Arc<Policy>,
    clock: Arc<dyn Clock>,
    /// Customers' replies to AWS wait for an engineer's approval.
    approve_customer_replies: bool,
}

const LIST_LIMIT: i64 = 20;

impl TicketService {
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
            approve_customer_replies: false,
        }
    }

    /// Customers' replies to AWS wait for an engineer's approval when
    /// `approve` (the configuration's `escalations.approve_customer_replies`).
    pub fn approving_customer_replies(mut self, approve: bool) -> Self {
        self.approve_customer_replies = approve;
        self
    }

    #[tracing::instrument(name = "ticket", skip_all)]
    pub async fn handle(&self, actor: &Actor, request: TicketRequest) -> Result<TicketOutcome, ServiceError> {
        match request {
            TicketRequest::Show { id } => {
                let ticket = self.visible(actor, id).await?;
                self.shown(actor, ticket, "🎫 Ticket").await
            }
            TicketRequest::List {
                filter,
                status,
                customer,
            } => self.list(actor, filter, status.as_deref(), customer.as_deref()).await,
            TicketRequest::Note { id, text, to, files } => {
                let ticket = self.visible(actor, id).await?;
                if !files.is_empty() && to == NoteTo::Internal {
                    return Err(UserError::BadFile(
                        "Files go to the AWS case; an internal note takes none.".to_owned(),
                    )
                    .into());
                }
                let files = checked_files(&files)?;
                if to == NoteTo::Aws && ticket.status == TicketStatus::Resolved {
                    return Err(UserError::NothingToChange(format!(
                        "Ticket #{id} is resolved, so nothing more goes to its AWS case. Reopen it with `/ticket reopen id:{id}` to write to AWS, or add an internal note (`to:internal`)."
                    ))
                    .into());
                }
                let kind = match (to, actor.role) {
                    (NoteTo::Internal, Role::Engineer) => NoteKind::Internal,
                    (NoteTo::Internal, Role::Customer) => NoteKind::ToDesk,
                    (NoteTo::Aws, Role::Customer) if self.approve_customer_replies => NoteKind::HeldForApproval,
                    (NoteTo::Aws, _) => NoteKind::ToAws,
                };
                self.store
                    .add_note_as(
                        ticket.id,
                        &actor_ref(actor),
                        crate::text::printable(&text, true).trim(),
                        kind,
                        &files,
                        self.clock.now(),
                    )
                    .await?;
                if kind == NoteKind::ToAws {
                    self.pass_on(ticket.id);
                }
                let mut outcome = self
                    .shown(actor, self.reload(ticket.id).await?, "📝 Note added to ticket")
                    .await?;
                let (name, where_it_goes) = note_destination(kind, ticket.aws_case_id.is_some());
                if kind != NoteKind::HeldForApproval
                    && let Some(embed) = outcome.reply.embeds.first_mut()
                {
                    *embed = std::mem::take(embed).field(name, where_it_goes);
                }
                if kind == NoteKind::Internal {
                    // Said to its writer alone, wherever it was written.
                    outcome.reply = outcome.reply.ephemeral();
                }
                Ok(outcome)
            }
            TicketRequest::Resolve { id, note } => {
                self.change_status(actor, id, TicketStatus::Resolved, note, "✅ Resolved ticket")
                    .await
            }
            TicketRequest::Reopen { id, note } => {
                self.change_status(actor, id, TicketStatus::Open, note, "🔁 Reopened ticket")
                    .await
            }
            TicketRequest::Approve { id } => {
                if actor.role != Role::Engineer {
                    return Err(UserError::EngineersOnly("approve AWS cases and replies to AWS").into());
                }
                let ticket = self.visible(actor, id).await?;
                if !self
                    .store
                    .approve_case(ticket.id, &actor_ref(actor), self.clock.now())
                    .await?
                {
                    return Err(UserError::NothingToChange(format!(
                        "Ticket #{id} is not waiting for approval: {}",
                        ticket_view::case_line(&ticket, &self.policy.notes.support_plan)
                    ))
                    .into());
                }
                if let Err(error) = self.worker.attempt(ticket.id).await {
                    tracing::error!(error = %crate::error::cause_chain(&error), "could not record the case attempt");
                }
                // Replies to AWS released by the approval.
                self.pass_on(ticket.id);
                self.shown(actor, self.reload(ticket.id).await?, "👍 Approved ticket")
                    .await
            }
        }
    }

    /// Resolves or reopens a ticket; a resolution is passed on to its AWS case.
    async fn change_status(
        &self,
        actor: &Actor,
        id: i64,
        status: TicketStatus,
        note: Option<String>,
        title: &str,
    ) -> Result<TicketOutcome, ServiceError> {
        let ticket = self.visible(actor, id).await?;
        // Control characters never reach the store, the threads or AWS.
        let note = crate::text::printable(note.as_deref().unwrap_or_default(), true)
            .trim()
            .to_owned();
        let changed = self
            .store
            .set_ticket_status(ticket.id, status, &actor_ref(actor), &note, self.clock.now())
            .await?;
        if !changed {
            return Err(UserError::NothingToChange(format!("Ticket #{id} is already {}.", status.as_str())).into());
        }
        if status == TicketStatus::Resolved {
            self.pass_on(ticket.id);
        }
        let ticket = self.reload(ticket.id).await?;
        // A critical ticket's announcement follows its status.
        if let Err(error) = super::outage::sync_escalation(&self.store, &ticket, self.clock.now()).await {
            tracing::error!(error = %crate::error::cause_chain(&error), "could not update the escalation's announcement");
        }
        self.shown(actor, ticket, title).await
    }

    /// The ticket, if the actor may see it; "not found" otherwise.
    /// Whether `actor` may send files with a note on ticket `id` (they see
    /// it, it is open, the note goes to AWS): checked before any file is
    /// read, so that a refused note reads nothing.
    pub async fn may_attach(&self, actor: &Actor, id: i64, to: NoteTo) -> Result<(), ServiceError> {
        let ticket = self.visible(actor, id).await?;
        if to == NoteTo::Internal {
            return Err(UserError::BadFile("Files go to the AWS case; an internal note takes none.".to_owned()).into());
        }
        if ticket.status == TicketStatus::Resolved {
            return Err(UserError::NothingToChange(format!(
                "Ticket #{id} is resolved, so nothing more goes to its AWS case. Reopen it with `/ticket reopen id:{id}` to write to AWS."
            ))
            .into());
        }
        Ok(())
    }

    async fn visible(&self, actor: &Actor, id: i64) -> Result<Ticket, ServiceError> {
        let scope = self.directory.scope_of(actor);
        if scope == Scope::Nobody {
            return Err(UserError::NotACustomer.into());
        }
        let ticket = self.store.ticket(id).await?.ok_or(UserError::TicketNotFound(id))?;
        let allowed = match scope {
            Scope::Everyone => true,
            Scope::Customer(customer) => ticket.customer.as_deref() == Some(customer.name.as_str()),
            Scope::Nobody => false,
        };
        if allowed {
            Ok(ticket)
        } else {
            Err(UserError::TicketNotFound(id).into())
        }
    }

    async fn reload(&self, id: i64) -> Result<Ticket, ServiceError> {
        Ok(self.store.ticket(id).await?.ok_or(UserError::TicketNotFound(id))?)
    }

    /// Passes queued notes and resolutions on to AWS in the background, so
    /// the reply never waits on AWS; each action is claimed before it is
    /// sent, and what fails stays queued for the worker.
    fn pass_on(&self, ticket_id: i64) {
        self.worker.deliver_in_background(ticket_id);
    }

    /// The ticket as `actor` may see it: a customer never sees engineers'
    /// internal notes.
    async fn shown(&self, actor: &Actor, ticket: Ticket, title: &str) -> Result<TicketOutcome, ServiceError> {
        let mut events = self.store.ticket_events(ticket.id).await?;
        if !self.directory.sees_internal_notes(actor) {
            events.retain(|e| e.kind != INTERNAL_NOTE);
        }
        let held = self.store.held_replies(ticket.id).await?;
        let messages = self
            .store
            .case_messages(ticket.id, ticket_view::CONVERSATION_SHOWN)
            .await?;
        let embed = ticket_view::embed(&ticket, title, &self.policy.notes.support_plan, &events);
        let (mut embed, latest_reply) = ticket_view::with_conversation(embed, &ticket, &messages);
        // Engineers see what the account's support plan allows.
        if actor.role == Role::Engineer
            && let Some(plan) = self.worker.plans().plan_within(ticket.account_id.as_ref()).await
        {
            embed = embed.field("AWS support plan", plan.describe());
        }
        let retried = self.store.retried_case_actions(ticket.id).await?;
        if !retried.is_empty() {
            let lines: Vec<String> = retried
                .iter()
                .map(|(kind, attempts, error)| {
                    let what = if kind == "resolve" {
                        "The resolution"
                    } else {
                        "A reply"
                    };
                    format!(
                        "{what} has not reached AWS yet (tried {attempts} time{}; last: {}). It is retried automatically.",
                        if *attempts == 1 { "" } else { "s" },
                        quote_user_text(error, 200)
                    )
                })
                .collect();
            embed = embed.field("Waiting to reach AWS", lines.join("\n"));
        }
        if held > 0 {
            embed = embed.field(
                "Waiting for approval",
                match held {
                    1 => "A reply to AWS waits for an engineer's approval before it is sent.".to_owned(),
                    n => format!("{n} replies to AWS wait for an engineer's approval before they are sent."),
                },
            );
        }
        let mut reply = Reply::embed(embed);
        reply.embeds.extend(latest_reply);
        Ok(TicketOutcome {
            reply: ticket_view::with_buttons(reply, &ticket, held),
            ticket: Some(ticket_view::summary(&ticket)),
        })
    }

    async fn list(
        &self,
        actor: &Actor,
        filter: TicketFilter,
        status: Option<&str>,
        customer: Option<&str>,
    ) -> Result<TicketOutcome, ServiceError> {
        let mut query = TicketQuery {
            limit: LIST_LIMIT,
            ..TicketQuery::default()
        };
        match self.directory.scope_of(actor) {
            Scope::Nobody => return Err(UserError::NotACustomer.into()),
            Scope::Customer(own) => {
                if customer.is_some_and(|c| c != own.name) {
                    return Err(if actor.role == Role::Engineer {
                        UserError::OtherCustomersHere(own.name.clone())
                    } else {
                        UserError::EngineersOnly("list other customers' tickets")
                    }
                    .into());
                }
                query.customer = Some(Some(own.name.clone()));
            }
            Scope::Everyone => {
                if let Some(name) = customer {
                    let known = self.directory.customer(name).ok_or_else(|| {
                        let names: Vec<&str> = self.directory.customers().iter().map(|c| c.name.as_str()).collect();
                        UserError::NothingToChange(format!(
                            "I don't know the customer \"{}\". The customers are: {}.",
                            quote_user_text(name, 40),
                            if names.is_empty() {
                                "none configured".to_owned()
                            } else {
                                names.join(", ")
                            }
                        ))
                    })?;
                    query.customer = Some(Some(known.name.clone()));
                }
            }
        }
        let title = match filter {
            TicketFilter::Mine => {
                query.opened_by = Some(actor.user_id.clone());
                "Your tickets"
            }
            TicketFilter::Open => {
                query.status = Some(TicketStatus::Open);
                "Open tickets"
            }
            TicketFilter::All => "All tickets",
        };
        if let Some(status) = status {
            query.status = Some(if status == "resolved" {
                TicketStatus::Resolved
            } else {
                TicketStatus::Open
            });
        }
        let tickets = self.store.list_tickets(&query).await?;
        let description = if tickets.is_empty() {
            "None.".to_owned()
        } else {
            tickets
                .iter()
                .map(ticket_view::list_line)
                .collect::<Vec<_>>()
                .join("\n")
        };
        let mut embed = Embed::new(format!("🎫 {title}"), colour::INFO).description(description);
        if tickets.len() as i64 == LIST_LIMIT {
            embed = embed.footer(format!("The {LIST_LIMIT} newest. /ticket show id:… for one."));
        } else {
            embed = embed.footer("/ticket show id:… for one ticket.");
        }
        if let Scope::Customer(customer) = self.directory.scope_of(actor) {
            embed = embed.inline_field("Customer", quote_user_text(&customer.name, 80));
        }
        Ok(TicketOutcome {
            reply: Reply::embed(embed),
            ticket: None,
        })
    }
}

/// Where a note went, for its confirmation: a field's name and text.
fn note_destination(kind: NoteKind, has_case: bool) -> (&'static str, &'static str) {
    match kind {
        NoteKind::ToAws if has_case => (
            "Sent to AWS",
            "The note is queued for the AWS case and passed on in the background; the ticket's log says when AWS has it.",
        ),
        NoteKind::ToAws => ("For the AWS case", "The note goes to the AWS case once it is opened."),
        NoteKind::HeldForApproval => (
            "Waiting for approval",
            "An engineer reviews the note before it is sent to AWS.",
        ),
        NoteKind::Internal => (
            "Internal note",
            "Only the provider's engineers see this note; it is never sent to AWS.",
        ),
        NoteKind::ToDesk => (
            "Note to the desk",
            "The provider's engineers see this note; it is not sent to AWS.",
        ),
    }
}

/// AWS accepts at most this many files in one attachment set...
pub const MAX_FILES: usize = 3;
/// ...of at most this many bytes each.
pub const MAX_FILE_BYTES: u64 = 5_000_000;

/// The files given with a note, as they will be sent to AWS, or a polite
/// refusal naming the one that cannot be: too many, too large, empty, or
/// not readable.
fn checked_files(files: &[FileUpload]) -> Result<Vec<NoteFile>, UserError> {
    if files.len() > MAX_FILES {
        return Err(UserError::BadFile(format!(
            "AWS takes at most {MAX_FILES} files with one note; {} were given.",
            files.len()
        )));
    }
    files
        .iter()
        .map(|file| {
            let name = clean_file_name(&file.name);
            // Its size as given (Discord's, the file system's) or as read,
            // whichever is larger: a reader stops one byte past the limit.
            let read = file.bytes.as_ref().map_or(0, |b| b.len() as u64);
            let size = file.size.max(read);
            if size > MAX_FILE_BYTES {
                let how_big = if size == MAX_FILE_BYTES + 1 && file.size <= MAX_FILE_BYTES + 1 {
                    "larger than that".to_owned()
                } else {
                    format!("{} ({size} bytes)", crate::text::file_size(size))
                };
                return Err(UserError::BadFile(format!(
                    "The file `{name}` is too large: AWS accepts files of at most {} ({MAX_FILE_BYTES} bytes) each, and this one is {how_big}. Compress it or send a part of it.",
                    crate::text::file_size(MAX_FILE_BYTES)
                )));
            }
            let Some(bytes) = &file.bytes else {
                return Err(UserError::BadFile(format!("I could not read the file `{name}`.")));
            };
            if bytes.is_empty() {
                return Err(UserError::BadFile(format!("The file `{name}` is empty.")));
            }
            Ok(NoteFile {
                name,
                bytes: bytes.to_vec(),
            })
        })
        .collect()
}

/// A file name as AWS gets it: printable, one line, without a path, at most
/// 255 characters; "file" when nothing is left.
fn clean_file_name(name: &str) -> String {
    crate::text::file_base_name(name, 255)
}
