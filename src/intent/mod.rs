//! What a user wants, parsed once at the edge. Slash commands map one to one to
//! an [`Intent`]; free text goes through the [`Classifier`] (the policy's
//! vocabulary, the question rules of [`question`] and the learned weights of
//! [`model`], fitted by [`training`]). Past this module nothing looks at raw
//! strings or platform types.

mod classifier;
pub mod commands;
pub(crate) mod extract;
pub mod features;
pub mod model;
pub mod question;
pub mod slash;
pub mod training;

pub use classifier::{Addressing, Classification, Classifier};

/// The 12-digit AWS account id a message names, if any.
pub fn account_in(text: &str) -> Option<AccountId> {
    extract::account_id(text)
}
pub use slash::{OptionValue, SlashCommand, SlashError};

use serde::Serialize;

use crate::domain::{AccountId, Severity};

/// The kinds of intent, as `ask --json` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentKind {
    Scope,
    Escalate,
    Spend,
    Estimate,
    Contact,
    Outage,
    Troubleshoot,
    Ticket,
    Help,
    None,
}

impl IntentKind {
    pub const ALL: [IntentKind; 10] = [
        IntentKind::Scope,
        IntentKind::Escalate,
        IntentKind::Spend,
        IntentKind::Estimate,
        IntentKind::Contact,
        IntentKind::Outage,
        IntentKind::Troubleshoot,
        IntentKind::Ticket,
        IntentKind::Help,
        IntentKind::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IntentKind::Scope => "scope",
            IntentKind::Escalate => "escalate",
            IntentKind::Spend => "spend",
            IntentKind::Estimate => "estimate",
            IntentKind::Contact => "contact",
            IntentKind::Outage => "outage",
            IntentKind::Troubleshoot => "troubleshoot",
            IntentKind::Ticket => "ticket",
            IntentKind::Help => "help",
            IntentKind::None => "none",
        }
    }
}

impl std::fmt::Display for IntentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An escalation as asked for, before it becomes a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationRequest {
    pub subject: Option<String>,
    pub description: String,
    /// Given explicitly (slash option) or inferred from the words used.
    pub severity: Option<Severity>,
    pub account: Option<AccountId>,
    pub service: Option<String>,
    /// Written out by the asker (a slash command or the escalation form):
    /// logged whenever it has a subject and a description, however short.
    pub explicit: bool,
}

/// Whose spend, when an engineer narrows it down.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpendRequest {
    pub account: Option<AccountId>,
    /// Engineers: one customer's accounts.
    pub customer: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TicketFilter {
    /// The asker's own tickets.
    #[default]
    Mine,
    Open,
    All,
}

impl TicketFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketFilter::Mine => "mine",
            TicketFilter::Open => "open",
            TicketFilter::All => "all",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TicketRequest {
    Show {
        id: i64,
    },
    List {
        filter: TicketFilter,
        /// Only tickets with this status ("open" or "resolved").
        status: Option<String>,
        /// Engineers: only this customer's tickets.
        customer: Option<String>,
    },
    Note {
        id: i64,
        text: String,
        /// Where the note goes: to the AWS case (the default), or to the
        /// provider only.
        to: NoteTo,
        /// Files for the AWS case (at most three).
        files: Vec<slash::FileUpload>,
    },
    Resolve {
        id: i64,
        note: Option<String>,
    },
    Reopen {
        id: i64,
        note: Option<String>,
    },
    /// An engineer approves a customer's ticket for an AWS Support case.
    Approve {
        id: i64,
    },
}

/// Where a ticket note goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoteTo {
    /// A reply on the ticket's AWS case (AddCommunicationToCase), also
    /// shown with the ticket.
    #[default]
    Aws,
    /// Never sent to AWS: an engineer's note is for the provider's
    /// engineers only; a customer's is for the desk (and themselves).
    Internal,
}

impl NoteTo {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "aws" => Some(NoteTo::Aws),
            "internal" => Some(NoteTo::Internal),
            _ => None,
        }
    }
}

/// What a channel's outage subscription lets through; empty lists match
/// anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionFilters {
    /// AWS service names as Health writes them (EC2, RDS...), upper case.
    pub services: Vec<String>,
    /// AWS region codes.
    pub regions: Vec<String>,
    /// Customer names (engineers' channels).
    pub customers: Vec<String>,
    /// Event type codes never to post (noisy ones).
    pub muted_types: Vec<String>,
    pub min_severity: Option<Severity>,
}

/// A provider outage as an engineer declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub service: Option<String>,
    pub region: Option<String>,
    /// The customers affected; none means everyone.
    pub customers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutageRequest {
    /// Known open outages, optionally in one region.
    Status {
        /// An AWS region code such as `us-east-1`.
        region: Option<String>,
    },
    /// Engineers: this channel receives outages passing the filters.
    Subscribe(SubscriptionFilters),
    Unsubscribe,
    Subscriptions,
    /// Engineers: a provider outage.
    Declare(Declaration),
    Update {
        id: i64,
        text: String,
        severity: Option<Severity>,
    },
    Resolve {
        id: i64,
        text: Option<String>,
    },
}

/// One thing a user asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    Scope {
        question: String,
    },
    Escalate(EscalationRequest),
    Spend(SpendRequest),
    Estimate(SpendRequest),
    Contact {
        /// A region id of the policy, when chosen explicitly.
        region: Option<String>,
        /// The message, to find regions named in it.
        text: Option<String>,
    },
    Outage(OutageRequest),
    Troubleshoot {
        /// A troubleshooting topic id of the policy, when chosen explicitly.
        topic: Option<String>,
        text: Option<String>,
    },
    Ticket(TicketRequest),
    Help,
    /// Chit-chat: the bot stays silent.
    None,
}

impl Intent {
    pub fn kind(&self) -> IntentKind {
        match self {
            Intent::Scope { .. } => IntentKind::Scope,
            Intent::Escalate(_) => IntentKind::Escalate,
            Intent::Spend(_) => IntentKind::Spend,
            Intent::Estimate(_) => IntentKind::Estimate,
            Intent::Contact { .. } => IntentKind::Contact,
            Intent::Outage(_) => IntentKind::Outage,
            Intent::Troubleshoot { .. } => IntentKind::Troubleshoot,
            Intent::Ticket(_) => IntentKind::Ticket,
            Intent::Help => IntentKind::Help,
            Intent::None => IntentKind::None,
        }
    }
}
