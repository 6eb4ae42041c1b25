//! Errors, split by who they are for. A [`UserError`] carries a polite
//! sentence the user can act on and is shown as is. Anything else is internal:
//! it is logged with its cause chain and a short reference, and the user sees
//! only "something went wrong on our side (ref ...)".

use std::sync::atomic::{AtomicU32, Ordering};

use crate::intent::SlashError;
use crate::policy::PolicyError;
use crate::store::StoreError;

/// Something the user asked for that cannot be done as asked.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(transparent)]
    Command(#[from] SlashError),
    #[error("I don't know the region \"{given}\". The regions are: {known}.")]
    UnknownRegion { given: String, known: String },
    #[error("I don't know the troubleshooting topic \"{given}\". The topics are: {known}.")]
    UnknownTopic { given: String, known: String },
    #[error(
        "I can't tell which customer you are with, so I can't do that here. Ask in your company's support channel, or ask an engineer to add you."
    )]
    NotACustomer,
    #[error("I can't find ticket #{0} among the tickets you can see.")]
    TicketNotFound(i64),
    #[error(
        "This channel belongs to {0}, so here I show {0}'s data only. Ask in an internal channel or by direct message for other customers'."
    )]
    OtherCustomersHere(String),
    #[error("Only support engineers can {0}.")]
    EngineersOnly(&'static str),
    #[error("I can't open a case for account {0} from here: it is not one of your accounts.")]
    AccountNotYours(String),
    #[error("{0}")]
    NothingToChange(String),
    #[error("{0} Nothing was added to the ticket.")]
    BadFile(String),
}

/// Why a service could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    User(#[from] UserError),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        ServiceError::Internal(error.into())
    }
}

/// Why the bot could not start: bad configuration, policy or database. These
/// go to the operator's terminal, so they say exactly what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    // The details are in the message, not a source: a chain printed with
    // `{:#}` would say them twice.
    #[error("the support policy cannot be used: {0}")]
    Policy(PolicyError),
    #[error("the support policy's vocabulary does not compile: {0}")]
    Vocabulary(crate::policy::VocabularyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PolicyError> for StartupError {
    fn from(error: PolicyError) -> Self {
        StartupError::Policy(error)
    }
}

impl From<crate::policy::VocabularyError> for StartupError {
    fn from(error: crate::policy::VocabularyError) -> Self {
        StartupError::Vocabulary(error)
    }
}

/// A short reference to quote to support, unique enough to find the log
/// line: seconds since the epoch, the process id and a counter, in base 36.
pub fn error_reference() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // The second, the process and the error within the process: unique
    // across processes that fail in the same second.
    let process = u64::from(std::process::id() % 100_000);
    let mut value = ((seconds % 1_000_000) * 100_000 + process) * 1_000 + u64::from(n % 1_000);
    let mut out = Vec::new();
    while value > 0 || out.is_empty() {
        out.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(value % 36) as usize]);
        value /= 36;
    }
    out.reverse();
    String::from_utf8(out).expect("base 36 digits are ASCII")
}

/// Writes an error and its causes on one line, for logs.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_and_differ() {
        let a = error_reference();
        let b = error_reference();
        assert_ne!(a, b);
        assert!(a.len() <= 10, "{a}");
    }

    #[test]
    fn the_cause_chain_names_every_cause() {
        let inner = std::io::Error::other("disk full");
        let outer = anyhow::Error::new(inner).context("saving ticket");
        let chain = cause_chain(outer.as_ref());
        assert_eq!(chain, "saving ticket: disk full");
    }
}
