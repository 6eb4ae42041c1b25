//! Telling the person who opened a ticket that AWS replied on its case, and
//! where to read it, once: in the channel the ticket was opened in when that
//! place may see the ticket (the provider's own, or the ticket's customer's:
//! `access::Directory::may_mention_ticket_in` decides), else by direct
//! message. The notice names the ticket only (its number and how to read
//! it), never the reply or any figure, so nothing of the customer's is shown
//! where others read. Sent with the exactly-once machinery of
//! [`super::once`]: the notice's row and nonce are committed before it is
//! sent, and a resend returns the message already made.

use std::sync::Arc;
use std::time::Duration;

use serenity::all::{ChannelId, CreateMessage, Http, UserId};
use time::OffsetDateTime;

use crate::app::App;
use crate::reply::limits;
use crate::store::TicketEvent;
use crate::store::notices::MAX_NOTICE_ATTEMPTS;

/// Notices looked at in one pass.
const BATCH: i64 = 50;

/// A failed notice is tried again after this long, whatever the attempt: a
/// refused DM (the user closed them) does not pass with waiting longer, and
/// a few tries are enough.
const RETRY_AFTER: time::Duration = time::Duration::seconds(30);

/// Sends whatever notices are due; returns how many went out.
pub async fn post_pending(http: &Http, app: &App, now: OffsetDateTime) -> anyhow::Result<usize> {
    let mut sent = 0;
    for event in app.store().pending_notices(now, BATCH).await? {
        match post(http, app, &event).await {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(error) => {
                let error = format!("{error:#}");
                let attempts = app.store().notice_failed(event.id, &error, now + RETRY_AFTER).await?;
                if attempts >= MAX_NOTICE_ATTEMPTS {
                    tracing::error!(
                        ticket = event.ticket_id,
                        event = event.id,
                        attempts,
                        error,
                        "notice to the ticket's opener given up: Discord refused it every time"
                    );
                } else {
                    tracing::warn!(
                        ticket = event.ticket_id,
                        event = event.id,
                        attempts,
                        error,
                        "could not tell the ticket's opener; will retry"
                    );
                }
            }
        }
    }
    Ok(sent)
}

/// Sends one notice; false when there was nobody to tell (a ticket opened
/// from the console or `ask`, or a ticket gone).
#[tracing::instrument(name = "discord.ticket_notice", skip_all, fields(ticket = event.ticket_id, event = event.id))]
async fn post(http: &Http, app: &App, event: &TicketEvent) -> anyhow::Result<bool> {
    let store = app.store();
    let post = store
        .claim_notice(event, &super::once::nonce('n'), OffsetDateTime::now_utc())
        .await?;
    if post.message_id.is_some() {
        return Ok(false);
    }
    let ticket = store.ticket(event.ticket_id).await?;
    let opener = ticket
        .as_ref()
        .and_then(|t| t.opened_by.id.parse::<u64>().ok().filter(|id| *id != 0))
        .map(UserId::new);
    let (Some(ticket), Some(opener)) = (ticket, opener) else {
        store.record_notice(event.id, "", "").await?;
        return Ok(false);
    };
    let in_place = ticket.channel_id.as_deref().filter(|channel| {
        app.directory()
            .may_mention_ticket_in(channel, ticket.guild_id.as_deref(), ticket.customer.as_deref())
    });
    let text = format!(
        "AWS Support replied on ticket #{id}. Read it with `/ticket show id:{id}`; answer with `/ticket note id:{id}`.",
        id = ticket.id
    );
    let channel = match in_place.and_then(|c| c.parse::<u64>().ok()).filter(|c| *c != 0) {
        Some(channel) => ChannelId::new(channel),
        None => opener.create_dm_channel(http).await?.id,
    };
    let content = if in_place.is_some() {
        format!("<@{opener}> {text}")
    } else {
        text
    };
    let message = super::once::once(
        CreateMessage::new()
            .content(limits::content(&content))
            .allowed_mentions(super::render::allowed_mentions(None).users(vec![opener])),
        &post.nonce,
    );
    let sent = channel.send_message(http, message).await?;
    store
        .record_notice(event.id, &channel.to_string(), &sent.id.to_string())
        .await?;
    tracing::info!(channel = %channel, "the ticket's opener was told AWS replied");
    Ok(true)
}

/// Sends due notices every `every` until the process stops, while this
/// instance holds the `ticket-notices` duty (see `fleet`).
pub async fn run(http: Arc<Http>, app: Arc<App>, every: Duration) {
    let duty = crate::fleet::Duty::new(app.store().clone(), "ticket-notices");
    loop {
        let sent = duty
            .run_if_held(post_pending(&http, &app, OffsetDateTime::now_utc()))
            .await;
        match &sent {
            None | Some(Ok(0)) => {}
            Some(Ok(sent)) => tracing::debug!(sent, "ticket notices sent"),
            Some(Err(error)) => {
                tracing::warn!(error = %format!("{error:#}"), "could not send ticket notices; retrying")
            }
        }
        duty.wait(every, sent.is_some()).await;
    }
}
