//! Tickets and their event log. Functions take an executor so they work on
//! the pool or inside a transaction.

use std::str::FromStr;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyExecutor, Row};
use time::OffsetDateTime;

use super::{Backend, Store, StoreError, timestamp};
use crate::domain::{AccountId, Role, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStatus {
    Open,
    Resolved,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Resolved => "resolved",
        }
    }
}

impl FromStr for TicketStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(TicketStatus::Open),
            "resolved" => Ok(TicketStatus::Resolved),
            other => Err(StoreError::Corrupt(format!("ticket status {other:?}"))),
        }
    }
}

/// Where the ticket's AWS Support case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseState {
    NotRequested,
    AwaitingApproval,
    Pending,
    Created,
    Failed,
}

impl CaseState {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::NotRequested => "not_requested",
            CaseState::AwaitingApproval => "awaiting_approval",
            CaseState::Pending => "pending",
            CaseState::Created => "created",
            CaseState::Failed => "failed",
        }
    }
}

impl FromStr for CaseState {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "not_requested" => CaseState::NotRequested,
            "awaiting_approval" => CaseState::AwaitingApproval,
            "pending" => CaseState::Pending,
            "created" => CaseState::Created,
            "failed" => CaseState::Failed,
            other => return Err(StoreError::Corrupt(format!("case state {other:?}"))),
        })
    }
}

/// Who did something, as recorded on tickets and events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorRef {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// A ticket about to be opened.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    pub subject: String,
    pub description: String,
    pub severity: Severity,
    pub customer: Option<String>,
    pub account_id: Option<AccountId>,
    pub aws_service: Option<String>,
    pub opened_by: ActorRef,
    pub guild_id: Option<String>,
    pub channel_id: Option<String>,
    pub case_state: CaseState,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: i64,
    pub subject: String,
    pub description: String,
    pub severity: Severity,
    pub status: TicketStatus,
    pub customer: Option<String>,
    pub account_id: Option<AccountId>,
    pub aws_service: Option<String>,
    pub opened_by: ActorRef,
    pub guild_id: Option<String>,
    pub channel_id: Option<String>,
    pub case_state: CaseState,
    pub aws_case_id: Option<String>,
    pub aws_display_id: Option<String>,
    pub aws_case_status: Option<String>,
    pub case_attempts: i64,
    pub case_last_error: Option<String>,
    pub case_next_attempt_at: Option<String>,
    /// Written into the AWS case's subject, to find the case again.
    pub case_reference: String,
    /// `customer` once AWS has replied, until a note goes back to AWS.
    pub waiting_on: Option<String>,
    /// The AWS case's severity when the account's plan did not offer the
    /// ticket's (None: the ticket's).
    pub case_severity: Option<Severity>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    pub id: i64,
    pub ticket_id: i64,
    pub at: String,
    pub actor_id: String,
    pub actor_name: String,
    pub kind: String,
    pub detail: String,
}

fn ticket_from_row(row: &AnyRow) -> Result<Ticket, StoreError> {
    let severity: String = row.try_get("severity")?;
    let role: String = row.try_get("opened_by_role")?;
    let account: Option<String> = row.try_get("account_id")?;
    Ok(Ticket {
        id: row.try_get("id")?,
        subject: row.try_get("subject")?,
        description: row.try_get("description")?,
        severity: severity
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("severity {severity:?}")))?,
        status: row.try_get::<String, _>("status")?.parse()?,
        customer: row.try_get("customer")?,
        account_id: account
            .map(|a| a.parse().map_err(|_| StoreError::Corrupt(format!("account id {a:?}"))))
            .transpose()?,
        aws_service: row.try_get("aws_service")?,
        opened_by: ActorRef {
            id: row.try_get("opened_by_id")?,
            name: row.try_get("opened_by_name")?,
            role: match role.as_str() {
                "engineer" => Role::Engineer,
                "customer" => Role::Customer,
                other => return Err(StoreError::Corrupt(format!("role {other:?}"))),
            },
        },
        guild_id: row.try_get("guild_id")?,
        channel_id: row.try_get("channel_id")?,
        case_state: row.try_get::<String, _>("case_state")?.parse()?,
        aws_case_id: row.try_get("aws_case_id")?,
        aws_display_id: row.try_get("aws_display_id")?,
        aws_case_status: row.try_get("aws_case_status")?,
        case_attempts: row.try_get("case_attempts")?,
        case_last_error: row.try_get("case_last_error")?,
        case_next_attempt_at: row.try_get("case_next_attempt_at")?,
        case_reference: row
            .try_get::<Option<String>, _>("case_reference")?
            .unwrap_or_else(|| format!("PD-{}", row.try_get::<i64, _>("id").unwrap_or_default())),
        waiting_on: row.try_get("waiting_on")?,
        case_severity: row
            .try_get::<Option<String>, _>("case_severity")?
            .map(|s| {
                s.parse()
                    .map_err(|_| StoreError::Corrupt(format!("case severity {s:?}")))
            })
            .transpose()?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Writes new tickets inside `tx`: their rows (with their case references)
/// and `opened` events, in three statements whatever their number (the ids,
/// the rows, the events), so that a group commit costs little more than one
/// ticket. Returned in the order given.
pub(super) async fn create_many(
    tx: &mut AnyConnection,
    backend: Backend,
    tickets: &[(&NewTicket, OffsetDateTime)],
) -> Result<Vec<Ticket>, StoreError> {
    if tickets.is_empty() {
        return Ok(Vec::new());
    }
    let ids = allocate_ticket_ids(tx, backend, tickets.len()).await?;
    let references: Vec<String> = ids
        .iter()
        .map(|id| format!("PD-{id}-{:06x}", fastrand::u32(..0x100_0000)))
        .collect();

    const COLUMNS: usize = 16;
    let sql = format!(
        "INSERT INTO tickets (
             id, case_reference, subject, description, severity, customer, account_id, aws_service,
             opened_by_id, opened_by_name, opened_by_role, guild_id, channel_id,
             case_state, created_at, updated_at) VALUES {}",
        super::values_list(tickets.len(), COLUMNS)
    );
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql));
    for ((id, reference), (ticket, at)) in ids.iter().zip(&references).zip(tickets) {
        let now = timestamp(*at);
        rows = rows
            .bind(*id)
            .bind(reference.as_str())
            .bind(ticket.subject.as_str())
            .bind(ticket.description.as_str())
            .bind(ticket.severity.code())
            .bind(ticket.customer.as_deref())
            .bind(ticket.account_id.as_ref().map(AccountId::as_str))
            .bind(ticket.aws_service.as_deref())
            .bind(ticket.opened_by.id.as_str())
            .bind(ticket.opened_by.name.as_str())
            .bind(ticket.opened_by.role.as_str())
            .bind(ticket.guild_id.as_deref())
            .bind(ticket.channel_id.as_deref())
            .bind(ticket.case_state.as_str())
            .bind(now.clone())
            .bind(now);
    }
    let inserted = rows.execute(&mut *tx).await?.rows_affected();
    if inserted != tickets.len() as u64 {
        return Err(StoreError::Corrupt(format!(
            "{} tickets given, {inserted} inserted",
            tickets.len()
        )));
    }

    const EVENT_COLUMNS: usize = 6;
    let sql = format!(
        "INSERT INTO ticket_events (ticket_id, at, actor_id, actor_name, kind, detail) VALUES {}",
        super::values_list(tickets.len(), EVENT_COLUMNS)
    );
    let mut events = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (id, (ticket, at)) in ids.iter().zip(tickets) {
        events = events
            .bind(*id)
            .bind(timestamp(*at))
            .bind(ticket.opened_by.id.as_str())
            .bind(ticket.opened_by.name.as_str())
            .bind("opened")
            .bind(format!("severity {}", ticket.severity.code()));
    }
    events.execute(&mut *tx).await?;

    // The rows as written: what was given, the columns' defaults, and the
    // reference (the store's tests compare them with the rows read back).
    Ok(ids
        .into_iter()
        .zip(references)
        .zip(tickets)
        .map(|((id, case_reference), (ticket, at))| {
            let now = timestamp(*at);
            Ticket {
                id,
                subject: ticket.subject.clone(),
                description: ticket.description.clone(),
                severity: ticket.severity,
                status: TicketStatus::Open,
                customer: ticket.customer.clone(),
                account_id: ticket.account_id.clone(),
                aws_service: ticket.aws_service.clone(),
                opened_by: ticket.opened_by.clone(),
                guild_id: ticket.guild_id.clone(),
                channel_id: ticket.channel_id.clone(),
                case_state: ticket.case_state,
                aws_case_id: None,
                aws_display_id: None,
                aws_case_status: None,
                case_attempts: 0,
                case_last_error: None,
                case_next_attempt_at: None,
                case_reference,
                waiting_on: None,
                case_severity: None,
                created_at: now.clone(),
                updated_at: now,
            }
        })
        .collect())
}

/// Ids for `count` new tickets, ascending, taken before their rows are
/// written so that each row is written whole (with its case reference, which
/// names the id) in one statement.
///
/// - SQLite: the caller holds the write lock, so the ids after the highest
///   ever given (`sqlite_sequence`, which `AUTOINCREMENT` keeps, or the
///   highest row) are free; writing them moves the sequence on.
/// - PostgreSQL: drawn from the table's sequence, which every instance
///   shares; they are unique, though another instance's may fall between.
async fn allocate_ticket_ids(tx: &mut AnyConnection, backend: Backend, count: usize) -> Result<Vec<i64>, StoreError> {
    let count = count as i64;
    match backend {
        Backend::Sqlite => {
            let last: i64 = sqlx::query_scalar(
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'tickets'), 0),
                            coalesce((SELECT max(id) FROM tickets), 0))",
            )
            .fetch_one(&mut *tx)
            .await?;
            Ok((last + 1..=last + count).collect())
        }
        Backend::Postgres => {
            let mut ids: Vec<i64> = sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence('tickets', 'id')) FROM generate_series(1, $1)",
            )
            .bind(count)
            .fetch_all(&mut *tx)
            .await?;
            ids.sort_unstable();
            Ok(ids)
        }
    }
}

/// Appends an event to a ticket's log.
pub async fn record_event(
    executor: impl AnyExecutor<'_>,
    ticket_id: i64,
    actor: &ActorRef,
    kind: &str,
    detail: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, at, actor_id, actor_name, kind, detail)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ticket_id)
    .bind(timestamp(at))
    .bind(&actor.id)
    .bind(&actor.name)
    .bind(kind)
    .bind(detail)
    .execute(executor)
    .await?;
    Ok(())
}

pub async fn find(executor: impl AnyExecutor<'_>, id: i64) -> Result<Option<Ticket>, StoreError> {
    let row = sqlx::query("SELECT * FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(ticket_from_row).transpose()
}

pub async fn events(executor: impl AnyExecutor<'_>, ticket_id: i64) -> Result<Vec<TicketEvent>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, at, actor_id, actor_name, kind, detail
         FROM ticket_events WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(ticket_id)
    .fetch_all(executor)
    .await?;
    rows.iter().map(event_from_row).collect()
}

pub(super) fn event_from_row(row: &AnyRow) -> Result<TicketEvent, StoreError> {
    Ok(TicketEvent {
        id: row.try_get("id")?,
        ticket_id: row.try_get("ticket_id")?,
        at: row.try_get("at")?,
        actor_id: row.try_get("actor_id")?,
        actor_name: row.try_get("actor_name")?,
        kind: row.try_get("kind")?,
        detail: row.try_get("detail")?,
    })
}

/// Which tickets to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketQuery {
    /// Only this customer's tickets (`Some(None)`: tickets with no customer).
    pub customer: Option<Option<String>>,
    /// Only tickets opened by this user id.
    pub opened_by: Option<String>,
    pub status: Option<TicketStatus>,
    pub limit: i64,
}

/// The system actor, for changes the bot makes by itself (the case worker).
pub fn system_actor() -> ActorRef {
    ActorRef {
        id: "platform-desk".to_owned(),
        name: "platform-desk".to_owned(),
        role: Role::Engineer,
    }
}

impl Store {
    /// Opens a ticket: the row, its case reference and its `opened` event are
    /// committed together, before anything else is attempted. Concurrent
    /// openings share one commit (see the `store::group_commit` module).
    pub async fn open_ticket(&self, ticket: &NewTicket, at: OffsetDateTime) -> Result<Ticket, StoreError> {
        self.writer.create(ticket, at).await
    }

    pub async fn ticket(&self, id: i64) -> Result<Option<Ticket>, StoreError> {
        find(self.pool(), id).await
    }

    pub async fn ticket_events(&self, id: i64) -> Result<Vec<TicketEvent>, StoreError> {
        events(self.pool(), id).await
    }

    /// Tickets matching `query`, newest first.
    pub async fn list_tickets(&self, query: &TicketQuery) -> Result<Vec<Ticket>, StoreError> {
        let (customer_filter, customer) = match &query.customer {
            None => (0, None),
            Some(None) => (1, None),
            Some(Some(name)) => (2, Some(name.as_str())),
        };
        let rows = sqlx::query(
            "SELECT * FROM tickets
             WHERE ($1 = 0 OR ($1 = 1 AND customer IS NULL) OR ($1 = 2 AND customer = $2))
               AND ($3 IS NULL OR opened_by_id = $3)
               AND ($4 IS NULL OR status = $4)
             ORDER BY id DESC
             LIMIT $5",
        )
        .bind(customer_filter)
        .bind(customer)
        .bind(query.opened_by.as_deref())
        .bind(query.status.map(TicketStatus::as_str))
        .bind(if query.limit > 0 { query.limit } else { 25 })
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(ticket_from_row).collect()
    }

    /// Changes a ticket's status; false when it already had that status. A
    /// resolution is queued for the ticket's AWS case.
    pub async fn set_ticket_status(
        &self,
        id: i64,
        status: TicketStatus,
        actor: &ActorRef,
        note: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let from = match status {
            TicketStatus::Open => TicketStatus::Resolved,
            TicketStatus::Resolved => TicketStatus::Open,
        };
        let mut tx = self.write_transaction().await?;
        let changed = sqlx::query("UPDATE tickets SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(status.as_str())
            .bind(timestamp(at))
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if changed {
            let kind = match status {
                TicketStatus::Open => "reopened",
                TicketStatus::Resolved => "resolved",
            };
            record_event(&mut *tx, id, actor, kind, note, at).await?;
            if status == TicketStatus::Resolved {
                queue_case_action(&mut *tx, id, "resolve", "", false, at).await?;
            }
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Adds a note to a ticket, and queues it for the ticket's AWS case
    /// (a reply to AWS: see [`Store::add_note_as`] for the other kinds).
    pub async fn add_note(&self, id: i64, actor: &ActorRef, note: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        self.add_note_as(id, actor, note, NoteKind::ToAws, &[], at).await
    }

    /// Adds a note of `kind` to a ticket: its event, and for a reply to AWS
    /// its queued case action (held for approval, or not), in one
    /// transaction.
    pub async fn add_note_as(
        &self,
        id: i64,
        actor: &ActorRef,
        note: &str,
        kind: NoteKind,
        files: &[NoteFile],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        let mut detail = note.to_owned();
        if !files.is_empty() {
            let names: Vec<String> = files
                .iter()
                .map(|f| format!("{} ({})", f.name, crate::text::file_size(f.bytes.len() as u64)))
                .collect();
            detail.push_str(&format!("\n[attached: {}]", names.join(", ")));
        }
        record_event(&mut *tx, id, actor, kind.event_kind(), &detail, at).await?;
        let to_aws = matches!(kind, NoteKind::ToAws | NoteKind::HeldForApproval);
        // A reply goes back to AWS: the customer's side has answered.
        sqlx::query(
            "UPDATE tickets SET updated_at = $1,
                 waiting_on = CASE WHEN $2 = 1 THEN NULL ELSE waiting_on END
             WHERE id = $3",
        )
        .bind(timestamp(at))
        .bind(i64::from(to_aws))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if to_aws {
            let body = format!("{} ({}) wrote:\n\n{note}", actor.name, actor.role);
            let held = kind == NoteKind::HeldForApproval;
            let action = queue_case_action(&mut *tx, id, "communicate", &body, held, at).await?;
            for (position, file) in files.iter().enumerate() {
                sqlx::query("INSERT INTO case_action_files (action_id, position, name, bytes) VALUES ($1, $2, $3, $4)")
                    .bind(action)
                    .bind(position as i64)
                    .bind(&file.name)
                    .bind(file.bytes.as_slice())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records the severity the ticket's AWS case was opened at, when its
    /// account's plan did not offer the ticket's, with an event saying why.
    pub async fn record_case_severity(
        &self,
        id: i64,
        severity: Severity,
        detail: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        sqlx::query("UPDATE tickets SET case_severity = $1, updated_at = $2 WHERE id = $3")
            .bind(severity.code())
            .bind(timestamp(at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        record_event(&mut *tx, id, &system_actor(), "case_severity", detail, at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The files of a queued action, in order.
    pub async fn case_action_files(&self, action_id: i64) -> Result<Vec<NoteFile>, StoreError> {
        let rows = sqlx::query("SELECT name, bytes FROM case_action_files WHERE action_id = $1 ORDER BY position")
            .bind(action_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(NoteFile {
                    name: row.try_get("name")?,
                    bytes: row.try_get("bytes")?,
                })
            })
            .collect()
    }

    /// Forgets an action's attachment set (AWS no longer has it): the next
    /// attempt uploads the files again.
    pub async fn forget_attachment_set(&self, action_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE case_actions SET attachment_set_id = NULL, attachment_set_expires_at = NULL WHERE id = $1")
            .bind(action_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Remembers the attachment set AWS made for an action's files, until
    /// it expires.
    pub async fn record_attachment_set(
        &self,
        action_id: i64,
        set_id: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE case_actions SET attachment_set_id = $1, attachment_set_expires_at = $2 WHERE id = $3")
            .bind(set_id)
            .bind(timestamp(expires_at))
            .bind(action_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The ticket's queued actions that have failed so far and are retried
    /// (kind, attempts, last error), oldest first.
    pub async fn retried_case_actions(&self, id: i64) -> Result<Vec<(String, i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, attempts, last_error FROM case_actions
             WHERE ticket_id = $1 AND done_at IS NULL AND held = 0 AND last_error IS NOT NULL
             ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("kind")?,
                    row.try_get("attempts")?,
                    row.try_get("last_error")?,
                ))
            })
            .collect()
    }

    /// Replies to AWS on a ticket waiting for an engineer's approval.
    pub async fn held_replies(&self, id: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM case_actions WHERE ticket_id = $1 AND held = 1 AND done_at IS NULL",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?)
    }

    /// An engineer approves a ticket for an AWS case, and passes on the
    /// replies to AWS held for approval; false when nothing was waiting.
    pub async fn approve_case(&self, id: i64, actor: &ActorRef, at: OffsetDateTime) -> Result<bool, StoreError> {
        let mut tx = self.write_transaction().await?;
        let changed = sqlx::query(
            "UPDATE tickets SET case_state = 'pending', case_next_attempt_at = NULL, updated_at = $1
             WHERE id = $2 AND case_state IN ('awaiting_approval', 'not_requested') AND status = 'open'",
        )
        .bind(timestamp(at))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if changed {
            record_event(&mut *tx, id, actor, "approved", "AWS case requested", at).await?;
        }
        // Only an open ticket's replies go on (a resolved ticket's case is
        // resolved too).
        let released = sqlx::query(
            "UPDATE case_actions SET held = 0
             WHERE ticket_id = $1 AND held = 1 AND done_at IS NULL
               AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = $1 AND t.status = 'open')",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if released > 0 {
            let detail = match released {
                1 => "a reply to AWS passed on".to_owned(),
                n => format!("{n} replies to AWS passed on"),
            };
            record_event(&mut *tx, id, actor, "approved", &detail, at).await?;
        }
        tx.commit().await?;
        Ok(changed || released > 0)
    }

    /// Pending tickets whose next case attempt is due. A resolved ticket is
    /// due only when an earlier attempt may have reached AWS (its case is
    /// then looked for, never created).
    pub async fn due_case_attempts(&self, now: OffsetDateTime, limit: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM tickets
             WHERE case_state = 'pending' AND (status <> 'resolved' OR case_attempts > 0)
               AND (case_next_attempt_at IS NULL OR case_next_attempt_at <= $1)
             ORDER BY id LIMIT $2",
        )
        .bind(timestamp(now))
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Claims the next attempt at a ticket's AWS case: counts the attempt and
    /// holds the ticket until `hold_until`, in one committed transaction,
    /// before any call is made. Only one claimer wins; `None` for the others.
    pub async fn claim_case_attempt(
        &self,
        id: i64,
        now: OffsetDateTime,
        hold_until: OffsetDateTime,
    ) -> Result<Option<Ticket>, StoreError> {
        let mut tx = self.write_transaction().await?;
        let claimed = sqlx::query(
            "UPDATE tickets SET case_attempts = case_attempts + 1, case_next_attempt_at = $1, updated_at = $2
             WHERE id = $3 AND case_state = 'pending' AND (status <> 'resolved' OR case_attempts > 0)
               AND (case_next_attempt_at IS NULL OR case_next_attempt_at <= $4)",
        )
        .bind(timestamp(hold_until))
        .bind(timestamp(now))
        .bind(id)
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if !claimed {
            return Ok(None);
        }
        let ticket = find(&mut *tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("ticket {id} vanished")))?;
        let detail = format!("attempt {}", ticket.case_attempts);
        record_event(&mut *tx, id, &system_actor(), "case_attempt", &detail, now).await?;
        tx.commit().await?;
        Ok(Some(ticket))
    }

    /// Records the AWS case of a pending ticket.
    pub async fn record_case_created(
        &self,
        id: i64,
        case_id: &str,
        display_id: Option<&str>,
        status: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_transaction().await?;
        let changed = sqlx::query(
            "UPDATE tickets SET case_state = 'created', aws_case_id = $1, aws_display_id = $2, aws_case_status = $3,
                    case_last_error = NULL, case_next_attempt_at = NULL, updated_at = $4
             WHERE id = $5 AND case_state = 'pending'",
        )
        .bind(case_id)
        .bind(display_id)
        .bind(status)
        .bind(timestamp(at))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if changed {
            let detail = match display_id {
                Some(display) => format!("AWS case {display} ({case_id})"),
                None => format!("AWS case {case_id}"),
            };
            record_event(&mut *tx, id, &system_actor(), "case_created", &detail, at).await?;
            // A ticket resolved meanwhile has its case resolved too.
            let resolved: Option<String> =
                sqlx::query_scalar("SELECT status FROM tickets WHERE id = $1 AND status = 'resolved'")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if resolved.is_some() {
                queue_case_action(&mut *tx, id, "resolve", "", false, at).await?;
            }
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Records a failed attempt: retried at `retry_at`, or given up for good.
    pub async fn record_case_failure(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        let previous: Option<String> = sqlx::query_scalar("SELECT case_last_error FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
        sqlx::query(
            "UPDATE tickets SET case_last_error = $1, case_next_attempt_at = $2,
                    case_state = CASE WHEN $3 THEN case_state ELSE 'failed' END, updated_at = $4
             WHERE id = $5 AND case_state = 'pending'",
        )
        .bind(error)
        .bind(retry_at.map(timestamp))
        .bind(retry_at.is_some())
        .bind(timestamp(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let detail = match retry_at {
            Some(when) => format!("{error}; retrying at {}", timestamp(when)),
            None => format!("{error}; not retried"),
        };
        // The ticket's log (and thread) hears of a failure when its reason
        // is new or it is final, not on every retry for the same reason.
        let kind = if retry_at.is_some() && previous.as_deref() == Some(error) {
            "case_retry"
        } else {
            "case_failed"
        };
        record_event(&mut *tx, id, &system_actor(), kind, &detail, at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Open tickets with an AWS case, for the status sync.
    pub async fn tickets_with_open_cases(&self) -> Result<Vec<Ticket>, StoreError> {
        let rows = sqlx::query("SELECT * FROM tickets WHERE case_state = 'created' AND status = 'open' ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(ticket_from_row).collect()
    }

    /// Records an AWS case status; true (and an event) only when it changed.
    pub async fn record_case_status(&self, id: i64, status: &str, at: OffsetDateTime) -> Result<bool, StoreError> {
        let mut tx = self.write_transaction().await?;
        let previous: Option<Option<String>> = sqlx::query_scalar("SELECT aws_case_status FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(previous) = previous else {
            return Ok(false);
        };
        if previous.as_deref() == Some(status) {
            return Ok(false);
        }
        sqlx::query("UPDATE tickets SET aws_case_status = $1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(timestamp(at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let detail = format!("{} → {status}", previous.as_deref().unwrap_or("unknown"));
        record_event(&mut *tx, id, &system_actor(), "case_status", &detail, at).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Queued notes and resolutions whose ticket has an AWS case and whose
    /// time has come, oldest first.
    pub async fn due_case_actions(&self, now: OffsetDateTime, limit: i64) -> Result<Vec<CaseAction>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.ticket_id, a.kind, a.body, a.attempts, t.aws_case_id, t.account_id,
                    a.attachment_set_id, a.attachment_set_expires_at
             FROM case_actions a JOIN tickets t ON t.id = a.ticket_id
             WHERE a.done_at IS NULL AND a.held = 0 AND t.aws_case_id IS NOT NULL
               AND (a.next_attempt_at IS NULL OR a.next_attempt_at <= $1)
               -- In order per ticket: a note queued before a resolution
               -- reaches the case before it is resolved.
               AND NOT EXISTS (
                   SELECT 1 FROM case_actions b
                   WHERE b.ticket_id = a.ticket_id AND b.id < a.id AND b.done_at IS NULL AND b.held = 0)
             ORDER BY a.id LIMIT $2",
        )
        .bind(timestamp(now))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let account: Option<String> = row.try_get("account_id")?;
                Ok(CaseAction {
                    id: row.try_get("id")?,
                    ticket_id: row.try_get("ticket_id")?,
                    kind: row.try_get("kind")?,
                    body: row.try_get("body")?,
                    attempts: row.try_get("attempts")?,
                    aws_case_id: row.try_get("aws_case_id")?,
                    account_id: account.and_then(|a| a.parse().ok()),
                    attachment_set_id: row.try_get("attachment_set_id")?,
                    attachment_set_expires_at: row.try_get("attachment_set_expires_at")?,
                })
            })
            .collect()
    }

    /// Claims one attempt at a queued action before it is sent: holds it
    /// until `hold_until` and counts the attempt, in one committed
    /// statement (so an attempt cut short, its process killed mid-call, is
    /// known to the next, which looks for the note on the case before
    /// sending it again). Only one claimer wins; false for the others (and
    /// for actions done or not yet due).
    pub async fn claim_case_action(
        &self,
        id: i64,
        now: OffsetDateTime,
        hold_until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE case_actions SET next_attempt_at = $1, attempts = attempts + 1
             WHERE id = $2 AND done_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= $3)",
        )
        .bind(timestamp(hold_until))
        .bind(id)
        .bind(timestamp(now))
        .execute(self.pool())
        .await?
        .rows_affected()
            > 0)
    }

    /// Records the outcome of one attempt at a queued action: done, retried
    /// at a later time, or given up (the ticket's log says so).
    pub async fn finish_case_action(
        &self,
        action: &CaseAction,
        outcome: Result<(), (String, Option<OffsetDateTime>)>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        match &outcome {
            Ok(()) => {
                sqlx::query("UPDATE case_actions SET done_at = $1, last_error = NULL WHERE id = $2")
                    .bind(timestamp(at))
                    .bind(action.id)
                    .execute(&mut *tx)
                    .await?;
                // AWS has the files now: they leave the store.
                sqlx::query("DELETE FROM case_action_files WHERE action_id = $1")
                    .bind(action.id)
                    .execute(&mut *tx)
                    .await?;
                let detail = match action.kind.as_str() {
                    "resolve" => "AWS case resolved",
                    _ => "note added to the AWS case",
                };
                record_event(&mut *tx, action.ticket_id, &system_actor(), "case_updated", detail, at).await?;
            }
            Err((error, retry_at)) => {
                let done = retry_at.is_none().then(|| timestamp(at));
                sqlx::query(
                    "UPDATE case_actions SET last_error = $1, next_attempt_at = $2, done_at = $3
                     WHERE id = $4",
                )
                .bind(error)
                .bind(retry_at.map(timestamp))
                .bind(done)
                .bind(action.id)
                .execute(&mut *tx)
                .await?;
                if retry_at.is_none() {
                    let what = match action.kind.as_str() {
                        "resolve" => "the resolution",
                        _ => "a note",
                    };
                    let detail = format!("could not pass {what} on to the AWS case: {error}");
                    record_event(
                        &mut *tx,
                        action.ticket_id,
                        &system_actor(),
                        "case_update_failed",
                        &detail,
                        at,
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// A file sent with a note to AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What a note on a ticket is, by where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// A reply on the ticket's AWS case, queued for it.
    ToAws,
    /// A customer's reply to AWS, held until an engineer approves it.
    HeldForApproval,
    /// An engineer's note for the provider's engineers only; never sent to
    /// AWS, never shown to customers.
    Internal,
    /// A customer's note to the desk; never sent to AWS.
    ToDesk,
}

impl NoteKind {
    /// The ticket event it is recorded as.
    pub fn event_kind(self) -> &'static str {
        match self {
            NoteKind::ToAws | NoteKind::HeldForApproval => "note",
            NoteKind::Internal => INTERNAL_NOTE,
            NoteKind::ToDesk => "desk_note",
        }
    }
}

/// The event kind of an engineer's internal note: never shown to customers.
pub const INTERNAL_NOTE: &str = "internal_note";

/// Queues a note or resolution for the ticket's AWS case; a `held` one waits
/// for an engineer's approval. Returns its id.
async fn queue_case_action(
    executor: impl AnyExecutor<'_>,
    ticket_id: i64,
    kind: &str,
    body: &str,
    held: bool,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO case_actions (ticket_id, kind, body, created_at, held) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(ticket_id)
    .bind(kind)
    .bind(body)
    .bind(timestamp(at))
    .bind(i64::from(held))
    .fetch_one(executor)
    .await?)
}

/// A note or resolution waiting to reach AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseAction {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: String,
    pub body: String,
    pub attempts: i64,
    pub aws_case_id: String,
    pub account_id: Option<AccountId>,
    /// The attachment set AWS made for the action's files, while it lasts.
    pub attachment_set_id: Option<String>,
    pub attachment_set_expires_at: Option<String>,
}
