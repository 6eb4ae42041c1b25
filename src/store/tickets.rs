//! Tickets and their event log. Functions take an executor so they work on
//! the pool or inside a transaction.

use std::str::FromStr;

use sqlx::{Row, SqliteExecutor, sqlite::SqliteRow};
use time::OffsetDateTime;

use super::{Store, StoreError, timestamp};
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

fn ticket_from_row(row: &SqliteRow) -> Result<Ticket, StoreError> {
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
            .map(|a| {
                a.parse()
                    .map_err(|_| StoreError::Corrupt(format!("account id {a:?}")))
            })
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
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Inserts the ticket row; returns its id.
pub async fn insert(
    executor: impl SqliteExecutor<'_>,
    ticket: &NewTicket,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    let now = timestamp(at);
    let id = sqlx::query_scalar(
        "INSERT INTO tickets (
             subject, description, severity, customer, account_id, aws_service,
             opened_by_id, opened_by_name, opened_by_role, guild_id, channel_id,
             case_state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING id",
    )
    .bind(&ticket.subject)
    .bind(&ticket.description)
    .bind(ticket.severity.code())
    .bind(&ticket.customer)
    .bind(ticket.account_id.as_ref().map(AccountId::as_str))
    .bind(&ticket.aws_service)
    .bind(&ticket.opened_by.id)
    .bind(&ticket.opened_by.name)
    .bind(ticket.opened_by.role.as_str())
    .bind(&ticket.guild_id)
    .bind(&ticket.channel_id)
    .bind(ticket.case_state.as_str())
    .bind(&now)
    .bind(&now)
    .fetch_one(executor)
    .await?;
    Ok(id)
}

/// Appends an event to a ticket's log.
pub async fn record_event(
    executor: impl SqliteExecutor<'_>,
    ticket_id: i64,
    actor: &ActorRef,
    kind: &str,
    detail: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, at, actor_id, actor_name, kind, detail)
         VALUES (?, ?, ?, ?, ?, ?)",
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

pub async fn find(
    executor: impl SqliteExecutor<'_>,
    id: i64,
) -> Result<Option<Ticket>, StoreError> {
    let row = sqlx::query("SELECT * FROM tickets WHERE id = ?")
        .bind(id)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(ticket_from_row).transpose()
}

pub async fn events(
    executor: impl SqliteExecutor<'_>,
    ticket_id: i64,
) -> Result<Vec<TicketEvent>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, at, actor_id, actor_name, kind, detail
         FROM ticket_events WHERE ticket_id = ? ORDER BY id",
    )
    .bind(ticket_id)
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TicketEvent {
                id: row.try_get("id")?,
                ticket_id: row.try_get("ticket_id")?,
                at: row.try_get("at")?,
                actor_id: row.try_get("actor_id")?,
                actor_name: row.try_get("actor_name")?,
                kind: row.try_get("kind")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}

impl Store {
    /// Opens a ticket: the row and its `opened` event are committed together,
    /// before anything else is attempted.
    pub async fn open_ticket(
        &self,
        ticket: &NewTicket,
        at: OffsetDateTime,
    ) -> Result<Ticket, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id = insert(&mut *tx, ticket, at).await?;
        let detail = format!("severity {}", ticket.severity.code());
        record_event(&mut *tx, id, &ticket.opened_by, "opened", &detail, at).await?;
        let stored = find(&mut *tx, id).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("ticket {id} vanished inside its own transaction"))
        })?;
        tx.commit().await?;
        Ok(stored)
    }

    pub async fn ticket(&self, id: i64) -> Result<Option<Ticket>, StoreError> {
        find(self.pool(), id).await
    }

    pub async fn ticket_events(&self, id: i64) -> Result<Vec<TicketEvent>, StoreError> {
        events(self.pool(), id).await
    }
}
