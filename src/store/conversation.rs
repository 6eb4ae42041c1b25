//! The conversation on a ticket's AWS case: each communication AWS lists
//! for it, recorded once. A new reply from AWS becomes a ticket event (so
//! that the ticket's thread shows it, through the thread poster's
//! exactly-once posts) and leaves the ticket waiting on the customer's side
//! until a note is sent back; a message sent from AWS's own console is shown
//! the same way; the desk's own messages (the case body, its notes) are
//! recorded without an event, as their notes already are.

use sqlx::Row;
use time::OffsetDateTime;

use super::tickets::{ActorRef, record_event};
use super::{Store, StoreError, timestamp};
use crate::aws::support::CaseFile;
use crate::domain::Role;

/// Characters of a reply copied into its ticket event (and so its thread
/// message); the whole text stays in the conversation.
pub const EVENT_TEXT_CHARS: usize = 1_500;

/// Who wrote a message of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// AWS Support's engineers.
    Aws,
    /// The customer's side, outside the desk (AWS's console, email).
    Customer,
    /// The desk itself: the case it opened, the notes it sent.
    Desk,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Aws => "aws",
            Origin::Customer => "customer",
            Origin::Desk => "desk",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "aws" => Ok(Origin::Aws),
            "customer" => Ok(Origin::Customer),
            "desk" => Ok(Origin::Desk),
            other => Err(StoreError::Corrupt(format!("message origin {other:?}"))),
        }
    }

    /// The ticket event a new message of this origin makes, if any.
    fn event_kind(self) -> Option<&'static str> {
        match self {
            Origin::Aws => Some("aws_reply"),
            Origin::Customer => Some("customer_reply"),
            Origin::Desk => None,
        }
    }
}

/// One message of a case's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMessage {
    pub origin: Origin,
    pub submitted_by: String,
    /// When AWS recorded it (RFC 3339, as AWS gives it).
    pub time_created: String,
    pub body: String,
    pub attachments: Vec<CaseFile>,
}

impl CaseMessage {
    /// What tells this message apart from every other on the same ticket:
    /// when AWS recorded it, who sent it and what it says (AWS gives
    /// communications no id). FNV-1a, 64 bits, in hex.
    pub fn fingerprint(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for part in [&self.time_created, &self.submitted_by, &self.body] {
            for byte in part.bytes().chain([0x1f]) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    }

    /// The text of its ticket event: the start of the message, and the
    /// names of its attachments.
    fn event_text(&self) -> String {
        let mut text: String = self.body.trim().chars().take(EVENT_TEXT_CHARS).collect();
        if text.len() < self.body.trim().len() {
            text.push('…');
        }
        if !self.attachments.is_empty() {
            let names: Vec<&str> = self.attachments.iter().map(|f| f.name.as_str()).collect();
            text.push_str(&format!("\n[attached: {}]", names.join(", ")));
        }
        text
    }
}

impl Store {
    /// Records one message of a ticket's case conversation, once: true when
    /// it was new. A new message from AWS or from the customer's side is
    /// also a ticket event, and one from AWS leaves the ticket waiting on
    /// the customer; the desk's own messages are only recorded.
    pub async fn record_case_message(
        &self,
        ticket_id: i64,
        message: &CaseMessage,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let attachments = serde_json::to_string(&message.attachments)
            .map_err(|e| StoreError::Corrupt(format!("attachment names: {e}")))?;
        let mut tx = self.write_transaction().await?;
        let new = sqlx::query(
            "INSERT INTO case_messages
                 (ticket_id, fingerprint, origin, submitted_by, time_created, body, attachments, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (ticket_id, fingerprint) DO NOTHING",
        )
        .bind(ticket_id)
        .bind(message.fingerprint())
        .bind(message.origin.as_str())
        .bind(&message.submitted_by)
        .bind(&message.time_created)
        .bind(&message.body)
        .bind(attachments)
        .bind(timestamp(at))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if new && let Some(kind) = message.origin.event_kind() {
            let actor = ActorRef {
                id: format!("aws:{}", message.submitted_by),
                name: match message.origin {
                    Origin::Aws => "AWS Support".to_owned(),
                    _ => format!("{} (through AWS)", message.submitted_by),
                },
                role: Role::Customer,
            };
            record_event(&mut *tx, ticket_id, &actor, kind, &message.event_text(), at).await?;
            // The event just written (this transaction holds the write lock).
            sqlx::query(
                "UPDATE case_messages SET event_id = (SELECT max(id) FROM ticket_events WHERE ticket_id = $1)
                 WHERE ticket_id = $1 AND fingerprint = $2",
            )
            .bind(ticket_id)
            .bind(message.fingerprint())
            .execute(&mut *tx)
            .await?;
            let waiting_on = (message.origin == Origin::Aws).then_some("customer");
            sqlx::query("UPDATE tickets SET waiting_on = $1, updated_at = $2 WHERE id = $3")
                .bind(waiting_on)
                .bind(timestamp(at))
                .bind(ticket_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    /// The message a ticket event shows (AWS's reply), if any.
    pub async fn case_message_of_event(&self, event_id: i64) -> Result<Option<CaseMessage>, StoreError> {
        let row = sqlx::query(
            "SELECT origin, submitted_by, time_created, body, attachments FROM case_messages WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(message_from_row).transpose()
    }

    /// When the newest recorded message of a ticket's case was created, as
    /// AWS gave it; the next read starts there.
    pub async fn latest_case_message_time(&self, ticket_id: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT max(time_created) FROM case_messages WHERE ticket_id = $1")
                .bind(ticket_id)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// The last `limit` messages of a ticket's case conversation, oldest
    /// first.
    pub async fn case_messages(&self, ticket_id: i64, limit: i64) -> Result<Vec<CaseMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT origin, submitted_by, time_created, body, attachments FROM case_messages
             WHERE ticket_id = $1 ORDER BY time_created DESC, recorded_at DESC LIMIT $2",
        )
        .bind(ticket_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut messages = rows
            .iter()
            .map(message_from_row)
            .collect::<Result<Vec<_>, StoreError>>()?;
        messages.reverse();
        Ok(messages)
    }
}

fn message_from_row(row: &sqlx::any::AnyRow) -> Result<CaseMessage, StoreError> {
    let attachments: String = row.try_get("attachments")?;
    Ok(CaseMessage {
        origin: Origin::parse(&row.try_get::<String, _>("origin")?)?,
        submitted_by: row.try_get("submitted_by")?,
        time_created: row.try_get("time_created")?,
        body: row.try_get("body")?,
        attachments: serde_json::from_str(&attachments)
            .map_err(|e| StoreError::Corrupt(format!("attachment names: {e}")))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> CaseMessage {
        CaseMessage {
            origin: Origin::Aws,
            submitted_by: "Amazon Web Services".into(),
            time_created: "2026-11-30T10:00:00.000Z".into(),
            body: body.into(),
            attachments: vec![],
        }
    }

    #[test]
    fn fingerprints_tell_messages_apart_by_time_sender_and_text() {
        let a = message("Please send the agent log.");
        assert_eq!(a.fingerprint(), message("Please send the agent log.").fingerprint());
        assert_ne!(a.fingerprint(), message("Please send the agent log!").fingerprint());
        let later = CaseMessage {
            time_created: "2026-11-30T10:00:01.000Z".into(),
            ..a.clone()
        };
        assert_ne!(a.fingerprint(), later.fingerprint());
        // The separator keeps "ab" + "c" apart from "a" + "bc".
        let shifted = CaseMessage {
            submitted_by: "Amazon Web ServicesP".into(),
            body: "lease send the agent log.".into(),
            ..a.clone()
        };
        assert_ne!(a.fingerprint(), shifted.fingerprint());
        assert_eq!(a.fingerprint().len(), 16);
    }

    #[test]
    fn an_event_carries_the_start_of_a_long_reply_and_the_attachment_names() {
        let mut long = message(&"x".repeat(EVENT_TEXT_CHARS + 10));
        long.attachments = ["agent.log", "trace.har"]
            .map(|name| CaseFile {
                id: format!("id-{name}"),
                name: name.into(),
            })
            .to_vec();
        let text = long.event_text();
        assert!(text.starts_with(&"x".repeat(EVENT_TEXT_CHARS)));
        assert!(text.contains('…'));
        assert!(text.ends_with("[attached: agent.log, trace.har]"));
        assert_eq!(message(" short ").event_text(), "short");
    }
}
