//! Which Discord thread follows which ticket, which events it has shown, and
//! each thread message's committed intent (its nonce, then its id).

use sqlx::Row;
use time::OffsetDateTime;

use super::{Store, StoreError, TicketEvent, timestamp};

/// Event kinds kept in the ticket's log but not posted to its thread: every
/// attempt at the AWS case, and retries for a reason already posted.
pub const UNPOSTED_KINDS: [&str; 2] = ["case_attempt", "case_retry"];

/// One message in a ticket's thread: committed (with its nonce) before it
/// is sent, its id recorded after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadPost {
    pub ticket_id: i64,
    /// The event shown; 0 for the message the thread starts from.
    pub event_id: i64,
    pub nonce: String,
    pub message_id: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
}

impl Store {
    /// Events not yet posted to their ticket's thread, oldest first, with
    /// ids above `after` (every event up to it is posted or set aside, so the
    /// scan starts there, not at the first event ever), leaving out tickets
    /// whose next message is waiting to be retried.
    pub async fn unposted_events(
        &self,
        after: i64,
        now: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<TicketEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.id, e.ticket_id, e.at, e.actor_id, e.actor_name, e.kind, e.detail
             FROM ticket_events e LEFT JOIN ticket_threads t ON t.ticket_id = e.ticket_id
             WHERE e.id > $1 AND e.id > coalesce(t.last_event_id, 0) AND e.kind NOT IN ($2, $3)
               AND NOT EXISTS (
                   SELECT 1 FROM thread_posts p
                   WHERE p.ticket_id = e.ticket_id AND p.next_attempt_at > $4
                     AND ((p.event_id = 0 AND t.thread_id IS NULL)
                          OR (p.event_id > coalesce(t.last_event_id, 0) AND p.message_id IS NULL)))
             ORDER BY e.id LIMIT $5",
        )
        .bind(after)
        .bind(UNPOSTED_KINDS[0])
        .bind(UNPOSTED_KINDS[1])
        .bind(timestamp(now))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(super::tickets::event_from_row).collect()
    }

    /// Where the next scan for unposted events may start: just before the
    /// oldest event not yet posted after `after`, or the newest event when
    /// all are posted. Reads in id order from `after` and stops at the first.
    pub async fn thread_cursor(&self, after: i64) -> Result<i64, StoreError> {
        let newest: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM ticket_events")
            .fetch_one(self.pool())
            .await?;
        let first: Option<i64> = sqlx::query_scalar(
            "SELECT e.id FROM ticket_events e LEFT JOIN ticket_threads t ON t.ticket_id = e.ticket_id
             WHERE e.id > $1 AND e.id > coalesce(t.last_event_id, 0) AND e.kind NOT IN ($2, $3)
             ORDER BY e.id LIMIT 1",
        )
        .bind(after)
        .bind(UNPOSTED_KINDS[0])
        .bind(UNPOSTED_KINDS[1])
        .fetch_optional(self.pool())
        .await?;
        Ok(first.map_or(newest, |id| id - 1))
    }

    pub async fn ticket_thread(&self, ticket_id: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT thread_id FROM ticket_threads WHERE ticket_id = $1")
                .bind(ticket_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    pub async fn set_ticket_thread(&self, ticket_id: i64, thread_id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ticket_threads (ticket_id, thread_id) VALUES ($1, $2)
             ON CONFLICT (ticket_id) DO UPDATE SET thread_id = excluded.thread_id",
        )
        .bind(ticket_id)
        .bind(thread_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Marks an event shown (or set aside) in its ticket's thread.
    pub async fn mark_event_posted(&self, ticket_id: i64, event_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE ticket_threads SET last_event_id = CASE WHEN last_event_id > $1 THEN last_event_id ELSE $1 END WHERE ticket_id = $2")
            .bind(event_id)
            .bind(ticket_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The committed intent to post a thread message: made with `nonce` the
    /// first time, the same row (and nonce) every time after.
    pub async fn claim_thread_post(
        &self,
        ticket_id: i64,
        event_id: i64,
        nonce: &str,
    ) -> Result<ThreadPost, StoreError> {
        sqlx::query(
            "INSERT INTO thread_posts (ticket_id, event_id, nonce) VALUES ($1, $2, $3)
             ON CONFLICT (ticket_id, event_id) DO NOTHING",
        )
        .bind(ticket_id)
        .bind(event_id)
        .bind(nonce)
        .execute(self.pool())
        .await?;
        let row = sqlx::query(
            "SELECT ticket_id, event_id, nonce, message_id, attempts, next_attempt_at FROM thread_posts
             WHERE ticket_id = $1 AND event_id = $2",
        )
        .bind(ticket_id)
        .bind(event_id)
        .fetch_one(self.pool())
        .await?;
        Ok(ThreadPost {
            ticket_id: row.try_get("ticket_id")?,
            event_id: row.try_get("event_id")?,
            nonce: row.try_get("nonce")?,
            message_id: row.try_get("message_id")?,
            attempts: row.try_get("attempts")?,
            next_attempt_at: row.try_get("next_attempt_at")?,
        })
    }

    /// Records the message a thread post made; for an event, marks it
    /// posted in the same transaction.
    pub async fn record_thread_post(&self, ticket_id: i64, event_id: i64, message_id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "UPDATE thread_posts SET message_id = $1, last_error = NULL, next_attempt_at = NULL
             WHERE ticket_id = $2 AND event_id = $3",
        )
        .bind(message_id)
        .bind(ticket_id)
        .bind(event_id)
        .execute(&mut *tx)
        .await?;
        if event_id > 0 {
            sqlx::query("UPDATE ticket_threads SET last_event_id = CASE WHEN last_event_id > $1 THEN last_event_id ELSE $1 END WHERE ticket_id = $2")
                .bind(event_id)
                .bind(ticket_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed send and when to try again; returns the attempts
    /// made so far.
    pub async fn thread_post_failed(
        &self,
        ticket_id: i64,
        event_id: i64,
        error: &str,
        retry_at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "UPDATE thread_posts SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2
             WHERE ticket_id = $3 AND event_id = $4 RETURNING attempts",
        )
        .bind(error)
        .bind(timestamp(retry_at))
        .bind(ticket_id)
        .bind(event_id)
        .fetch_one(self.pool())
        .await?)
    }
}
