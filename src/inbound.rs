//! What reaches the pipeline from any adapter: who is asking, where, and what
//! they sent. Nothing here is Discord-specific.

use crate::domain::Role;
use crate::intent::{Addressing, SlashCommand};

/// The person behind a message or command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub display_name: String,
    pub role: Role,
    /// Platform role ids (Discord roles), used to map people to customers.
    pub role_ids: Vec<String>,
    pub guild_id: Option<String>,
    pub channel_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A chat message or console line; a line starting with `/` is read as a
    /// slash command written out.
    Text {
        text: String,
        /// A mention of the bot or a direct message is always answered; a
        /// message overheard in a support channel (or typed in the console or
        /// `ask`) only when it asks the desk something.
        addressing: Addressing,
    },
    /// A slash command as the platform delivered it.
    Command(SlashCommand),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    pub actor: Actor,
    pub content: Content,
}

impl Inbound {
    /// A message heard in a support channel, the console or `ask`.
    pub fn text(actor: Actor, text: impl Into<String>) -> Self {
        Self {
            actor,
            content: Content::Text {
                text: text.into(),
                addressing: Addressing::Ambient,
            },
        }
    }

    /// A message that mentions the bot or reached it by direct message.
    pub fn direct(actor: Actor, text: impl Into<String>) -> Self {
        Self {
            actor,
            content: Content::Text {
                text: text.into(),
                addressing: Addressing::Direct,
            },
        }
    }
}
