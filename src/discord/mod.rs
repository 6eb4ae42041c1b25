//! The Discord adapter (serenity). This module holds the pure parts so far:
//! rendering a [`Reply`](crate::reply::Reply) into serenity's builders, and
//! the slash-command registrations built from the command specs. The gateway
//! handler that drives them comes with the rest of issue 5.

pub mod commands;
pub mod render;
