//! The pipeline's result for one inbound message: the intent, the scope
//! verdict or ticket when there is one, and the reply. Serializes to the
//! `ask --json` contract of DESIGN.md §4.

use serde::Serialize;

use crate::intent::IntentKind;
use crate::reply::{Embed, Reply};
use crate::service::scope::ScopeOutcome;

/// A ticket, as `ask --json` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketSummary {
    pub id: i64,
    pub status: String,
    pub severity: String,
    pub aws_case_id: Option<String>,
}

/// What a critical escalation announces beyond the asker's channel. The
/// console prints it; on Discord the announcement is the escalation's outage
/// post (see `service::outage`), sent by `run`'s poster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub text: String,
    /// Ping the configured on-call role; only critical alerts do.
    pub ping_on_call: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub intent: IntentKind,
    pub scope: Option<ScopeOutcome>,
    pub ticket: Option<TicketSummary>,
    pub reply: Reply,
    pub alerts: Vec<Alert>,
    /// The bot itself failed (an internal error, such as a database that
    /// cannot be written): the reply says so politely, and `ask` exits
    /// non-zero.
    pub failed: bool,
}

/// The exact shape of `ask --json`.
#[derive(Serialize)]
struct AnswerJson<'a> {
    intent: IntentKind,
    scope: Option<&'a ScopeOutcome>,
    ticket: Option<&'a TicketSummary>,
    ephemeral: bool,
    embeds: &'a [Embed],
}

impl Answer {
    fn contract(&self) -> AnswerJson<'_> {
        AnswerJson {
            intent: self.intent,
            scope: self.scope.as_ref(),
            ticket: self.ticket.as_ref(),
            ephemeral: self.reply.ephemeral,
            embeds: &self.reply.embeds,
        }
    }

    /// The answer as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.contract()).expect("an answer always serializes")
    }

    /// The answer as one line of JSON, keys in the contract's order.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(&self.contract()).expect("an answer always serializes")
    }
}
