//! platform-desk: a chat-ops support bot for a managed-cloud provider that
//! resells AWS accounts. Messages and slash commands become intents, services
//! answer them from the support policy (and AWS), and adapters render the
//! replies: Discord, the terminal console, and `ask --json`.

pub mod access;
pub mod answer;
pub mod app;
pub mod aws;
pub mod chart;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod discord;
pub mod domain;
pub mod error;
pub mod fleet;
pub mod inbound;
pub mod intent;
pub mod language;
pub mod local_files;
pub mod policy;
pub mod reply;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod text;
