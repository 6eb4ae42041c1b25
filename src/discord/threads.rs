//! Ticket events (opened, AWS case created or failing, status changes,
//! notes, resolution) posted to one thread per ticket in the escalations
//! channel, in order, each once. An event is marked posted only after
//! Discord accepted it, so a failure is retried on the next pass.

use std::time::Duration;

use serenity::all::{ChannelId, ChannelType, CreateMessage, CreateThread, Http};

use super::render;
use crate::reply::quote_user_text;
use crate::store::{Store, TicketEvent};

/// Events looked at in one pass.
const BATCH: i64 = 50;

/// Posts what is pending; returns how many events went out.
pub async fn post_pending(http: &Http, store: &Store, channel: ChannelId) -> anyhow::Result<usize> {
    let mut posted = 0;
    for event in store.unposted_events(BATCH).await? {
        let thread = match store.ticket_thread(event.ticket_id).await? {
            Some(id) => ChannelId::new(id.parse()?),
            None => {
                let subject = store
                    .ticket(event.ticket_id)
                    .await?
                    .map(|t| t.subject)
                    .unwrap_or_default();
                let name = crate::text::clip_chars(&format!("Ticket #{}: {subject}", event.ticket_id), 100).to_owned();
                let thread = channel
                    .create_thread(http, CreateThread::new(name).kind(ChannelType::PublicThread))
                    .await?;
                store.set_ticket_thread(event.ticket_id, &thread.id.to_string()).await?;
                thread.id
            }
        };
        thread
            .send_message(
                http,
                CreateMessage::new()
                    .content(line(&event))
                    .allowed_mentions(render::allowed_mentions(None)),
            )
            .await?;
        store.mark_event_posted(event.ticket_id, event.id).await?;
        posted += 1;
    }
    Ok(posted)
}

fn line(event: &TicketEvent) -> String {
    let what = match event.kind.as_str() {
        "opened" => "opened the ticket",
        "note" => "added a note",
        "approved" => "approved the AWS case",
        "case_attempt" => "tried to open the AWS case",
        "case_created" => "opened the AWS case",
        "case_failed" => "could not open the AWS case",
        "case_status" => "saw the AWS case status change",
        "case_updated" => "updated the AWS case",
        "case_update_failed" => "could not update the AWS case",
        "resolved" => "resolved the ticket",
        "reopened" => "reopened the ticket",
        other => other,
    };
    let detail = if event.detail.is_empty() {
        String::new()
    } else {
        format!(": {}", quote_user_text(&event.detail, 1_500))
    };
    format!(
        "`{}` **{}** {what}{detail}",
        event.at.get(..16).unwrap_or(&event.at).replace('T', " "),
        quote_user_text(&event.actor_name, 80)
    )
}

/// Posts pending events every `every` until the process stops; failures
/// are logged and retried on the next pass.
pub async fn run(http: std::sync::Arc<Http>, store: Store, channel: ChannelId, every: Duration) {
    loop {
        match post_pending(&http, &store, channel).await {
            Ok(0) => {}
            Ok(posted) => tracing::debug!(posted, "ticket events posted to threads"),
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "could not post ticket events; retrying"),
        }
        tokio::time::sleep(every).await;
    }
}
