//! Which Discord thread follows which ticket, and which events it has shown.

use super::{Store, StoreError, TicketEvent};

impl Store {
    /// Events not yet posted to their ticket's thread, oldest first.
    pub async fn unposted_events(&self, limit: i64) -> Result<Vec<TicketEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.id, e.ticket_id, e.at, e.actor_id, e.actor_name, e.kind, e.detail
             FROM ticket_events e LEFT JOIN ticket_threads t ON t.ticket_id = e.ticket_id
             WHERE e.id > coalesce(t.last_event_id, 0)
             ORDER BY e.id LIMIT ?",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(super::tickets::event_from_row).collect()
    }

    pub async fn ticket_thread(&self, ticket_id: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT thread_id FROM ticket_threads WHERE ticket_id = ?")
                .bind(ticket_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    pub async fn set_ticket_thread(&self, ticket_id: i64, thread_id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ticket_threads (ticket_id, thread_id) VALUES (?, ?)
             ON CONFLICT (ticket_id) DO UPDATE SET thread_id = excluded.thread_id",
        )
        .bind(ticket_id)
        .bind(thread_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn mark_event_posted(&self, ticket_id: i64, event_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE ticket_threads SET last_event_id = max(last_event_id, ?) WHERE ticket_id = ?")
            .bind(event_id)
            .bind(ticket_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
