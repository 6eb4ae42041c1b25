//! The Discord adapter (serenity): the gateway handler, rendering replies
//! into serenity's builders, and slash-command registrations built from the
//! command specs. `run` connects and serves until told to stop.

pub mod commands;
pub mod handler;
pub mod once;
pub mod outages;
pub mod render;
pub mod threads;

use std::sync::Arc;

use serenity::all::{ClientBuilder, GatewayIntents, GuildId, Http, HttpBuilder};

use crate::app::App;
use crate::config::{Config, Secret};
use crate::policy::Policy;

/// The gateway intents: guilds and their messages, DMs, and message content
/// (privileged: without it the bot still works by slash commands, mentions
/// and DMs).
pub fn intents() -> GatewayIntents {
    GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT
}

fn http(config: &Config, token: &Secret) -> HttpBuilder {
    let http = HttpBuilder::new(token.expose());
    match &config.discord.api_proxy {
        // serenity's rate limiter would still call discord.com itself.
        Some(proxy) => http.proxy(proxy.clone()).ratelimiter_disabled(true),
        None => http,
    }
}

/// Registers every slash command: in the configured guilds (instant), or
/// globally. Says where they went.
pub async fn register_commands(http: &Http, config: &Config, policy: &Policy) -> anyhow::Result<String> {
    let registrations = commands::all(policy);
    let count = registrations.len();
    let guilds: Vec<u64> = config
        .discord
        .command_guild_ids
        .iter()
        .filter_map(|g| g.parse().ok())
        .collect();
    if guilds.is_empty() {
        serenity::all::Command::set_global_commands(http, registrations).await?;
        return Ok(format!(
            "{count} commands registered globally (Discord may take up to an hour to show them)"
        ));
    }
    for guild in &guilds {
        GuildId::new(*guild).set_commands(http, registrations.clone()).await?;
    }
    Ok(format!("{count} commands registered in {} guild(s)", guilds.len()))
}

/// `platform-desk register-commands`: registration without the gateway.
pub async fn register_commands_once(config: &Config, token: &Secret, policy: &Policy) -> anyhow::Result<String> {
    let http = http(config, token).build();
    let application = http.get_current_application_info().await?;
    http.set_application_id(application.id);
    register_commands(&http, config, policy).await
}

/// Connects to Discord and serves until `shutdown` resolves; then the
/// shards close and in-flight handlers finish.
pub async fn run(
    app: Arc<App>,
    token: &Secret,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut client = ClientBuilder::new_with_http(http(app.config(), token).build(), intents())
        .event_handler(handler::Handler::new(app.clone()))
        .await?;
    let threads = match app.config().discord.escalations_channel_id.as_deref() {
        Some(channel) => {
            let channel = serenity::all::ChannelId::new(channel.parse()?);
            let every = std::time::Duration::from_secs(app.config().escalations.worker_interval_seconds);
            Some(tokio::spawn(threads::run(
                client.http.clone(),
                app.store().clone(),
                channel,
                every,
            )))
        }
        None => None,
    };
    let outages = tokio::spawn(outages::run(
        client.http.clone(),
        app.clone(),
        std::time::Duration::from_secs(app.config().outages.post_interval_seconds),
    ));
    let poller = app.health_poller().map(|poller| tokio::spawn(poller.run()));
    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: closing the Discord connection");
        shards.shutdown_all().await;
    });
    let result = client.start().await;
    if let Some(threads) = threads {
        threads.abort();
    }
    outages.abort();
    if let Some(poller) = poller {
        poller.abort();
    }
    result?;
    Ok(())
}
