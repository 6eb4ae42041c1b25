//! `Reply` → serenity builders, in one place. Discord's limits are already
//! enforced by `Reply::fit_to_discord`; here every message also carries
//! allowed-mentions that ping nobody, except the on-call role when a caller
//! asks for it explicitly.

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateButton, CreateEmbed,
    CreateEmbedFooter, CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, RoleId,
};

use crate::reply::{Button, ButtonAction, Embed, Reply};

/// Buttons per action row, and rows per message (Discord's limits).
const BUTTONS_PER_ROW: usize = 5;
const ROWS: usize = 5;
/// Every custom id the bot issues starts with this, so that presses of
/// other bots' buttons are recognized as not ours.
const CUSTOM_ID_PREFIX: &str = "pd:";

/// A button's custom id (at most 100 characters, as Discord requires).
pub fn custom_id(action: &ButtonAction) -> String {
    match action {
        ButtonAction::OpenEscalation => format!("{CUSTOM_ID_PREFIX}escalate"),
        ButtonAction::ApproveCase { ticket } => format!("{CUSTOM_ID_PREFIX}approve:{ticket}"),
        ButtonAction::ResolveTicket { ticket } => format!("{CUSTOM_ID_PREFIX}resolve:{ticket}"),
        ButtonAction::ReplyToAws { ticket } => format!("{CUSTOM_ID_PREFIX}reply:{ticket}"),
    }
}

/// The action behind a custom id, if it is one of ours.
pub fn parse_custom_id(id: &str) -> Option<ButtonAction> {
    let rest = id.strip_prefix(CUSTOM_ID_PREFIX)?;
    let ticket = |s: &str| s.parse::<i64>().ok().filter(|n| *n > 0);
    match rest.split_once(':') {
        None if rest == "escalate" => Some(ButtonAction::OpenEscalation),
        Some(("approve", n)) => ticket(n).map(|ticket| ButtonAction::ApproveCase { ticket }),
        Some(("resolve", n)) => ticket(n).map(|ticket| ButtonAction::ResolveTicket { ticket }),
        Some(("reply", n)) => ticket(n).map(|ticket| ButtonAction::ReplyToAws { ticket }),
        _ => None,
    }
}

/// The custom id of the escalation form.
pub const ESCALATION_MODAL: &str = "pd:escalate-form";

/// The form an "Open escalation" press opens: subject, description, severity.
pub fn escalation_modal() -> CreateInteractionResponse {
    use serenity::all::{CreateInputText, CreateModal, InputTextStyle};
    let field = |style, label: &str, id: &str, max: u16| {
        CreateActionRow::InputText(CreateInputText::new(style, label, id).max_length(max).required(true))
    };
    CreateInteractionResponse::Modal(
        CreateModal::new(ESCALATION_MODAL, "Open an escalation").components(vec![
            field(
                InputTextStyle::Short,
                "Subject: one line, what is wrong",
                "subject",
                200,
            ),
            field(
                InputTextStyle::Paragraph,
                "What happened, since when, what you tried",
                "description",
                4000,
            ),
            CreateActionRow::InputText(
                CreateInputText::new(InputTextStyle::Short, "Severity", "severity")
                    .placeholder("low, normal, high, urgent or critical")
                    .max_length(16)
                    .required(true),
            ),
        ]),
    )
}

/// The custom ids of reply forms start with this, then the ticket number.
const REPLY_MODAL_PREFIX: &str = "pd:reply-form:";

/// The ticket a reply form is for, when `custom_id` is one.
pub fn reply_modal_ticket(custom_id: &str) -> Option<i64> {
    custom_id
        .strip_prefix(REPLY_MODAL_PREFIX)?
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
}

/// The form a "Reply to AWS" press opens: the reply's text.
pub fn reply_modal(ticket: i64) -> CreateInteractionResponse {
    use serenity::all::{CreateInputText, CreateModal, InputTextStyle};
    CreateInteractionResponse::Modal(
        CreateModal::new(
            format!("{REPLY_MODAL_PREFIX}{ticket}"),
            crate::reply::limits::modal_title(&format!("Reply to AWS on ticket #{ticket}")),
        )
        .components(vec![CreateActionRow::InputText(
            CreateInputText::new(InputTextStyle::Paragraph, "Your reply (sent on the AWS case)", "text")
                .max_length(4000)
                .required(true),
        )]),
    )
}

pub fn embed(embed: &Embed) -> CreateEmbed {
    let mut out = CreateEmbed::new().colour(embed.color);
    if let Some(title) = &embed.title {
        out = out.title(title);
    }
    if let Some(description) = &embed.description {
        out = out.description(description);
    }
    for field in &embed.fields {
        out = out.field(&field.name, &field.value, field.inline);
    }
    if let Some(footer) = &embed.footer {
        out = out.footer(CreateEmbedFooter::new(&footer.text));
    }
    if let Some(image) = &embed.image {
        out = out.image(&image.url);
    }
    out
}

fn button(button: &Button) -> CreateButton {
    CreateButton::new(custom_id(&button.action))
        .label(&button.label)
        .style(ButtonStyle::Primary)
}

fn components(reply: &Reply) -> Vec<CreateActionRow> {
    button_rows(&reply.buttons)
}

/// Buttons in rows, as many as Discord allows.
pub fn button_rows(buttons: &[Button]) -> Vec<CreateActionRow> {
    buttons
        .chunks(BUTTONS_PER_ROW)
        .take(ROWS)
        .map(|row| CreateActionRow::Buttons(row.iter().map(button).collect()))
        .collect()
}

fn attachments(reply: &Reply) -> Vec<CreateAttachment> {
    reply
        .attachments
        .iter()
        .map(|a| CreateAttachment::bytes(a.bytes.clone(), a.filename.clone()))
        .collect()
}

/// Mentions that ping nobody: text users typed can never reach @everyone,
/// @here, roles or users. `on_call` is the one role that may be pinged, and
/// only when the caller passes it (critical escalations and outages).
pub fn allowed_mentions(on_call: Option<RoleId>) -> CreateAllowedMentions {
    let mentions = CreateAllowedMentions::new()
        .everyone(false)
        .all_users(false)
        .all_roles(false)
        .replied_user(false);
    match on_call {
        Some(role) => mentions.roles(vec![role]),
        None => mentions,
    }
}

/// The immediate answer to an interaction.
pub fn interaction_message(reply: &Reply) -> CreateInteractionResponse {
    let message = CreateInteractionResponseMessage::new()
        .embeds(reply.embeds.iter().map(embed).collect())
        .components(components(reply))
        .files(attachments(reply))
        .ephemeral(reply.ephemeral)
        .allowed_mentions(allowed_mentions(None));
    CreateInteractionResponse::Message(message)
}

/// The acknowledgement sent within Discord's 3 seconds when the answer needs
/// AWS; `ephemeral` can only be chosen here, not on the later edit.
pub fn deferral(ephemeral: bool) -> CreateInteractionResponse {
    CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(ephemeral))
}

/// The edit that completes a deferred interaction.
pub fn interaction_edit(reply: &Reply) -> EditInteractionResponse {
    let mut edit = EditInteractionResponse::new()
        .embeds(reply.embeds.iter().map(embed).collect())
        .components(components(reply))
        .allowed_mentions(allowed_mentions(None));
    for file in attachments(reply) {
        edit = edit.new_attachment(file);
    }
    edit
}

/// A private answer after a deferral made in the open: a follow-up only
/// the asker sees.
pub fn private_followup(reply: &Reply) -> serenity::all::CreateInteractionResponseFollowup {
    serenity::all::CreateInteractionResponseFollowup::new()
        .embeds(reply.embeds.iter().map(embed).collect())
        .components(components(reply))
        .files(attachments(reply))
        .ephemeral(true)
        .allowed_mentions(allowed_mentions(None))
}

/// A channel message (a reply to a chat message, or an alert).
pub fn channel_message(reply: &Reply, on_call: Option<RoleId>) -> CreateMessage {
    CreateMessage::new()
        .embeds(reply.embeds.iter().map(embed).collect())
        .components(components(reply))
        .files(attachments(reply))
        .allowed_mentions(allowed_mentions(on_call))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{Attachment, colour};

    fn sample() -> Reply {
        Reply::embed(
            Embed::new("✅ In scope: IAM policies", colour::IN_SCOPE)
                .description("d")
                .inline_field("a", "b")
                .footer("f")
                .image_attachment("spend.png"),
        )
        .with_button("Open escalation", ButtonAction::OpenEscalation)
        .with_attachment(Attachment {
            filename: "spend.png".into(),
            content_type: "image/png".into(),
            bytes: vec![1, 2, 3],
        })
    }

    #[test]
    fn embeds_keep_discords_field_names_and_values() {
        let json = serde_json::to_value(embed(&sample().embeds[0])).unwrap();
        assert_eq!(json["title"], "✅ In scope: IAM policies");
        assert_eq!(json["color"], colour::IN_SCOPE);
        assert_eq!(
            json["fields"][0],
            serde_json::json!({"name": "a", "value": "b", "inline": true})
        );
        assert_eq!(json["footer"]["text"], "f");
        assert_eq!(json["image"]["url"], "attachment://spend.png");
    }

    #[test]
    fn interaction_answers_ping_nobody_and_carry_the_ephemeral_flag() {
        let json = serde_json::to_value(interaction_message(&sample().ephemeral())).unwrap();
        assert_eq!(json["type"], 4);
        let data = &json["data"];
        assert_eq!(data["flags"], 64);
        assert_eq!(data["allowed_mentions"]["parse"], serde_json::json!([]));
        assert_eq!(data["components"][0]["components"][0]["custom_id"], "pd:escalate");
        assert_eq!(data["embeds"][0]["title"], "✅ In scope: IAM policies");
    }

    #[test]
    fn a_deferral_is_type_5_with_its_flag() {
        let json = serde_json::to_value(deferral(true)).unwrap();
        assert_eq!(json["type"], 5);
        assert_eq!(json["data"]["flags"], 64);
    }

    #[test]
    fn only_the_on_call_role_may_be_pinged_and_only_when_asked() {
        let none = serde_json::to_value(channel_message(&sample(), None)).unwrap();
        assert_eq!(none["allowed_mentions"]["parse"], serde_json::json!([]));
        assert!(
            none["allowed_mentions"]["roles"]
                .as_array()
                .is_none_or(|r| r.is_empty())
        );
        let on_call = serde_json::to_value(channel_message(&sample(), Some(RoleId::new(42)))).unwrap();
        assert_eq!(on_call["allowed_mentions"]["parse"], serde_json::json!([]));
        assert_eq!(on_call["allowed_mentions"]["roles"], serde_json::json!(["42"]));
    }

    #[test]
    fn custom_ids_round_trip_and_fit_discords_limit() {
        for action in [
            ButtonAction::OpenEscalation,
            ButtonAction::ApproveCase { ticket: 42 },
            ButtonAction::ResolveTicket { ticket: i64::MAX },
        ] {
            let id = custom_id(&action);
            assert!(id.len() <= 100);
            assert_eq!(parse_custom_id(&id), Some(action));
        }
        assert_eq!(parse_custom_id("pd:approve:x"), None);
        assert_eq!(parse_custom_id("pd:resolve:-3"), None);
        assert_eq!(parse_custom_id("someone-else:escalate"), None);
        assert_eq!(parse_custom_id("pd:unknown"), None);
    }

    #[test]
    fn many_buttons_are_split_into_rows_of_five() {
        let mut reply = Reply::default();
        for i in 0..12 {
            reply = reply.with_button(format!("b{i}"), ButtonAction::OpenEscalation);
        }
        let rows = components(&reply);
        assert_eq!(rows.len(), 3);
    }
}
