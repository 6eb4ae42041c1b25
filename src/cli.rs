//! The command line of DESIGN.md §4: `run`, `console`, `ask`, `migrate`,
//! `check-config`. Each command loads the configuration once, starts
//! telemetry, builds the app and runs.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::app::App;
use crate::config::Config;
use crate::console::{self, Style};
use crate::domain::Role;
use crate::inbound::{Actor, Inbound};
use crate::policy::Verdict;
use crate::store::Store;
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "platform-desk",
    version,
    about = "A chat-ops support bot for AWS platform-level support"
)]
pub struct Cli {
    /// Configuration file (default: bot-config.toml in the working directory, if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to Discord and serve (token from DISCORD_TOKEN).
    Run,
    /// Talk to the bot in the terminal: each line is a chat message or a slash command.
    Console(ActorArgs),
    /// Send one message or slash command through the bot and print the reply.
    Ask(AskArgs),
    /// Open, update and follow AWS Support cases of tickets (also runs inside `console` and `run`).
    Worker(WorkerArgs),
    /// Register the slash commands with Discord (also done by `run` at start).
    RegisterCommands,
    /// Create or upgrade the database.
    Migrate,
    /// Check the configuration and the support policy, then exit.
    CheckConfig,
}

#[derive(Debug, Args)]
pub struct ActorArgs {
    /// Act as a customer or an engineer (default: console.role in the configuration).
    #[arg(long, value_enum)]
    pub role: Option<Role>,
    /// Act as this user id (default: console.user_id in the configuration).
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// As if sent in this channel id.
    #[arg(long, value_name = "ID")]
    pub channel: Option<String>,
    /// As if sent in this guild id (a guild channel; without it the channel
    /// is read as a direct message).
    #[arg(long, value_name = "ID", requires = "channel")]
    pub guild: Option<String>,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Make one pass (due case attempts, queued notes and resolutions, a status poll, an AWS Health poll) and exit.
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    #[command(flatten)]
    pub actor: ActorArgs,
    /// Print the answer as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// The message or slash command (several words are joined with spaces).
    #[arg(required = true, num_args = 1.., allow_hyphen_values = true, value_name = "TEXT")]
    pub text: Vec<String>,
}

/// Exit code when the bot itself failed (configuration, policy, database).
const FAILURE: u8 = 2;

/// Writes to standard output; when whoever reads it has gone (`| head -1`),
/// stops quietly instead of failing: the answer was given, nobody is left to
/// read the rest.
pub(crate) fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_fmt(args).and_then(|()| out.flush())
        && error.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// `println!` that stops quietly when standard output is closed.
macro_rules! say {
    () => { $crate::cli::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}
pub(crate) use say;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let working_dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let config = match Config::load(cli.config.as_deref(), &working_dir, |key| std::env::var(key).ok()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("platform-desk: {error}");
            return ExitCode::from(FAILURE);
        }
    };
    // The console shows every reply on screen, so only errors are logged to
    // the same terminal unless asked for; scripts using `ask` get warnings on
    // standard error; the server logs its work.
    let default_filter = match cli.command {
        Command::Run => "info",
        Command::Console(_) => "error",
        _ => "warn",
    };
    telemetry::init(&config.telemetry, default_filter);

    // Long-running commands run background work (the case worker) beside
    // the foreground; one-shot commands need a single thread.
    let mut builder = match cli.command {
        Command::Console(_) | Command::Run | Command::Worker(_) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(2);
            builder
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("platform-desk: cannot start the async runtime: {error}");
            return ExitCode::from(FAILURE);
        }
    };
    let result = runtime.block_on(dispatch(cli.command, config));
    match result {
        Ok(code) => code,
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "platform-desk failed");
            eprintln!("platform-desk: {error:#}");
            ExitCode::from(FAILURE)
        }
    }
}

async fn dispatch(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run => run(config).await,
        Command::Console(args) => {
            let app = App::build(config).await?;
            let actor = actor(&app, &args);
            let history = app.config().console.history_file.clone();
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let worker = tokio::spawn(app.case_worker().run(stopped));
            let result = console::run(&app, actor, history).await;
            let _ = stop.send(true);
            let _ = worker.await;
            app.close().await;
            result?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker(args) => {
            let app = App::build(config).await?;
            if args.once {
                let report = app.case_worker().run_once(true).await?;
                say!(
                    "cases created {}, still pending {}, failed {}; notes and resolutions delivered {}, waiting {}; status changes {}",
                    report.cases_created,
                    report.cases_pending,
                    report.cases_failed,
                    report.actions_done,
                    report.actions_waiting,
                    report.statuses_changed
                );
                if let Some(poller) = app.health_poller() {
                    match poller.poll_once().await {
                        Ok(report) => say!(
                            "AWS Health: {} issue events listed, {} new, {} changed",
                            report.listed,
                            report.new,
                            report.changed
                        ),
                        Err(error) => say!("AWS Health could not be read: {error}"),
                    }
                }
            } else {
                let (stop, stopped) = tokio::sync::watch::channel(false);
                let worker = tokio::spawn(app.case_worker().run(stopped));
                let poller = app.health_poller().map(|poller| tokio::spawn(poller.run()));
                shutdown_signal().await;
                tracing::info!("shutting down: finishing the current pass");
                if let Some(poller) = poller {
                    poller.abort();
                }
                let _ = stop.send(true);
                let _ = worker.await;
                // The Health poll goes to another instance at once.
                if let Err(error) = app.store().release_leases_of(&app.store().instance_id()).await {
                    tracing::warn!(%error, "could not release this instance's duties; they expire by themselves");
                }
            }
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ask(args) => {
            let app = App::build(config).await?;
            let actor = actor(&app, &args.actor);
            let answer = app.handle_local(Inbound::text(actor, args.text.join(" "))).await;
            if args.json {
                say!("{}", answer.to_json_line());
            } else {
                let style = Style {
                    colour: std::io::stdout().is_terminal(),
                };
                write_out(format_args!("{}", console::render(&answer, style)));
                console::print_saved(&answer);
            }
            app.close().await;
            // The reply is printed either way; a failure of the bot itself
            // (not a refusal) is also told by the exit code.
            Ok(if answer.failed {
                ExitCode::from(FAILURE)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::RegisterCommands => {
            let Some(token) = config.discord_token.clone() else {
                eprintln!("platform-desk: DISCORD_TOKEN is not set; it is needed to register commands.");
                return Ok(ExitCode::from(FAILURE));
            };
            let policy = crate::app::load_policy(&config)?;
            let done = crate::discord::register_commands_once(&config, &token, &policy).await?;
            say!("{done}.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let store = Store::open(&config.database.url).await?;
            let applied = store.applied_migrations().await?;
            say!(
                "Database {} is up to date ({applied} migrations applied; {}).",
                crate::store::redacted_url(&config.database.url),
                store.describe().await?
            );
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckConfig => {
            let app = App::build(config).await?;
            let policy = app.policy();
            let config = app.config();
            say!("Configuration OK ({}).", config.source);
            say!("  database:  {}", crate::store::redacted_url(&config.database.url));
            say!(
                "  policy:    {} ({} in scope, {} out of scope, {} regions, {} troubleshooting topics)",
                policy.origin,
                policy.count_by_verdict(Verdict::InScope),
                policy.count_by_verdict(Verdict::OutOfScope),
                policy.contacts.regions.len(),
                policy.troubleshooting.len()
            );
            let matcher = app.classifier().policy_matcher();
            say!(
                "  classifier: {} weights learned from the labelled corpus, {} concepts, {} words known",
                app.classifier().model_rows(),
                policy.concepts.len(),
                matcher.lexicon().stem_count()
            );
            match matcher.overlaps() {
                [] => say!("  vocabulary: no term is listed both in and out of scope"),
                overlaps => {
                    say!(
                        "  vocabulary: {} term(s) read the same for in-scope and out-of-scope items (when both items are recognized, out of scope wins):",
                        overlaps.len()
                    );
                    for overlap in overlaps {
                        say!(
                            "    {:?}: in scope for {}, out of scope for {}",
                            overlap.term,
                            overlap.in_scope.join(", "),
                            overlap.out_of_scope.join(", ")
                        );
                    }
                }
            }
            say!(
                "  console:   acts as {} ({})",
                config.console.user_id,
                config.console.role
            );
            say!(
                "  discord:   {}",
                if config.discord_token.is_some() {
                    "token set (DISCORD_TOKEN)"
                } else {
                    "no token (DISCORD_TOKEN unset): console and ask only"
                }
            );
            say!(
                "  outages:   {}; posted to {} and {} subscribed channel(s)",
                match (config.aws.is_enabled(), config.outages.health_enabled) {
                    (true, true) => format!(
                        "AWS Health polled every {} s in `run` ({} view)",
                        config.outages.poll_interval_seconds,
                        if config.outages.organization_view {
                            "organization"
                        } else {
                            "account"
                        }
                    ),
                    (false, _) => "AWS Health not followed (AWS not configured)".to_owned(),
                    (true, false) => "AWS Health switched off (outages.health_enabled)".to_owned(),
                },
                config
                    .discord
                    .outage_channel_id
                    .as_deref()
                    .map_or("no outage channel".to_owned(), |c| format!("outage channel {c}")),
                app.store().subscriptions().await?.len()
            );
            app.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let Some(token) = config.discord_token.clone() else {
        eprintln!(
            "platform-desk: refusing to start: DISCORD_TOKEN is not set.\n\
             Set it to your bot's token to connect to Discord, or try the bot offline with `platform-desk console`."
        );
        return Ok(ExitCode::from(FAILURE));
    };
    let app = std::sync::Arc::new(App::build(config).await?);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(app.case_worker().run(stopped));
    let result = crate::discord::run(app.clone(), &token, shutdown_signal()).await;
    let _ = stop.send(true);
    let _ = worker.await;
    app.close().await;
    result?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

fn actor(app: &App, args: &ActorArgs) -> Actor {
    let console = &app.config().console;
    Actor {
        user_id: args.user.clone().unwrap_or_else(|| console.user_id.clone()),
        display_name: console.display_name.clone(),
        role: args.role.unwrap_or(console.role),
        role_ids: Vec::new(),
        guild_id: args.guild.clone(),
        channel_id: args.channel.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn ask_joins_its_words_and_accepts_flags_anywhere() {
        let cli = Cli::try_parse_from([
            "platform-desk",
            "ask",
            "--json",
            "--role",
            "engineer",
            "is",
            "IAM",
            "in",
            "scope?",
        ])
        .unwrap();
        let Command::Ask(args) = cli.command else { panic!() };
        assert!(args.json);
        assert_eq!(args.actor.role, Some(Role::Engineer));
        assert_eq!(args.text.join(" "), "is IAM in scope?");
    }

    #[test]
    fn config_is_accepted_before_or_after_the_command() {
        assert!(Cli::try_parse_from(["platform-desk", "--config", "x.toml", "check-config"]).is_ok());
        assert!(Cli::try_parse_from(["platform-desk", "console", "--config", "x.toml"]).is_ok());
    }
}
