//! Logging through `tracing`: an env-style filter and human or JSON lines, on
//! standard error so that `ask --json` keeps standard output to itself.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, TelemetryConfig};

/// Installs the global subscriber. `default_filter` applies when the
/// configuration sets none. Calling it twice is harmless.
pub fn init(config: &TelemetryConfig, default_filter: &str) {
    let filter = EnvFilter::try_new(config.filter.as_deref().unwrap_or(default_filter))
        .unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let result = match config.format {
        LogFormat::Human => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
    // An already installed subscriber (tests) is fine.
    drop(result);
}
