//! Notices to the person who opened a ticket, each sent once: the row and
//! its nonce are committed before the message is sent (see
//! `discord::once`), where it went and its id recorded after. Today one
//! event makes a notice: AWS replied on the ticket's case.

use sqlx::Row;
use time::OffsetDateTime;

use super::{Store, StoreError, TicketEvent, timestamp};

/// The event kinds whose opener is told.
pub const NOTICE_KINDS: [&str; 1] = ["aws_reply"];

/// A notice not sent within this long is moot (the opener has seen the
/// ticket by then, or been told another way); older events are not looked at.
pub const NOTICE_WINDOW: time::Duration = time::Duration::days(7);

/// Sends of one notice before it is given up.
pub const MAX_NOTICE_ATTEMPTS: i64 = 5;

/// One notice's committed intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticePost {
    pub event_id: i64,
    pub nonce: String,
    pub channel_id: Option<String>,
    pub message_id: Option<String>,
    pub attempts: i64,
}

impl Store {
    /// Events whose opener is still to be told, oldest first: not sent, not
    /// waiting for a retry, not given up.
    pub async fn pending_notices(&self, now: OffsetDateTime, limit: i64) -> Result<Vec<TicketEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.id, e.ticket_id, e.at, e.actor_id, e.actor_name, e.kind, e.detail
             FROM ticket_events e
             WHERE e.kind = $1 AND e.at > $5
               AND NOT EXISTS (
                   SELECT 1 FROM ticket_notices n
                   WHERE n.event_id = e.id
                     AND (n.message_id IS NOT NULL OR n.attempts >= $2 OR n.next_attempt_at > $3))
             ORDER BY e.id LIMIT $4",
        )
        .bind(NOTICE_KINDS[0])
        .bind(MAX_NOTICE_ATTEMPTS)
        .bind(timestamp(now))
        .bind(limit)
        .bind(timestamp(now - NOTICE_WINDOW))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(super::tickets::event_from_row).collect()
    }

    /// The notice for `event`: committed with `nonce` if new, or as it was
    /// committed before (its nonce, and its message when sent).
    pub async fn claim_notice(
        &self,
        event: &TicketEvent,
        nonce: &str,
        at: OffsetDateTime,
    ) -> Result<NoticePost, StoreError> {
        sqlx::query(
            "INSERT INTO ticket_notices (event_id, ticket_id, nonce, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event.id)
        .bind(event.ticket_id)
        .bind(nonce)
        .bind(timestamp(at))
        .execute(self.pool())
        .await?;
        let row = sqlx::query(
            "SELECT event_id, nonce, channel_id, message_id, attempts FROM ticket_notices WHERE event_id = $1",
        )
        .bind(event.id)
        .fetch_one(self.pool())
        .await?;
        Ok(NoticePost {
            event_id: row.try_get("event_id")?,
            nonce: row.try_get("nonce")?,
            channel_id: row.try_get("channel_id")?,
            message_id: row.try_get("message_id")?,
            attempts: row.try_get("attempts")?,
        })
    }

    /// The notice went out (or, `message_id` empty, had nowhere to go).
    pub async fn record_notice(&self, event_id: i64, channel_id: &str, message_id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE ticket_notices SET channel_id = $1, message_id = $2, last_error = NULL WHERE event_id = $3",
        )
        .bind(channel_id)
        .bind(message_id)
        .bind(event_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A send failed: retried at `retry_at`. Returns the attempts so far.
    pub async fn notice_failed(&self, event_id: i64, error: &str, retry_at: OffsetDateTime) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "UPDATE ticket_notices SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2
             WHERE event_id = $3 RETURNING attempts",
        )
        .bind(error)
        .bind(timestamp(retry_at))
        .bind(event_id)
        .fetch_one(self.pool())
        .await?)
    }
}
