//! Exactly-once sends, the one mechanism behind every message the bot posts
//! on its own (outage posts, on-call pings, ticket threads): the caller
//! commits the message's row with a fresh [`nonce`] before sending; the
//! message is sent with that nonce and `enforce_nonce`, so Discord answers a
//! resend (after a crash or a lost response) with the message already made;
//! the caller then records the message id.

use serenity::all::{CreateMessage, Nonce};

/// A fresh nonce for a message about to be committed: a letter naming what
/// it is for, then 16 hex digits (Discord allows at most 25 characters).
pub fn nonce(kind: char) -> String {
    format!("{kind}{:016x}", fastrand::u64(..))
}

/// `message`, sent so that Discord makes it at most once for `nonce`.
pub fn once(message: CreateMessage, nonce: &str) -> CreateMessage {
    message.nonce(Nonce::String(nonce.to_owned())).enforce_nonce(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_fit_discords_limit_and_differ() {
        let (a, b) = (nonce('o'), nonce('o'));
        assert!(a.len() <= 25 && a.starts_with('o'));
        assert_ne!(a, b);
    }
}
