//! Outage posts: one message per outage and channel, edited as the outage
//! changes and marked resolved when it closes.
//!
//! Exactly once ([`super::once`]): the post's row and its nonce are
//! committed before the message is sent with `enforce_nonce`, so a resend
//! after a crash (or a lost response) returns the message already made
//! instead of a second one. The message id and the revision it shows are
//! then recorded in one statement; edits are idempotent by nature.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serenity::all::{ChannelId, CreateMessage, EditMessage, Http, MessageId, RoleId};

use super::render;
use crate::app::App;
use crate::service::outage::{Delivery, announcement, deliveries, reconcile_escalations};

/// Discord's error code for a message that no longer exists.
const UNKNOWN_MESSAGE: isize = 10008;

fn new_nonce() -> String {
    super::once::nonce('o')
}

/// Posts that failed, and when to try them again: a channel the bot cannot
/// write to is retried less and less often instead of every pass.
#[derive(Debug, Default)]
pub struct Retries {
    failed: HashMap<(i64, String), (u32, Instant)>,
}

impl Retries {
    fn due(&self, key: &(i64, String)) -> bool {
        self.failed.get(key).is_none_or(|(_, at)| Instant::now() >= *at)
    }

    /// Records a failure; returns the wait before the next try.
    fn failed(&mut self, key: (i64, String), every: Duration) -> Duration {
        let failures = self.failed.get(&key).map_or(0, |(n, _)| *n) + 1;
        let wait = (every * 2u32.saturating_pow(failures.min(10))).min(MAX_RETRY_WAIT);
        self.failed.insert(key, (failures, Instant::now() + wait));
        wait
    }
}

/// The longest wait before retrying a failed post.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(900);

/// Sends what is pending; returns how many messages were posted or edited.
/// A channel that fails is logged and retried later (see [`Retries`]),
/// without holding up the others.
pub async fn post_pending(http: &Http, app: &App, retries: &mut Retries, every: Duration) -> anyhow::Result<usize> {
    let store = app.store();
    let config = app.config();
    let now = app.clock().now();
    let closed_since = now - time::Duration::hours(config.outages.announce_closed_within_hours as i64);
    reconcile_escalations(store, now).await?;
    let subscriptions = store.subscriptions().await?;
    let outage_channel = config.discord.outage_channel_id.as_deref();
    let mut sent = 0;
    for outage in store.outages_to_post(closed_since).await? {
        let posts = store.outage_posts(outage.id).await?;
        for delivery in deliveries(&outage, &subscriptions, outage_channel, app.directory(), &posts) {
            let key = (outage.id, delivery.channel_id.clone());
            if !retries.due(&key) {
                continue;
            }
            match deliver(http, app, &delivery).await {
                Ok(()) => {
                    retries.failed.remove(&key);
                    sent += 1;
                }
                Err(error) => {
                    let wait = retries.failed(key, every);
                    tracing::warn!(
                        outage = delivery.outage.id,
                        channel = %delivery.channel_id,
                        error = %format!("{error:#}"),
                        retry_in_seconds = wait.as_secs(),
                        "could not post the outage; will retry"
                    );
                }
            }
        }
    }
    Ok(sent)
}

#[tracing::instrument(name = "discord.outage_post", skip_all, fields(outage = delivery.outage.id, channel = %delivery.channel_id))]
async fn deliver(http: &Http, app: &App, delivery: &Delivery) -> anyhow::Result<()> {
    let store = app.store();
    let now = app.clock().now();
    let outage = &delivery.outage;
    let channel = ChannelId::new(delivery.channel_id.parse()?);
    let readers = delivery.readers.audience(app.directory());
    let shown = announcement(outage, readers, app.directory(), app.policy(), now);
    let fitted = crate::reply::Reply::embed(shown.embed).fit_to_discord();
    let embed = render::embed(
        fitted
            .embeds
            .first()
            .ok_or_else(|| anyhow::anyhow!("an empty outage post"))?,
    );

    let post = match &delivery.post {
        Some(post) => post.clone(),
        None => {
            store
                .claim_outage_post(outage.id, &delivery.channel_id, &new_nonce(), now)
                .await?
        }
    };
    // The one role the bot may ping, for critical outages in internal
    // channels, once per outage and channel.
    let on_call = app
        .config()
        .discord
        .on_call_role_id
        .as_deref()
        .and_then(|r| r.parse::<u64>().ok())
        .map(RoleId::new)
        .filter(|_| shown.ping_on_call && !post.pinged);
    // Content, like every byte sent, within Discord's limits.
    let ping = |role: RoleId| crate::reply::limits::content(&format!("<@&{role}> 🚨 critical, outage #{}", outage.id));

    let Some(message_id) = &post.message_id else {
        let mut message = super::once::once(CreateMessage::new().embed(embed), &post.nonce)
            .allowed_mentions(render::allowed_mentions(on_call));
        if let Some(role) = on_call {
            message = message.content(ping(role));
        }
        let sent = channel.send_message(http, message).await?;
        store
            .record_outage_post(
                outage.id,
                &delivery.channel_id,
                &sent.id.to_string(),
                outage.revision,
                on_call.is_some(),
                now,
            )
            .await?;
        tracing::info!(message = %sent.id, revision = outage.revision, "outage posted");
        return Ok(());
    };

    let message_id = MessageId::new(message_id.parse()?);
    match channel
        .edit_message(http, message_id, EditMessage::new().embed(embed))
        .await
    {
        Ok(_) => {}
        Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(response)))
            if response.error.code == UNKNOWN_MESSAGE =>
        {
            // Someone deleted it: the next pass posts it afresh.
            store
                .forget_outage_message(outage.id, &delivery.channel_id, &new_nonce())
                .await?;
            tracing::info!("the outage message was deleted; posting it again");
            return Ok(());
        }
        Err(error) => return Err(error.into()),
    }
    // An outage that became critical: an edit notifies no one, so the
    // on-call role gets a reply to the message (deduplicated by its own
    // nonce, like the post).
    if let Some(role) = on_call {
        channel
            .send_message(
                http,
                super::once::once(
                    CreateMessage::new()
                        .content(ping(role))
                        .reference_message((channel, message_id)),
                    &format!("{}p", post.nonce),
                )
                .allowed_mentions(render::allowed_mentions(Some(role))),
            )
            .await?;
    }
    store
        .record_outage_post(
            outage.id,
            &delivery.channel_id,
            &message_id.to_string(),
            outage.revision,
            on_call.is_some(),
            now,
        )
        .await?;
    tracing::info!(
        revision = outage.revision,
        pinged = on_call.is_some(),
        "outage post edited"
    );
    Ok(())
}

/// Posts pending outages every `every` until the process stops, while this
/// instance holds the `outage-posts` duty (see `fleet`).
pub async fn run(http: Arc<Http>, app: Arc<App>, every: Duration) {
    let duty = crate::fleet::Duty::new(app.store().clone(), "outage-posts");
    let mut retries = Retries::default();
    loop {
        let sent = duty.run_if_held(post_pending(&http, &app, &mut retries, every)).await;
        match &sent {
            None | Some(Ok(0)) => {}
            Some(Ok(sent)) => tracing::debug!(sent, "outage posts sent"),
            Some(Err(error)) => tracing::warn!(error = %format!("{error:#}"), "could not post outages; retrying"),
        }
        duty.wait(every, sent.is_some()).await;
    }
}
