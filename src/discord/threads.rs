//! Ticket events (opened, AWS case created or failing, status changes,
//! notes, resolution) posted to one thread per ticket in the escalations
//! channel, in order, each once.
//!
//! The same exactly-once machinery as outage posts ([`super::once`]): each message's row and
//! nonce are committed before it is sent, the message is sent with
//! `enforce_nonce` (a resend after a crash or a lost response returns the
//! message already made), and its id is recorded after. The thread is
//! started from a message of its own, so creating it again (after a lost
//! response or a crash before it was recorded) finds the same thread: a
//! thread started from a message has the message's id.
//!
//! A message that keeps failing holds up only its own ticket: it is retried
//! with backoff, and after [`MAX_ATTEMPTS`] an event is set aside with a log
//! line so the thread goes on.

use std::time::Duration;

use serenity::all::{ChannelId, CreateAttachment, CreateMessage, CreateThread, Http, MessageId};
use time::OffsetDateTime;

use super::render;
use crate::reply::{limits, quote_user_text};
use crate::service::case_worker::CaseWorker;
use crate::store::{Store, TicketEvent};

/// Events looked at in one pass.
const BATCH: i64 = 50;

/// Sends of one event before it is set aside.
pub const MAX_ATTEMPTS: i64 = 5;

/// Discord's error code for a message that already has a thread.
const THREAD_ALREADY_CREATED: isize = 160_004;

/// Where the scan for unposted events starts; kept between passes.
#[derive(Debug, Default)]
pub struct Cursor(i64);

/// Posts what is pending; returns how many events went out. A ticket whose
/// message fails is retried later without holding up the others.
pub async fn post_pending(
    http: &Http,
    store: &Store,
    worker: &CaseWorker,
    channel: ChannelId,
    cursor: &mut Cursor,
    now: OffsetDateTime,
) -> anyhow::Result<usize> {
    cursor.0 = store.thread_cursor(cursor.0).await?;
    let mut posted = 0;
    let mut held_up: Vec<i64> = Vec::new();
    for event in store.unposted_events(cursor.0, now, BATCH).await? {
        if held_up.contains(&event.ticket_id) {
            continue;
        }
        match post_event(http, store, worker, channel, &event).await {
            Ok(()) => posted += 1,
            Err(error) => {
                held_up.push(event.ticket_id);
                let error = format!("{error:#}");
                set_back(store, &event, &error, now).await?;
            }
        }
    }
    Ok(posted)
}

/// Records a failed send: retried with backoff, or (an event, after
/// [`MAX_ATTEMPTS`]) set aside so that the ticket's thread goes on.
async fn set_back(store: &Store, event: &TicketEvent, error: &str, now: OffsetDateTime) -> anyhow::Result<()> {
    // The failing message is the thread's first until the thread exists.
    let failing = if store.ticket_thread(event.ticket_id).await?.is_some() {
        event.id
    } else {
        0
    };
    let claimed = store.claim_thread_post(event.ticket_id, failing, &new_nonce()).await?;
    let wait = backoff(claimed.attempts + 1);
    let retry_at = now + time::Duration::try_from(wait).unwrap_or(time::Duration::minutes(15));
    let attempts = store
        .thread_post_failed(event.ticket_id, failing, error, retry_at)
        .await?;
    if failing > 0 && attempts >= MAX_ATTEMPTS {
        store.mark_event_posted(event.ticket_id, event.id).await?;
        tracing::error!(
            ticket = event.ticket_id,
            event = event.id,
            attempts,
            error,
            "ticket event set aside: Discord refused it every time; the ticket's log still has it"
        );
    } else {
        tracing::warn!(
            ticket = event.ticket_id,
            event = event.id,
            attempts,
            error,
            retry_in_seconds = wait.as_secs(),
            "could not post a ticket event; will retry"
        );
    }
    Ok(())
}

/// 5 s, doubling, at most 15 minutes.
fn backoff(attempts: i64) -> Duration {
    let exponent = attempts.clamp(1, 10) as u32 - 1;
    Duration::from_secs(5u64.saturating_mul(2u64.pow(exponent)).min(900))
}

fn new_nonce() -> String {
    super::once::nonce('t')
}

#[tracing::instrument(name = "discord.thread_post", skip_all, fields(ticket = event.ticket_id, event = event.id))]
async fn post_event(
    http: &Http,
    store: &Store,
    worker: &CaseWorker,
    channel: ChannelId,
    event: &TicketEvent,
) -> anyhow::Result<()> {
    let thread = thread_of(http, store, channel, event.ticket_id).await?;
    let post = store.claim_thread_post(event.ticket_id, event.id, &new_nonce()).await?;
    let message_id = match post.message_id {
        Some(id) => id,
        None => {
            let (files, not_attached) = case_files(store, worker, event).await?;
            let mut content = line(event);
            if !not_attached.is_empty() {
                content.push_str(&format!(
                    "\n-# Not attached here: {}",
                    quote_user_text(&not_attached.join(", "), 600)
                ));
            }
            thread
                .send_message(http, with_buttons(once(&content, &post.nonce), event).files(files))
                .await?
                .id
                .to_string()
        }
    };
    store.record_thread_post(event.ticket_id, event.id, &message_id).await?;
    Ok(())
}

/// A message sent exactly once: its nonce committed before, enforced by
/// Discord; its content within Discord's limits; pinging nobody.
fn once(content: &str, nonce: &str) -> CreateMessage {
    super::once::once(CreateMessage::new().content(limits::content(content)), nonce)
        .allowed_mentions(render::allowed_mentions(None))
}

/// What the bot may upload with one message: Discord's smallest limit for
/// a bot (10 MiB in a guild without boosts), with room for the rest of the
/// request.
const UPLOAD_LIMIT: usize = 9_000_000;

/// The files of AWS's reply an event shows, fetched from AWS
/// (DescribeAttachment) to upload with its message, as many as fit in
/// Discord's upload limit; the others are named with their size (or why
/// they could not be fetched), to be read on the case.
async fn case_files(
    store: &Store,
    worker: &CaseWorker,
    event: &TicketEvent,
) -> anyhow::Result<(Vec<CreateAttachment>, Vec<String>)> {
    if event.kind != "aws_reply" {
        return Ok((Vec::new(), Vec::new()));
    }
    let Some(message) = store.case_message_of_event(event.id).await? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let (mut files, mut others, mut total) = (Vec::new(), Vec::new(), 0usize);
    // A reply clipped in its message comes whole as a text file (the same
    // test as the line's "attached" note).
    if event.detail.contains('…') {
        total += message.body.len();
        files.push(CreateAttachment::bytes(
            message.body.clone().into_bytes(),
            format!("aws-reply-ticket-{}.txt", event.ticket_id),
        ));
    }
    let account = store.ticket(event.ticket_id).await?.and_then(|t| t.account_id);
    for file in message.attachments {
        match worker.case_file(account.as_ref(), &file.id).await {
            Ok((_, bytes)) if total + bytes.len() <= UPLOAD_LIMIT => {
                total += bytes.len();
                files.push(CreateAttachment::bytes(bytes, limits::file_name(&file.name)));
            }
            Ok((_, bytes)) => others.push(format!(
                "{} ({})",
                file.name,
                crate::text::file_size(bytes.len() as u64)
            )),
            Err(error) => {
                tracing::warn!(%error, file = %file.name, "could not fetch a file of AWS's reply");
                others.push(format!("{} (could not be fetched from AWS)", file.name));
            }
        }
    }
    Ok((files, others))
}

/// AWS's replies carry a "Reply to AWS" button (a form whose text becomes
/// `/ticket note to:aws`).
fn with_buttons(message: CreateMessage, event: &TicketEvent) -> CreateMessage {
    if event.kind != "aws_reply" {
        return message;
    }
    let reply = crate::reply::Button {
        label: "Reply to AWS".to_owned(),
        action: crate::reply::ButtonAction::ReplyToAws {
            ticket: event.ticket_id,
        },
    };
    message.components(render::button_rows(&[reply]))
}

/// The ticket's thread, started (once) from a message of its own in the
/// escalations channel.
async fn thread_of(http: &Http, store: &Store, channel: ChannelId, ticket_id: i64) -> anyhow::Result<ChannelId> {
    if let Some(id) = store.ticket_thread(ticket_id).await? {
        return Ok(ChannelId::new(id.parse()?));
    }
    let subject = store.ticket(ticket_id).await?.map(|t| t.subject).unwrap_or_default();
    let title = format!("Ticket #{ticket_id}: {subject}");
    let starter = store.claim_thread_post(ticket_id, 0, &new_nonce()).await?;
    let starter_id = match &starter.message_id {
        Some(id) => MessageId::new(id.parse()?),
        None => {
            let text = format!("🎫 **{}**", quote_user_text(&title, 300));
            let sent = channel.send_message(http, once(&text, &starter.nonce)).await?;
            store.record_thread_post(ticket_id, 0, &sent.id.to_string()).await?;
            sent.id
        }
    };
    let thread = match channel
        .create_thread_from_message(http, starter_id, CreateThread::new(limits::thread_name(&title)))
        .await
    {
        Ok(thread) => thread.id,
        // Made before (its answer lost, or not recorded): same id.
        Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)))
            if response.error.code == THREAD_ALREADY_CREATED =>
        {
            ChannelId::new(starter_id.get())
        }
        Err(error) => return Err(error.into()),
    };
    store.set_ticket_thread(ticket_id, &thread.to_string()).await?;
    tracing::info!(ticket = ticket_id, thread = %thread, "ticket thread started");
    Ok(thread)
}

fn line(event: &TicketEvent) -> String {
    let what = match event.kind.as_str() {
        "opened" => "opened the ticket",
        "note" => "added a note (a reply on the AWS case)",
        "internal_note" => "added an internal note (not sent to AWS)",
        "desk_note" => "wrote to the desk (not sent to AWS)",
        "approved" => "approved the AWS case",
        "case_created" => "opened the AWS case",
        "case_failed" => "could not open the AWS case",
        "case_status" => "saw the AWS case status change",
        "case_severity" => "opened the AWS case at a lower severity",
        "case_updated" => "updated the AWS case",
        "case_update_failed" => "could not update the AWS case",
        "resolved" => "resolved the ticket",
        "reopened" => "reopened the ticket",
        "aws_reply" => "replied on the AWS case",
        "customer_reply" => "wrote on the AWS case",
        other => other,
    };
    let detail = if event.detail.is_empty() {
        String::new()
    } else {
        format!(": {}", quote_user_text(&event.detail, 1_500))
    };
    // A long message of the case's conversation is clipped in its event;
    // AWS's come whole as a file with the message, and `/ticket show` has
    // the latest.
    let whole = match event.kind.as_str() {
        "aws_reply" if detail.contains('…') => "\n-# The whole reply is attached.".to_owned(),
        "customer_reply" if detail.contains('…') => {
            format!("\n-# The whole message: `/ticket show id:{}`", event.ticket_id)
        }
        _ => String::new(),
    };
    format!(
        "`{}` **{}** {what}{detail}{whole}",
        event.at.get(..16).unwrap_or(&event.at).replace('T', " "),
        quote_user_text(&event.actor_name, 80)
    )
}

/// Posts pending events every `every` until the process stops, while this
/// instance holds the `thread-posts` duty (see `fleet`); failures are logged
/// and retried.
pub async fn run(
    http: std::sync::Arc<Http>,
    store: Store,
    worker: std::sync::Arc<CaseWorker>,
    channel: ChannelId,
    every: Duration,
) {
    let duty = crate::fleet::Duty::new(store.clone(), "thread-posts");
    let mut cursor = Cursor::default();
    loop {
        let now = OffsetDateTime::now_utc();
        let posted = duty
            .run_if_held(post_pending(&http, &store, &worker, channel, &mut cursor, now))
            .await;
        match &posted {
            None | Some(Ok(0)) => {}
            Some(Ok(posted)) => tracing::debug!(posted, "ticket events posted to threads"),
            Some(Err(error)) => tracing::warn!(error = %format!("{error:#}"), "could not post ticket events; retrying"),
        }
        duty.wait(every, posted.is_some()).await;
    }
}
