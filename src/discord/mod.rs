//! The Discord adapter (serenity): the gateway handler, rendering replies
//! into serenity's builders, and slash-command registrations built from the
//! command specs. `run` connects and serves until told to stop.

pub mod commands;
pub mod handler;
pub mod render;

use std::sync::Arc;

use serenity::all::{ClientBuilder, GatewayIntents, HttpBuilder};

use crate::app::App;
use crate::config::Secret;

/// The gateway intents: guilds and their messages, DMs, and message content
/// (privileged: without it the bot still works by slash commands, mentions
/// and DMs).
pub fn intents() -> GatewayIntents {
    GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT
}

/// Connects to Discord and serves until `shutdown` resolves; then the
/// shards close and in-flight handlers finish.
pub async fn run(
    app: Arc<App>,
    token: &Secret,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut http = HttpBuilder::new(token.expose());
    if let Some(proxy) = &app.config().discord.api_proxy {
        // serenity's rate limiter would still call discord.com itself.
        http = http.proxy(proxy.clone()).ratelimiter_disabled(true);
    }
    let mut client = ClientBuilder::new_with_http(http.build(), intents())
        .event_handler(handler::Handler::new(app))
        .await?;
    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: closing the Discord connection");
        shards.shutdown_all().await;
    });
    client.start().await?;
    Ok(())
}
