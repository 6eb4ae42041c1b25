//! The Discord adapter (serenity): the handler of gateway events and
//! interactions, the HTTP interactions endpoint, rendering replies into
//! serenity's builders, and slash-command registrations built from the
//! command specs. `run` serves until told to stop: the gateway while this
//! instance holds its lease, the interactions endpoint when configured, and
//! the posting loops as duties (see `fleet`).

pub mod commands;
pub mod endpoint;
pub mod handler;
pub mod notices;
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

/// Serves Discord until `shutdown` resolves: the interactions endpoint (when
/// `discord.interactions_listen` is set), the gateway connection while this
/// instance holds the `discord-gateway` lease (one instance of a fleet at a
/// time; see `gateway`), and the thread, outage and Health loops, each
/// run by one instance at a time. Then the shards close, the lease is
/// released and in-flight handlers finish.
pub async fn run(
    app: Arc<App>,
    token: &Secret,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: closing the Discord connection");
        let _ = stop.send(true);
    });
    let rest = Arc::new(http(app.config(), token).build());
    let handler = Arc::new(handler::Handler::new(app.clone()));
    let mut background = Vec::new();
    if let Some(channel) = app.config().discord.escalations_channel_id.as_deref() {
        let channel = serenity::all::ChannelId::new(channel.parse()?);
        let every = std::time::Duration::from_secs(app.config().escalations.worker_interval_seconds);
        background.push(tokio::spawn(threads::run(
            rest.clone(),
            app.store().clone(),
            app.case_worker(),
            channel,
            every,
        )));
    }
    background.push(tokio::spawn(notices::run(
        rest.clone(),
        app.clone(),
        std::time::Duration::from_secs(app.config().escalations.worker_interval_seconds),
    )));
    background.push(tokio::spawn(outages::run(
        rest.clone(),
        app.clone(),
        std::time::Duration::from_secs(app.config().outages.post_interval_seconds),
    )));
    if let Some(poller) = app.health_poller() {
        background.push(tokio::spawn(poller.run()));
    }
    let served = serve_interactions(&app, &rest, &handler, stopped.clone()).await;
    let result = match served {
        Err(error) => Err(error),
        Ok(endpoint) => {
            let result = if app.config().discord.joins_gateway() {
                gateway(&app, token, handler, stopped).await
            } else {
                let mut stopped = stopped;
                let _ = stopped.wait_for(|stop| *stop).await;
                Ok(())
            };
            if let Some(endpoint) = endpoint {
                let _ = endpoint.await;
            }
            result
        }
    };
    for task in background {
        task.abort();
    }
    // The loops are stopped: their duties go to the other instances now,
    // not when their leases expire.
    match app.store().release_leases_of(&app.store().instance_id()).await {
        Ok(0) => {}
        Ok(released) => tracing::info!(released, "duties released"),
        Err(error) => tracing::warn!(%error, "could not release this instance's duties; they expire by themselves"),
    }
    result
}

/// Starts the HTTP interactions endpoint when configured; it stops when
/// `stopped` turns true. The REST client learns the application id first
/// (the gateway's Ready would otherwise tell it), which the interactions'
/// webhooks (edits, follow-ups) need.
async fn serve_interactions(
    app: &App,
    rest: &Arc<Http>,
    handler: &Arc<handler::Handler>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let discord = &app.config().discord;
    let Some(listen) = discord.interactions_listen.as_deref() else {
        return Ok(None);
    };
    let key = discord
        .public_key
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("discord.interactions_listen needs discord.public_key"))?;
    let verifier = endpoint::verifier(key)?;
    let application = rest.get_current_application_info().await?;
    rest.set_application_id(application.id);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| anyhow::anyhow!("cannot listen on {listen} for Discord's interactions: {error}"))?;
    tracing::info!(address = %listener.local_addr()?, "serving Discord's HTTP interactions at /interactions");
    let endpoint = endpoint::Endpoint::new(verifier, handler.clone(), rest.clone());
    Ok(Some(tokio::spawn(async move {
        let stop = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        if let Err(error) = endpoint::serve(listener, endpoint, stop).await {
            tracing::error!(%error, "the interactions endpoint stopped");
        }
    })))
}

/// The gateway connection, held by one instance of a fleet at a time.
///
/// The instance waits for the `discord-gateway` lease (looking every few
/// seconds), connects while it holds it, and renews it while connected.
/// When a renewal fails (another instance took the lease, or the database
/// cannot say), it closes the connection at once and stands by again, so
/// two connections on one token, which would both receive and answer every
/// event, last at most until the lapsed holder's next renewal. A killed
/// holder's lease expires after `fleet::LEASE_TTL` and a standby connects
/// within `fleet::STANDBY_CHECK` of that: 20 seconds, plus connecting. The
/// standby's session is a new one: serenity cannot resume another
/// process's session, and Discord does not replay a session's events to a
/// new one; interactions arrive through the HTTP endpoint meanwhile, and
/// messages and interactions are acted on once whoever receives them.
async fn gateway(
    app: &Arc<App>,
    token: &Secret,
    handler: Arc<handler::Handler>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let lease = crate::fleet::Duty::new(app.store().clone(), "discord-gateway");
    loop {
        tokio::select! {
            _ = lease.acquire() => {}
            _ = stopped.wait_for(|stop| *stop) => return Ok(()),
        }
        let mut client = ClientBuilder::new_with_http(http(app.config(), token).build(), intents())
            .event_handler_arc(handler.clone())
            .await?;
        let shards = client.shard_manager.clone();
        let watcher = tokio::spawn({
            let lease = lease.clone();
            let mut stopped = stopped.clone();
            async move {
                tokio::select! {
                    _ = lease.until_lost() => {
                        tracing::warn!("the gateway lease was lost; closing this instance's connection");
                    }
                    _ = stopped.wait_for(|stop| *stop) => {}
                }
                shards.shutdown_all().await;
            }
        });
        let result = client.start().await;
        watcher.abort();
        drop(client);
        if *stopped.borrow() {
            lease.release().await;
            return Ok(());
        }
        if let Err(error) = result {
            // Discord refused the token, or the connection failed for good:
            // the gateway goes to another instance at once, and this one
            // exits with the error (as a single instance always has).
            lease.release().await;
            return Err(error.into());
        }
    }
}
