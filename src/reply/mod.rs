//! Platform-neutral replies: embeds, buttons and attachments that every
//! adapter (Discord, console, `ask --json`) renders. Building a reply is pure;
//! [`Reply::fit_to_discord`] enforces Discord's limits on embeds, and
//! [`limits::content`] on plain message content, in this one module.

pub mod limits;

pub use limits::{DiscordLimits, utf16_len};

use serde::Serialize;

/// Colours used across replies (Discord takes them as 24-bit integers).
pub mod colour {
    pub const IN_SCOPE: u32 = 0x2E_CC_71;
    pub const OUT_OF_SCOPE: u32 = 0xE7_4C_3C;
    pub const UNCLEAR: u32 = 0xF1_C4_0F;
    pub const INFO: u32 = 0x34_98_DB;
    pub const URGENT: u32 = 0xC0_39_2B;
    pub const NOT_AVAILABLE: u32 = 0x95_A5_A6;
    pub const ERROR: u32 = 0xE6_7E_22;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmbedField {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmbedFooter {
    pub text: String,
}

/// An embed's image; `attachment://NAME` points at a file of the reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmbedImage {
    pub url: String,
}

/// A file sent with a reply (a chart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An embed, with Discord's own field names so that it serializes as Discord's
/// embed JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Embed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub color: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<EmbedField>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footer: Option<EmbedFooter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<EmbedImage>,
}

impl Embed {
    pub fn new(title: impl Into<String>, color: u32) -> Self {
        Self {
            title: Some(title.into()),
            color,
            ..Self::default()
        }
    }

    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push(EmbedField {
            name: name.into(),
            value: value.into(),
            inline: false,
        });
        self
    }

    pub fn inline_field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push(EmbedField {
            name: name.into(),
            value: value.into(),
            inline: true,
        });
        self
    }

    pub fn footer(mut self, text: impl Into<String>) -> Self {
        self.footer = Some(EmbedFooter { text: text.into() });
        self
    }

    /// Shows an attachment of the reply as the embed's image.
    pub fn image_attachment(mut self, filename: &str) -> Self {
        self.image = Some(EmbedImage {
            url: format!("attachment://{filename}"),
        });
        self
    }
}

/// What a button does when pressed; adapters encode it as a `custom_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum ButtonAction {
    /// Start an escalation about the question that was asked.
    OpenEscalation,
    /// Engineers: open the AWS Support case of a customer's ticket.
    ApproveCase { ticket: i64 },
    /// Engineers: resolve a ticket (and its AWS case).
    ResolveTicket { ticket: i64 },
    /// Open a form to reply on a ticket's AWS case.
    ReplyToAws { ticket: i64 },
}

impl ButtonAction {
    /// Whether only engineers may press it.
    pub fn engineers_only(&self) -> bool {
        matches!(
            self,
            ButtonAction::ApproveCase { .. } | ButtonAction::ResolveTicket { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Button {
    pub label: String,
    pub action: ButtonAction,
}

/// A reply to one inbound message or command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    pub embeds: Vec<Embed>,
    /// Seen only by the asker (Discord's ephemeral flag).
    pub ephemeral: bool,
    pub buttons: Vec<Button>,
    pub attachments: Vec<Attachment>,
}

impl Reply {
    /// No reply at all: the bot stays silent.
    pub fn silent() -> Self {
        Self::default()
    }

    pub fn embed(embed: Embed) -> Self {
        Self {
            embeds: vec![embed],
            ..Self::default()
        }
    }

    /// What a shared channel is told when a reply only its asker may see
    /// went by direct message (`sent`), or could not.
    pub fn private_pointer(sent: bool) -> Self {
        let description = if sent {
            "My answer is only for you, so I've sent it to you by direct message."
        } else {
            "My answer is only for you, and I couldn't send you a direct message. Ask with the slash command (only you will see the answer), or message me directly."
        };
        Reply::embed(Embed::new("🔒 Answered privately", colour::INFO).description(description))
    }

    /// What an interaction deferred in the open shows when its answer turns
    /// out to be for the asker only (it follows as a private message).
    pub fn private_pointer_here() -> Self {
        Reply::embed(
            Embed::new("🔒 Answered privately", colour::INFO)
                .description("My answer is only for you: it is just below, visible to you alone."),
        )
    }

    pub fn ephemeral(mut self) -> Self {
        self.ephemeral = true;
        self
    }

    pub fn with_attachment(mut self, attachment: Attachment) -> Self {
        self.attachments.push(attachment);
        self
    }

    pub fn with_button(mut self, label: impl Into<String>, action: ButtonAction) -> Self {
        self.buttons.push(Button {
            label: label.into(),
            action,
        });
        self
    }

    pub fn is_silent(&self) -> bool {
        self.embeds.is_empty()
    }

    /// Shortens or drops content until the reply is within Discord's limits,
    /// and neutralizes mass mentions in every text. See [`limits`].
    pub fn fit_to_discord(self) -> Self {
        limits::fit(self, &DiscordLimits::DISCORD)
    }
}

/// Makes `@everyone`, `@here` and role/user mention tokens inert by putting a
/// zero-width space after the `@`, so that text a user typed, echoed back,
/// can never ping anyone even where a renderer ignores allowed-mentions.
pub fn neutralize_mentions(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('@') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.char_indices() {
        out.push(c);
        if c == '@' {
            let rest = &text[i + 1..];
            let dangerous = rest.starts_with("everyone")
                || rest.starts_with("here")
                || rest.starts_with('&')
                || rest.starts_with('!')
                || rest.starts_with(|d: char| d.is_ascii_digit()) && text[..i].ends_with('<');
            if dangerous {
                out.push('\u{200B}');
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Quotes what a user typed on one line (after "> " in a field): as
/// [`quote_user_text`], with line breaks as spaces so the quote cannot end
/// and start a heading or list, and Discord's formatting characters escaped,
/// so typed text cannot make a masked link ("[claim here](http://...)"),
/// bold or a spoiler in the bot's own message.
pub fn quote_inline(text: &str, max: usize) -> String {
    let quoted = quote_user_text(text, max);
    let mut out = String::with_capacity(quoted.len() + 8);
    let mut last_was_space = false;
    for c in quoted.chars() {
        if c.is_whitespace() {
            if !last_was_space {
                out.push(' ');
            }
            last_was_space = true;
            continue;
        }
        last_was_space = false;
        if matches!(c, '[' | ']' | '*' | '_' | '~' | '`' | '|' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Quotes what a user typed for display: mentions neutralized, control,
/// bidi and invisible characters removed, masked links ("\[text\](url)")
/// broken so typed text cannot disguise a link, code fences broken so a
/// clipped quote cannot leave one open, clipped to `max` characters.
pub fn quote_user_text(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .filter(|c| !crate::text::is_invisible(*c))
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect();
    let trimmed = cleaned.trim();
    let clipped = crate::text::clip_chars(trimmed, max);
    let mut quoted = neutralize_mentions(clipped).into_owned();
    if quoted.contains("](") {
        quoted = quoted.replace("](", "]\u{200B}(");
    }
    if quoted.contains("```") {
        quoted = quoted.replace("```", "`\u{200B}`\u{200B}`");
    }
    if clipped.len() < trimmed.len() {
        quoted.push('…');
    }
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_cannot_disguise_a_link_or_leave_a_code_block_open() {
        let quoted = quote_user_text("see [your invoice](https://evil.example) ```rm -rf", 300);
        assert!(!quoted.contains("]("), "{quoted}");
        assert!(!quoted.contains("```"), "{quoted}");
        assert!(quoted.contains("your invoice") && quoted.contains("evil.example"));
    }

    #[test]
    fn an_inline_quote_cannot_format_or_link() {
        assert_eq!(
            quote_inline(
                "is it ok?\n# FREE CREDITS\n[claim here](http://evil.example) **now**",
                300
            ),
            "is it ok? # FREE CREDITS \\[claim here\\]\u{200B}(http://evil.example) \\*\\*now\\*\\*"
        );
        assert_eq!(quote_inline("@everyone hi", 300), "@\u{200B}everyone hi");
    }

    #[test]
    fn mass_and_role_mentions_are_neutralized() {
        assert_eq!(
            neutralize_mentions("hi @everyone and @here"),
            "hi @\u{200B}everyone and @\u{200B}here"
        );
        assert_eq!(
            neutralize_mentions("<@&123> <@!5> <@77>"),
            "<@\u{200B}&123> <@\u{200B}!5> <@\u{200B}77>"
        );
        assert_eq!(neutralize_mentions("mail me@example.com"), "mail me@example.com");
    }

    #[test]
    fn quoting_user_text_cleans_and_clips() {
        assert_eq!(quote_user_text("  a\u{202E}b\u{0007}c  ", 10), "ab c");
        assert_eq!(quote_user_text("abcdef", 3), "abc…");
        assert_eq!(quote_user_text("@everyone", 50), "@\u{200B}everyone");
    }

    #[test]
    fn embeds_serialize_with_discord_field_names() {
        let embed = Embed::new("T", colour::INFO)
            .description("D")
            .field("N", "V")
            .footer("F");
        let json = serde_json::to_value(&embed).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"title": "T", "description": "D", "color": colour::INFO,
                "fields": [{"name": "N", "value": "V", "inline": false}], "footer": {"text": "F"}})
        );
    }
}
