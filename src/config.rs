//! Typed configuration, loaded once at start in layers: built-in defaults, then
//! `bot-config.toml` (or `--config FILE`), then the environment. Unknown keys
//! are errors, so a typo never silently falls back to a default. Nothing else
//! in the crate reads the environment.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::{AccountId, Role};

/// The file used when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "bot-config.toml";
/// The database used when neither the file nor `DATABASE_URL` name one.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://platform-desk.db";

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub database: DatabaseConfig,
    pub policy: PolicyConfig,
    pub console: ConsoleConfig,
    pub telemetry: TelemetryConfig,
    pub aws: AwsConfig,
    pub escalations: EscalationConfig,
    pub spend: SpendConfig,
    pub outages: OutagesConfig,
    pub discord: DiscordConfig,
    pub engineers: EngineersConfig,
    /// The provider's customers: which AWS accounts and which Discord guilds,
    /// channels, roles and users belong to each.
    pub customers: Vec<CustomerConfig>,
    /// Where the configuration came from, for `check-config` and logs.
    #[serde(skip)]
    pub source: ConfigSource,
    /// From `DISCORD_TOKEN` only: secrets never live in the file.
    #[serde(skip)]
    pub discord_token: Option<Secret>,
}

/// A secret that never shows in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// sqlx's URL form: `sqlite://path/to.db` (one machine, the default) or
    /// `postgres://user:password@host/database` (several instances).
    /// `DATABASE_URL` overrides it.
    pub url: String,
}

/// Shown without the URL's password, wherever the configuration is logged.
impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &crate::store::redacted_url(&self.url))
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// An operator's own policy file; the embedded default when absent.
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// The role the console and `ask` act as, unless `--role` says otherwise.
    pub role: Role,
    /// The user id the console and `ask` act as, unless `--user` says otherwise.
    pub user_id: String,
    pub display_name: String,
    /// Where the console keeps its line history; none when absent.
    pub history_file: Option<PathBuf>,
}

/// AWS settings beyond the SDK's standard chain (`AWS_PROFILE`, `AWS_REGION`,
/// `AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`...), which is always used.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AwsConfig {
    /// true: call AWS through the SDK chain (including instance metadata);
    /// false: never; unset: only when the environment configures AWS
    /// (`AWS_ACCESS_KEY_ID`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, web identity or
    /// container credentials), so that an offline console never reaches out.
    pub enabled: Option<bool>,
    /// Region for the SDK when the environment names none.
    pub region: Option<String>,
    /// Where the AWS Support API is called: us-east-1 in the commercial partition.
    pub support_region: String,
    /// The role assumed in a customer's member account to open cases there.
    pub member_role_name: String,
    /// One AWS call is abandoned (and retried later) after this many seconds.
    pub call_timeout_seconds: u64,
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            enabled: None,
            region: None,
            support_region: "us-east-1".to_owned(),
            member_role_name: "OrganizationAccountAccessRole".to_owned(),
            call_timeout_seconds: 10,
        }
    }
}

/// How escalations become AWS Support cases.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EscalationConfig {
    /// Used when the ticket names no service, or DescribeServices is unavailable.
    pub default_service_code: String,
    pub default_category_code: String,
    /// Language of the cases (AWS accepts en, ja, zh, ko).
    pub language: String,
    /// Copied on every case, e.g. the provider's support mailbox (at most 10).
    pub cc_email_addresses: Vec<String>,
    /// First retry delay after an AWS failure; doubles each time, with jitter.
    pub retry_initial_seconds: u64,
    /// The longest delay between two retries.
    pub retry_max_seconds: u64,
    /// How often the worker looks for due retries and queued case actions.
    pub worker_interval_seconds: u64,
    /// How often open tickets' AWS cases are polled for status changes.
    pub sync_interval_seconds: u64,
    /// After a CreateCase or a note whose outcome is unknown (no answer in
    /// time, or the answer lost), the least wait before trying again, so
    /// that AWS has finished what it may still be doing before the lookup.
    pub settle_seconds: u64,
    /// A customer's reply to AWS (`/ticket note` to AWS) waits for an
    /// engineer's approval, as their escalations do, before it is sent.
    pub approve_customer_replies: bool,
}

impl Default for EscalationConfig {
    fn default() -> Self {
        Self {
            default_service_code: "general-info".to_owned(),
            default_category_code: "using-aws".to_owned(),
            language: "en".to_owned(),
            cc_email_addresses: Vec::new(),
            retry_initial_seconds: 10,
            retry_max_seconds: 900,
            worker_interval_seconds: 5,
            sync_interval_seconds: 300,
            settle_seconds: 120,
            approve_customer_replies: false,
        }
    }
}

/// Outage notifications: AWS Health polling and channel posts.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OutagesConfig {
    /// Follow AWS Health in `run` (when AWS is configured).
    pub health_enabled: bool,
    /// Read the whole organization's events (DescribeEventsForOrganization;
    /// needs the organization view switched on in AWS Health) instead of the
    /// bot's own account's.
    pub organization_view: bool,
    /// How often AWS Health is polled.
    pub poll_interval_seconds: u64,
    /// The longest wait between polls after failures (the wait doubles, with
    /// jitter, from the poll interval).
    pub max_backoff_seconds: u64,
    /// How often pending outage posts and edits are sent to Discord.
    pub post_interval_seconds: u64,
    /// An event first seen already closed is still announced (as resolved)
    /// when it ended less than this many hours ago; older ones are only
    /// recorded, so a first start does not replay 90 days of history.
    pub announce_closed_within_hours: u64,
}

impl Default for OutagesConfig {
    fn default() -> Self {
        Self {
            health_enabled: true,
            organization_view: false,
            poll_interval_seconds: 60,
            max_backoff_seconds: 900,
            post_interval_seconds: 5,
            announce_closed_within_hours: 24,
        }
    }
}

/// Spend and estimates from Cost Explorer.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SpendConfig {
    /// Cost Explorer's metric: UnblendedCost, BlendedCost, AmortizedCost,
    /// NetUnblendedCost or NetAmortizedCost.
    pub metric: String,
    /// How long Cost Explorer and Organizations answers are reused. Cost
    /// Explorer refreshes its data up to three times a day.
    pub cache_ttl_seconds: u64,
    /// The tag that marks an account as optimized by Cloud Application
    /// Manager, and so covered by platform-level support.
    pub optimized_tag_key: String,
    pub optimized_tag_value: String,
}

impl Default for SpendConfig {
    fn default() -> Self {
        Self {
            metric: "UnblendedCost".to_owned(),
            cache_ttl_seconds: 3600,
            optimized_tag_key: "cam:optimized".to_owned(),
            optimized_tag_value: "true".to_owned(),
        }
    }
}

/// Where the bot works on Discord. The token comes from `DISCORD_TOKEN` only.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// Guilds to register slash commands in (instant updates); global
    /// registration when empty (Discord may take up to an hour to show it).
    pub command_guild_ids: Vec<String>,
    /// Channels where every message is read (elsewhere: mentions and DMs).
    pub support_channel_ids: Vec<String>,
    /// Where critical escalations and outages are announced.
    pub outage_channel_id: Option<String>,
    /// Where each ticket gets a thread that follows its events.
    pub escalations_channel_id: Option<String>,
    /// The provider's own channels and guilds: they receive every
    /// customer's outages and engineers see every customer's data there.
    /// The outage and escalations channels are internal too. A place that is
    /// neither internal nor a customer's is public: public outages only.
    pub internal_channel_ids: Vec<String>,
    pub internal_guild_ids: Vec<String>,
    /// The role pinged for critical escalations and outages (the only ping
    /// the bot ever sends).
    pub on_call_role_id: Option<String>,
    /// Send REST calls through this base URL instead of <https://discord.com>
    /// (an HTTP proxy, or a fake Discord in tests). Disables serenity's
    /// rate limiter, which would otherwise still call discord.com.
    pub api_proxy: Option<String>,
    /// The application's public key (Developer Portal, General
    /// Information: 64 hexadecimal digits), which signs the requests of the
    /// HTTP interactions endpoint.
    pub public_key: Option<String>,
    /// Serve Discord's HTTP interactions endpoint on this address
    /// (`0.0.0.0:8080`); give Discord `https://<your host>/interactions` as
    /// the Interactions Endpoint URL. Needs `public_key`. Every instance of
    /// a fleet can serve it behind a load balancer.
    pub interactions_listen: Option<String>,
    /// Whether this instance takes part in holding the gateway connection
    /// (default true): one instance of a fleet holds it at a time, and the
    /// others stand by to take over. `false` for instances that only serve
    /// the interactions endpoint and run duties.
    pub gateway: Option<bool>,
}

impl DiscordConfig {
    /// Whether this instance may hold the gateway connection.
    pub fn joins_gateway(&self) -> bool {
        self.gateway.unwrap_or(true)
    }
}

/// Who counts as a support engineer on Discord (the console uses `--role`).
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct EngineersConfig {
    pub role_ids: Vec<String>,
    pub user_ids: Vec<String>,
}

/// One customer of the provider.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CustomerConfig {
    /// A short name, shown to engineers and stored on tickets.
    pub name: String,
    /// The customer's AWS member accounts.
    #[serde(default)]
    pub account_ids: Vec<AccountId>,
    /// Discord guilds, channels, roles and users that speak for the customer.
    /// The most specific match wins: user, then channel, then role, then guild.
    #[serde(default)]
    pub guild_ids: Vec<String>,
    #[serde(default)]
    pub channel_ids: Vec<String>,
    #[serde(default)]
    pub role_ids: Vec<String>,
    #[serde(default)]
    pub user_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// A tracing filter such as `info` or `platform_desk=debug`. `RUST_LOG`
    /// overrides it. When absent: `info` for `run`, `warn` for `ask` and the
    /// other commands, `error` for the console (whose replies are on screen).
    pub filter: Option<String>,
    /// `human` or `json`. `PLATFORM_DESK_LOG_FORMAT` overrides it.
    pub format: LogFormat,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum ConfigSource {
    #[default]
    Defaults,
    File(PathBuf),
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigSource::Defaults => f.write_str("built-in defaults"),
            ConfigSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: DEFAULT_DATABASE_URL.to_owned(),
        }
    }
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            role: Role::Customer,
            user_id: "console".to_owned(),
            display_name: "console user".to_owned(),
            history_file: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database: DatabaseConfig::default(),
            policy: PolicyConfig::default(),
            console: ConsoleConfig::default(),
            telemetry: TelemetryConfig::default(),
            aws: AwsConfig::default(),
            escalations: EscalationConfig::default(),
            outages: OutagesConfig::default(),
            spend: SpendConfig::default(),
            discord: DiscordConfig::default(),
            engineers: EngineersConfig::default(),
            customers: Vec::new(),
            source: ConfigSource::Defaults,
            discord_token: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {message}")]
    Invalid { path: String, message: String },
    #[error("{key} is not valid: {message}")]
    BadValue { key: String, message: String },
}

impl Config {
    /// Loads the configuration: `explicit` if given (it must exist), else
    /// `bot-config.toml` in `working_dir` if present, else the defaults; then
    /// the environment, read through `env`.
    pub fn load(
        explicit: Option<&Path>,
        working_dir: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let path = match explicit {
            Some(path) => Some(path.to_path_buf()),
            // Present but not a regular file (a FIFO, a directory): refused
            // when read, never silently skipped.
            None => Some(working_dir.join(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        let mut config = match path {
            Some(path) => {
                let text = read_text_file(&path).map_err(|source| ConfigError::Unreadable {
                    path: path.display().to_string(),
                    source,
                })?;
                let mut config = Self::from_toml(&text, &path.display().to_string())?;
                // A relative policy path is relative to the file naming it.
                if let (Some(file), Some(dir)) = (&config.policy.file, path.parent())
                    && file.is_relative()
                    && !dir.as_os_str().is_empty()
                {
                    config.policy.file = Some(dir.join(file));
                }
                config.source = ConfigSource::File(path);
                config
            }
            None => Self::default(),
        };
        config.apply_environment(env);
        config.validate()?;
        Ok(config)
    }

    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: origin.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })
    }

    fn apply_environment(&mut self, env: impl Fn(&str) -> Option<String>) {
        let set = |key: &str| env(key).filter(|v| !v.trim().is_empty());
        if let Some(token) = set("DISCORD_TOKEN") {
            self.discord_token = Some(Secret::new(token.trim()));
        }
        if self.aws.enabled.is_none() {
            const AWS_SIGNS: [&str; 6] = [
                "AWS_ACCESS_KEY_ID",
                "AWS_PROFILE",
                "AWS_ENDPOINT_URL",
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            ];
            self.aws.enabled = Some(AWS_SIGNS.iter().any(|key| set(key).is_some()));
        }
        if let Some(url) = set("DATABASE_URL") {
            self.database.url = url;
        }
        if let Some(filter) = set("RUST_LOG") {
            self.telemetry.filter = Some(filter);
        }
        if let Some(format) = set("PLATFORM_DESK_LOG_FORMAT") {
            self.telemetry.format = match format.trim().to_ascii_lowercase().as_str() {
                "json" => LogFormat::Json,
                _ => LogFormat::Human,
            };
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let url = self.database.url.trim();
        if crate::store::Backend::of_url(url).is_none() {
            return Err(ConfigError::BadValue {
                key: "database.url".to_owned(),
                message: format!(
                    "{:?} is neither a SQLite nor a PostgreSQL URL; write it as sqlite://path/to.db or postgres://user:password@host/database",
                    crate::store::redacted_url(url)
                ),
            });
        }
        if self.console.user_id.trim().is_empty() {
            return Err(ConfigError::BadValue {
                key: "console.user_id".to_owned(),
                message: "must not be empty".to_owned(),
            });
        }
        self.validate_escalations()?;
        self.validate_outages()?;
        self.validate_discord()?;
        self.validate_customers()?;
        if let Some(filter) = &self.telemetry.filter {
            tracing_subscriber::EnvFilter::try_new(filter).map_err(|e| ConfigError::BadValue {
                key: "telemetry.filter".to_owned(),
                message: e.to_string(),
            })?;
        }
        Ok(())
    }
}

impl Config {
    fn validate_outages(&self) -> Result<(), ConfigError> {
        let o = &self.outages;
        let bad = |key: &str, message: &str| ConfigError::BadValue {
            key: format!("outages.{key}"),
            message: message.to_owned(),
        };
        // Health allows about 10 requests a second; a poll makes several.
        if o.poll_interval_seconds < 10 {
            return Err(bad("poll_interval_seconds", "must be at least 10 seconds"));
        }
        if o.max_backoff_seconds < o.poll_interval_seconds {
            return Err(bad("max_backoff_seconds", "must be at least poll_interval_seconds"));
        }
        if o.post_interval_seconds == 0 {
            return Err(bad("post_interval_seconds", "must be at least 1 second"));
        }
        Ok(())
    }

    fn validate_escalations(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, message: &str| ConfigError::BadValue {
            key: key.to_owned(),
            message: message.to_owned(),
        };
        let e = &self.escalations;
        if e.cc_email_addresses.len() > 10 {
            return Err(bad(
                "escalations.cc_email_addresses",
                "AWS accepts at most 10 addresses",
            ));
        }
        if e.cc_email_addresses.iter().any(|a| !a.contains('@')) {
            return Err(bad(
                "escalations.cc_email_addresses",
                "every entry must be an e-mail address",
            ));
        }
        if e.retry_initial_seconds == 0 || e.retry_max_seconds < e.retry_initial_seconds {
            return Err(bad(
                "escalations.retry_initial_seconds",
                "must be at least 1 and no more than retry_max_seconds",
            ));
        }
        if e.settle_seconds == 0 {
            return Err(bad(
                "escalations.settle_seconds",
                "must be at least 1: AWS needs time to finish a request whose answer was lost",
            ));
        }
        if e.worker_interval_seconds == 0 || e.sync_interval_seconds == 0 {
            return Err(bad(
                "escalations.worker_interval_seconds",
                "intervals must be at least 1 second",
            ));
        }
        if self.aws.call_timeout_seconds == 0 || self.aws.call_timeout_seconds > 25 {
            return Err(bad(
                "aws.call_timeout_seconds",
                "must be 1 to 25, so that a reply never waits longer than Discord allows",
            ));
        }
        const METRICS: [&str; 5] = [
            "UnblendedCost",
            "BlendedCost",
            "AmortizedCost",
            "NetUnblendedCost",
            "NetAmortizedCost",
        ];
        if !METRICS.contains(&self.spend.metric.as_str()) {
            return Err(bad("spend.metric", &format!("must be one of {}", METRICS.join(", "))));
        }
        if self.spend.cache_ttl_seconds == 0 {
            return Err(bad(
                "spend.cache_ttl_seconds",
                "must be at least 1 (Cost Explorer costs $0.01 a request)",
            ));
        }
        if self.aws.member_role_name.trim().is_empty() {
            return Err(bad("aws.member_role_name", "must not be empty"));
        }
        Ok(())
    }

    fn validate_discord(&self) -> Result<(), ConfigError> {
        let snowflake = |key: &str, id: &str| {
            if id.parse::<u64>().is_ok_and(|n| n > 0) {
                Ok(())
            } else {
                Err(ConfigError::BadValue {
                    key: key.to_owned(),
                    message: format!("{id:?} is not a Discord id (a positive number)"),
                })
            }
        };
        let d = &self.discord;
        for id in &d.command_guild_ids {
            snowflake("discord.command_guild_ids", id)?;
        }
        for id in &d.support_channel_ids {
            snowflake("discord.support_channel_ids", id)?;
        }
        if let Some(id) = &d.outage_channel_id {
            snowflake("discord.outage_channel_id", id)?;
        }
        if let Some(id) = &d.escalations_channel_id {
            snowflake("discord.escalations_channel_id", id)?;
        }
        if let Some(id) = &d.on_call_role_id {
            snowflake("discord.on_call_role_id", id)?;
        }
        for id in &d.internal_channel_ids {
            snowflake("discord.internal_channel_ids", id)?;
        }
        for id in &d.internal_guild_ids {
            snowflake("discord.internal_guild_ids", id)?;
        }
        for id in self.engineers.role_ids.iter().chain(&self.engineers.user_ids) {
            snowflake("engineers", id)?;
        }
        if let Some(key) = &d.public_key {
            crate::discord::endpoint::verifier(key).map_err(|error| ConfigError::BadValue {
                key: "discord.public_key".to_owned(),
                message: error.to_string(),
            })?;
        }
        if let Some(listen) = &d.interactions_listen {
            if listen.parse::<std::net::SocketAddr>().is_err() {
                return Err(ConfigError::BadValue {
                    key: "discord.interactions_listen".to_owned(),
                    message: format!("{listen:?} is not an address to listen on, such as 0.0.0.0:8080"),
                });
            }
            if d.public_key.is_none() {
                return Err(ConfigError::BadValue {
                    key: "discord.interactions_listen".to_owned(),
                    message: "the interactions endpoint needs discord.public_key to check Discord's signatures"
                        .to_owned(),
                });
            }
        }
        Ok(())
    }

    fn validate_customers(&self) -> Result<(), ConfigError> {
        let mut names: Vec<&str> = Vec::new();
        let mut owners: std::collections::HashMap<(&str, &str), &str> = std::collections::HashMap::new();
        for customer in &self.customers {
            let name = customer.name.trim();
            if name.is_empty() {
                return Err(ConfigError::BadValue {
                    key: "customers.name".to_owned(),
                    message: "every customer needs a name".to_owned(),
                });
            }
            if names.contains(&name) {
                return Err(ConfigError::BadValue {
                    key: "customers.name".to_owned(),
                    message: format!("{name:?} is declared twice"),
                });
            }
            names.push(name);
            let ids = customer
                .account_ids
                .iter()
                .map(|a| ("account_ids", a.as_str()))
                .chain(customer.guild_ids.iter().map(|g| ("guild_ids", g.as_str())))
                .chain(customer.channel_ids.iter().map(|c| ("channel_ids", c.as_str())))
                .chain(customer.role_ids.iter().map(|r| ("role_ids", r.as_str())))
                .chain(customer.user_ids.iter().map(|u| ("user_ids", u.as_str())));
            for (kind, id) in ids {
                if let Some(other) = owners.insert((kind, id), name)
                    && other != name
                {
                    return Err(ConfigError::BadValue {
                        key: format!("customers.{kind}"),
                        message: format!("{id} belongs to both {other:?} and {name:?}"),
                    });
                }
            }
            let internal = self
                .internal_channels()
                .into_iter()
                .find(|id| customer.channel_ids.contains(id))
                .map(|id| ("channel", id))
                .or_else(|| {
                    (self.discord.internal_guild_ids.iter())
                        .find(|id| customer.guild_ids.contains(id))
                        .map(|id| ("guild", id.clone()))
                });
            if let Some((kind, id)) = internal {
                return Err(ConfigError::BadValue {
                    key: format!("customers.{kind}_ids"),
                    message: format!(
                        "{kind} {id} belongs to {name:?} and is also internal (the provider's own): it can only be one"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The provider's own channels: those configured internal, and the
    /// outage and escalations channels.
    pub fn internal_channels(&self) -> Vec<String> {
        let d = &self.discord;
        let mut channels = d.internal_channel_ids.clone();
        channels.extend(d.outage_channel_id.iter().cloned());
        channels.extend(d.escalations_channel_id.iter().cloned());
        channels
    }
}

/// The most a configuration or policy file may hold.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Reads a configuration or policy file: a regular file of at most
/// [`MAX_FILE_BYTES`] (so `/dev/zero`, a FIFO or a huge file is refused at
/// once instead of read until memory runs out).
pub fn read_text_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    // Looked at before opening: opening a FIFO would wait for a writer.
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    let too_big = || std::io::Error::other(format!("it is larger than {} KiB", MAX_FILE_BYTES / 1024));
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    Ok(text)
}

impl Config {
    /// Whether AWS Health is polled: AWS configured and Health not switched
    /// off.
    pub fn follows_health(&self) -> bool {
        self.aws.is_enabled() && self.outages.health_enabled
    }
}

impl AwsConfig {
    /// Whether AWS is to be called at all (see `enabled`).
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn without_a_file_the_defaults_apply() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::load(None, dir.path(), no_env).unwrap();
        assert_eq!(config.aws.enabled, Some(false));
        config.aws.enabled = None;
        assert_eq!(config, Config::default());
        assert_eq!(config.database.url, "sqlite://platform-desk.db");
    }

    #[test]
    fn bot_config_toml_in_the_working_directory_is_picked_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bot-config.toml"), "[console]\nrole = \"engineer\"\n").unwrap();
        let config = Config::load(None, dir.path(), no_env).unwrap();
        assert_eq!(config.console.role, Role::Engineer);
        assert!(matches!(config.source, ConfigSource::File(_)));
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[database]\nurl = \"sqlite://a.db\"\n").unwrap();
        let env = |key: &str| (key == "DATABASE_URL").then(|| "sqlite://b.db".to_owned());
        let config = Config::load(Some(&file), dir.path(), env).unwrap();
        assert_eq!(config.database.url, "sqlite://b.db");
    }

    #[test]
    fn the_discord_token_comes_from_the_environment_and_never_prints() {
        let dir = tempfile::tempdir().unwrap();
        let env = |key: &str| (key == "DISCORD_TOKEN").then(|| "s3cr3t".to_owned());
        let config = Config::load(None, dir.path(), env).unwrap();
        assert_eq!(config.discord_token.as_ref().map(Secret::expose), Some("s3cr3t"));
        assert!(!format!("{config:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_token_in_the_file_is_refused() {
        assert!(Config::from_toml("discord_token = \"x\"\n", "c.toml").is_err());
    }

    #[test]
    fn aws_is_used_only_when_configured() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!Config::load(None, dir.path(), no_env).unwrap().aws.is_enabled());
        let env = |key: &str| (key == "AWS_ENDPOINT_URL").then(|| "http://127.0.0.1:5000".to_owned());
        assert!(Config::load(None, dir.path(), env).unwrap().aws.is_enabled());
        std::fs::write(dir.path().join("bot-config.toml"), "[aws]\nenabled = false\n").unwrap();
        assert!(!Config::load(None, dir.path(), env).unwrap().aws.is_enabled());
    }

    #[test]
    fn a_typo_in_a_key_is_an_error_naming_it() {
        let err = Config::from_toml("[databse]\nurl = \"sqlite://x.db\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("databse"), "{err}");
    }

    #[test]
    fn a_missing_explicit_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Config::load(Some(Path::new("/nonexistent/c.toml")), dir.path(), no_env).is_err());
    }

    #[test]
    fn a_database_neither_sqlite_nor_postgres_is_refused_without_its_password() {
        let dir = tempfile::tempdir().unwrap();
        let env = |key: &str| (key == "DATABASE_URL").then(|| "mysql://desk:hunter2@db/desk".to_owned());
        let err = Config::load(None, dir.path(), env).unwrap_err().to_string();
        assert!(err.contains("database.url"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn a_postgres_database_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        for url in ["postgres://desk:pw@db:5432/desk", "postgresql://db/desk"] {
            let env = |key: &str| (key == "DATABASE_URL").then(|| url.to_owned());
            assert_eq!(Config::load(None, dir.path(), env).unwrap().database.url, url);
        }
    }

    #[test]
    fn a_relative_policy_path_is_relative_to_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[policy]\nfile = \"my-policy.toml\"\n").unwrap();
        let config = Config::load(Some(&file), Path::new("/"), no_env).unwrap();
        assert_eq!(config.policy.file, Some(dir.path().join("my-policy.toml")));
    }

    #[test]
    fn an_account_claimed_by_two_customers_is_refused() {
        let text = "[[customers]]\nname = \"a\"\naccount_ids = [\"111111111111\"]\n[[customers]]\nname = \"b\"\naccount_ids = [\"111111111111\"]\n";
        let config = Config::from_toml(text, "c.toml").unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("belongs to both"), "{err}");
    }

    #[test]
    fn a_malformed_account_id_is_refused() {
        let text = "[[customers]]\nname = \"a\"\naccount_ids = [\"1234\"]\n";
        assert!(Config::from_toml(text, "c.toml").is_err());
    }

    #[test]
    fn the_example_file_is_a_valid_configuration() {
        let example = include_str!("../bot-config.example.toml");
        let config = Config::from_toml(example, "bot-config.example.toml").unwrap();
        config.validate().unwrap();
    }

    #[test]
    fn outage_polling_faster_than_health_allows_is_refused() {
        let config = Config::from_toml("[outages]\npoll_interval_seconds = 2\n", "c.toml").unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("outages.poll_interval_seconds"), "{err}");
        let config = Config::from_toml(
            "[outages]\npoll_interval_seconds = 120\nmax_backoff_seconds = 60\n",
            "c.toml",
        )
        .unwrap();
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("max_backoff_seconds")
        );
        let config = Config::from_toml("[outages]\norganization_view = true\n", "c.toml").unwrap();
        config.validate().unwrap();
        assert!(config.outages.organization_view);
    }
}
