//! The Discord handler: turns serenity's events into `Inbound`s for the
//! pipeline and its answers back into Discord calls. Interactions come from
//! the gateway or from the HTTP interactions endpoint (`endpoint`) and take
//! the same path ([`Handler::interaction`]); only where the first response
//! goes differs ([`FirstResponse`]). Slash commands that may call AWS are
//! deferred within Discord's 3 seconds and completed by editing the original
//! response; each interaction id is acted on once, across instances; chat
//! messages are answered when the bot is mentioned, in DMs, or in the
//! configured support channels.

use std::sync::Arc;

use serenity::all::{
    ActionRowComponent, Attachment, AttachmentId, ChannelId, CommandDataOption, CommandDataOptionValue,
    CommandInteraction, ComponentInteraction, Context, CreateInteractionResponse, CreateInteractionResponseMessage,
    EventHandler, GuildId, Http, Interaction, Message, ModalInteraction, Ready, RoleId, UserId,
};
use serenity::async_trait;
use tokio::sync::oneshot;

use super::render;
use crate::app::App;
use crate::domain::Role;
use crate::inbound::{Actor, Content, Inbound};
use crate::intent::slash::{FileSource, FileUpload};
use crate::intent::{OptionValue, SlashCommand};
use crate::reply::ButtonAction;

pub struct Handler {
    app: Arc<App>,
    bot_id: std::sync::OnceLock<UserId>,
}

/// Where an interaction's first response goes: to Discord's callback
/// endpoint (an interaction from the gateway), or into the body of the HTTP
/// request it came in (the interactions endpoint).
pub struct FirstResponse(std::sync::Mutex<Option<oneshot::Sender<CreateInteractionResponse>>>);

impl FirstResponse {
    /// Through the REST API (the gateway).
    pub fn rest() -> Self {
        Self(std::sync::Mutex::new(None))
    }

    /// As the HTTP answer, sent on `body`.
    pub fn http(body: oneshot::Sender<CreateInteractionResponse>) -> Self {
        Self(std::sync::Mutex::new(Some(body)))
    }

    fn take(&self) -> Option<oneshot::Sender<CreateInteractionResponse>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}

/// A short answer only the asker sees, pinging nobody.
fn private_notice(text: &str) -> CreateInteractionResponse {
    CreateInteractionResponse::Message(
        CreateInteractionResponseMessage::new()
            .content(crate::reply::limits::content(text))
            .ephemeral(true)
            .allowed_mentions(render::allowed_mentions(None)),
    )
}

/// Sends an interaction's first response where it goes. When the HTTP
/// answer has already gone (the endpoint deferred privately because the
/// handler took too long), a message becomes the edit of that deferral.
async fn send_first(
    http: &Http,
    first: &FirstResponse,
    interaction: &impl Deferrable,
    response: CreateInteractionResponse,
) -> serenity::Result<()> {
    let Some(body) = first.take() else {
        return interaction.respond(http, response).await;
    };
    let Err(late) = body.send(response) else {
        return Ok(());
    };
    let late = serde_json::to_value(&late)?;
    match late["type"].as_u64() {
        // A message: the deferral's edit takes its content (the deferral
        // is private, so the answer is at least as private as meant).
        Some(4) => {
            let mut data = late["data"].clone();
            if let Some(fields) = data.as_object_mut() {
                fields.remove("flags");
            }
            http.edit_original_interaction_response(interaction.token(), &data, Vec::new())
                .await
                .map(|_| ())
        }
        // A deferral: already deferred.
        Some(5 | 6) => Ok(()),
        _ => {
            tracing::warn!(kind = %late["type"], "a form or suggestions came too late for the interaction");
            Ok(())
        }
    }
}

impl Handler {
    pub fn new(app: Arc<App>) -> Self {
        Self {
            app,
            bot_id: std::sync::OnceLock::new(),
        }
    }

    /// The store the handler records interactions in.
    pub fn store(&self) -> &crate::store::Store {
        self.app.store()
    }

    fn role_of(&self, user: &str, roles: &[String]) -> Role {
        let engineers = &self.app.config().engineers;
        if engineers.user_ids.iter().any(|u| u == user) || roles.iter().any(|r| engineers.role_ids.contains(r)) {
            Role::Engineer
        } else {
            Role::Customer
        }
    }

    fn actor(
        &self,
        user: &serenity::all::User,
        nick: Option<&str>,
        roles: &[RoleId],
        guild: Option<GuildId>,
        channel: ChannelId,
    ) -> Actor {
        let role_ids: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        let user_id = user.id.to_string();
        Actor {
            role: self.role_of(&user_id, &role_ids),
            display_name: nick.map(str::to_owned).unwrap_or_else(|| user.name.clone()),
            user_id,
            role_ids,
            guild_id: guild.map(|g| g.to_string()),
            channel_id: Some(channel.to_string()),
        }
    }

    /// The actor behind an interaction, from its guild member if any.
    fn member_actor(
        &self,
        user: &serenity::all::User,
        member: Option<&serenity::all::Member>,
        guild: Option<GuildId>,
        channel: ChannelId,
    ) -> Actor {
        let roles = member.map(|m| m.roles.clone()).unwrap_or_default();
        self.actor(user, member.and_then(|m| m.nick.as_deref()), &roles, guild, channel)
    }

    /// A button press: "Open escalation" opens the form; the engineers'
    /// buttons act through the same pipeline as `/ticket`, and anyone else
    /// pressing them gets a private refusal.
    async fn component(&self, http: &Http, first: &FirstResponse, interaction: &ComponentInteraction) {
        let Some(action) = render::parse_custom_id(&interaction.data.custom_id) else {
            tracing::info!(custom_id = %interaction.data.custom_id, "a button that is not ours");
            return;
        };
        let actor = self.member_actor(
            &interaction.user,
            interaction.member.as_ref(),
            interaction.guild_id,
            interaction.channel_id,
        );
        if action.engineers_only() && actor.role != Role::Engineer {
            tracing::warn!(user = %actor.user_id, ?action, "engineers-only button pressed by someone else");
            let refusal =
                private_notice("Only support engineers can do that. Ask in your support channel if you need it done.");
            if let Err(error) = send_first(http, first, interaction, refusal).await {
                tracing::error!(%error, "could not refuse the button press");
            }
            return;
        }
        let (subcommand, ticket) = match action {
            ButtonAction::OpenEscalation => {
                if let Err(error) = send_first(http, first, interaction, render::escalation_modal()).await {
                    tracing::error!(%error, "could not open the escalation form");
                }
                return;
            }
            ButtonAction::ReplyToAws { ticket } => {
                if let Err(error) = send_first(http, first, interaction, render::reply_modal(ticket)).await {
                    tracing::error!(%error, "could not open the reply form");
                }
                return;
            }
            ButtonAction::ApproveCase { ticket } => ("approve", ticket),
            ButtonAction::ResolveTicket { ticket } => ("resolve", ticket),
        };
        let command = SlashCommand {
            name: "ticket".to_owned(),
            subcommand: Some(subcommand.to_owned()),
            options: vec![("id".to_owned(), OptionValue::Integer(ticket))],
        };
        self.deferred(http, first, interaction, Request::new(actor, command), false)
            .await;
    }

    /// Suggestions while an option is typed: only what the asker may see.
    async fn autocomplete(&self, http: &Http, first: &FirstResponse, interaction: &CommandInteraction) {
        use serenity::all::CreateAutocompleteResponse;
        let Some(focused) = interaction.data.autocomplete() else {
            return;
        };
        let actor = self.member_actor(
            &interaction.user,
            interaction.member.as_deref(),
            interaction.guild_id,
            interaction.channel_id,
        );
        // The account typed so far, which decides the severities offered.
        let account = interaction
            .data
            .options
            .iter()
            .find_map(|o| match (o.name.as_str(), &o.value) {
                ("account", serenity::all::CommandDataOptionValue::String(value)) => Some(value.as_str()),
                _ => None,
            });
        let mut response = CreateAutocompleteResponse::new();
        for suggestion in self
            .app
            .suggest(&actor, &interaction.data.name, focused.name, focused.value, account)
            .await
        {
            response = match suggestion {
                crate::service::suggest::Suggestion::Ticket { label, id }
                | crate::service::suggest::Suggestion::Outage { label, id } => response.add_int_choice(label, id),
                crate::service::suggest::Suggestion::Account { label, id }
                | crate::service::suggest::Suggestion::Severity { label, code: id } => {
                    response.add_string_choice(label, id)
                }
            };
        }
        if let Err(error) = send_first(
            http,
            first,
            interaction,
            CreateInteractionResponse::Autocomplete(response),
        )
        .await
        {
            tracing::error!(%error, "could not send suggestions");
        }
    }

    /// The escalation form, submitted.
    async fn modal(&self, http: &Http, first: &FirstResponse, interaction: &ModalInteraction) {
        let reply_to = render::reply_modal_ticket(&interaction.data.custom_id);
        if interaction.data.custom_id != render::ESCALATION_MODAL && reply_to.is_none() {
            tracing::info!(custom_id = %interaction.data.custom_id, "a form that is not ours");
            return;
        }
        let mut options = Vec::new();
        for row in &interaction.data.components {
            for component in &row.components {
                if let ActionRowComponent::InputText(input) = component {
                    let value = input.value.clone().unwrap_or_default();
                    options.push((input.custom_id.clone(), OptionValue::String(value)));
                }
            }
        }
        let actor = self.member_actor(
            &interaction.user,
            interaction.member.as_ref(),
            interaction.guild_id,
            interaction.channel_id,
        );
        // A reply form is `/ticket note id:N to:aws` with its text.
        let command = match reply_to {
            Some(ticket) => {
                options.retain(|(name, _)| name == "text");
                options.push(("id".to_owned(), OptionValue::Integer(ticket)));
                options.push(("to".to_owned(), OptionValue::String("aws".to_owned())));
                SlashCommand {
                    name: "ticket".to_owned(),
                    subcommand: Some("note".to_owned()),
                    options,
                }
            }
            None => SlashCommand {
                name: "escalate".to_owned(),
                subcommand: None,
                options,
            },
        };
        self.deferred(http, first, interaction, Request::new(actor, command), false)
            .await;
    }

    /// Defers, runs the command through the pipeline, and completes the
    /// interaction by editing its response.
    async fn deferred(
        &self,
        http: &Http,
        first: &FirstResponse,
        interaction: &impl Deferrable,
        request: Request<'_>,
        private: bool,
    ) {
        let Request {
            actor,
            mut command,
            attachments,
        } = request;
        if let Err(error) = send_first(http, first, interaction, render::deferral(private)).await {
            tracing::error!(%error, "could not defer the interaction");
            return;
        }
        fetch_attachments(&mut command, attachments).await;
        let answer = self
            .app
            .handle(Inbound {
                actor,
                content: Content::Command(command),
            })
            .await;
        if answer.reply.ephemeral && !private {
            // Deferred in the open, answered privately (a refusal, figures):
            // the open response only says so; the answer follows, seen by
            // the asker alone.
            let pointer = render::interaction_edit(&crate::reply::Reply::private_pointer_here());
            if let Err(error) = interaction.edit(http, pointer).await {
                tracing::error!(%error, "could not answer the interaction");
            }
            if let Err(error) = interaction
                .followup(http, render::private_followup(&answer.reply))
                .await
            {
                tracing::error!(%error, "could not send the private answer");
            }
            return;
        }
        if let Err(error) = interaction.edit(http, render::interaction_edit(&answer.reply)).await {
            tracing::error!(%error, "could not answer the interaction");
        }
    }

    async fn command(&self, http: &Http, first: &FirstResponse, interaction: &CommandInteraction) {
        let command = slash_command(
            &interaction.data.name,
            &interaction.data.options,
            &interaction.data.resolved.attachments,
        );
        let actor = self.member_actor(
            &interaction.user,
            interaction.member.as_deref(),
            interaction.guild_id,
            interaction.channel_id,
        );
        if may_call_aws(&command) {
            // Whether the answer will be private must be chosen now.
            let private = self.app.directory().answers_privately(&actor, &command.name);
            let attachments: Vec<Attachment> = interaction.data.resolved.attachments.values().cloned().collect();
            let request = Request {
                actor,
                command,
                attachments: &attachments,
            };
            self.deferred(http, first, interaction, request, private).await;
            return;
        }
        let answer = self
            .app
            .handle(Inbound {
                actor,
                content: Content::Command(command),
            })
            .await;
        if let Err(error) = send_first(http, first, interaction, render::interaction_message(&answer.reply)).await {
            tracing::error!(%error, "could not answer the interaction");
        }
    }
}

/// The interactions the bot answers by deferring and then editing: slash
/// commands, button presses and form submissions (serenity gives each its
/// own type).
trait Deferrable: Sync {
    /// The interaction's token (for its webhook: edits, follow-ups).
    fn token(&self) -> &str;
    async fn respond(&self, http: &serenity::http::Http, response: CreateInteractionResponse) -> serenity::Result<()>;
    async fn edit(
        &self,
        http: &serenity::http::Http,
        edit: serenity::all::EditInteractionResponse,
    ) -> serenity::Result<()>;
    async fn followup(
        &self,
        http: &serenity::http::Http,
        followup: serenity::all::CreateInteractionResponseFollowup,
    ) -> serenity::Result<()>;
}

macro_rules! deferrable {
    ($($kind:ty),*) => {$(
        impl Deferrable for $kind {
            fn token(&self) -> &str {
                &self.token
            }
            async fn respond(&self, http: &serenity::http::Http, response: CreateInteractionResponse) -> serenity::Result<()> {
                self.create_response(http, response).await
            }
            async fn edit(&self, http: &serenity::http::Http, edit: serenity::all::EditInteractionResponse) -> serenity::Result<()> {
                self.edit_response(http, edit).await.map(|_| ())
            }
            async fn followup(&self, http: &serenity::http::Http, followup: serenity::all::CreateInteractionResponseFollowup) -> serenity::Result<()> {
                self.create_followup(http, followup).await.map(|_| ())
            }
        }
    )*};
}

deferrable!(CommandInteraction, ComponentInteraction, ModalInteraction);

/// Commands whose answer may need AWS (and so more than Discord's 3 seconds).
fn may_call_aws(command: &SlashCommand) -> bool {
    match command.name.as_str() {
        "escalate" | "spend" | "estimate" | "ticket" | "outage" => true,
        // A scope question naming an account is checked in Organizations.
        "scope" => command.options.iter().any(|(_, value)| match value {
            OptionValue::String(text) => crate::intent::account_in(text).is_some(),
            OptionValue::Integer(_) | OptionValue::File(_) => false,
        }),
        _ => false,
    }
}

/// Discord's nested options, flattened into the pipeline's `SlashCommand`;
/// an attachment option names its file (in `attachments`, the interaction's
/// resolved data), whose bytes are fetched after the deferral.
pub fn slash_command(
    name: &str,
    options: &[CommandDataOption],
    attachments: &std::collections::HashMap<AttachmentId, Attachment>,
) -> SlashCommand {
    let mut command = SlashCommand {
        name: name.to_owned(),
        subcommand: None,
        options: Vec::new(),
    };
    for option in options {
        match &option.value {
            CommandDataOptionValue::SubCommand(inner) => {
                command.subcommand = Some(option.name.clone());
                command
                    .options
                    .extend(inner.iter().filter_map(|o| flat(o, attachments)));
            }
            _ => command.options.extend(flat(option, attachments)),
        }
    }
    command
}

fn flat(
    option: &CommandDataOption,
    attachments: &std::collections::HashMap<AttachmentId, Attachment>,
) -> Option<(String, OptionValue)> {
    let value = match &option.value {
        CommandDataOptionValue::Attachment(id) => match attachments.get(id) {
            Some(attachment) => OptionValue::File(FileUpload {
                name: attachment.filename.clone(),
                size: u64::from(attachment.size),
                source: FileSource::Discord {
                    url: attachment.url.clone(),
                },
                bytes: None,
            }),
            // Not resolved: nothing to fetch, and validation refuses it.
            None => OptionValue::Integer(0),
        },
        CommandDataOptionValue::String(s) => OptionValue::String(s.clone()),
        CommandDataOptionValue::Integer(i) => OptionValue::Integer(*i),
        CommandDataOptionValue::Number(n) => OptionValue::String(n.to_string()),
        CommandDataOptionValue::Boolean(b) => OptionValue::String(b.to_string()),
        // Types the bot never registers are passed on for validation to refuse.
        other => OptionValue::String(format!("{other:?}")),
    };
    Some((option.name.clone(), value))
}

/// Downloads the Discord attachments given with a command (within AWS's
/// size limit; a larger one is left for the service to refuse by its size),
/// each within a bounded time; one that cannot be fetched is left without
/// bytes and refused politely.
async fn fetch_attachments(command: &mut SlashCommand, attachments: &[Attachment]) {
    for (_, value) in command.options.iter_mut() {
        let OptionValue::File(file) = value else {
            continue;
        };
        let FileSource::Discord { url } = &file.source else {
            continue;
        };
        if file.size > crate::service::tickets::MAX_FILE_BYTES {
            continue;
        }
        let Some(attachment) = attachments.iter().find(|a| a.url == *url) else {
            continue;
        };
        match tokio::time::timeout(ATTACHMENT_FETCH, attachment.download()).await {
            Ok(Ok(bytes)) => {
                file.size = bytes.len() as u64;
                file.bytes = Some(bytes.into());
            }
            Ok(Err(error)) => tracing::warn!(%error, file = %file.name, "could not fetch an attachment"),
            Err(_) => tracing::warn!(file = %file.name, "an attachment took too long to fetch"),
        }
    }
}

/// A command to run after its interaction is deferred: who asked, what,
/// and the Discord attachments its file options name.
struct Request<'a> {
    actor: Actor,
    command: SlashCommand,
    attachments: &'a [Attachment],
}

impl Request<'_> {
    fn new(actor: Actor, command: SlashCommand) -> Self {
        Self {
            actor,
            command,
            attachments: &[],
        }
    }
}

/// The longest an attachment's download may take.
const ATTACHMENT_FETCH: std::time::Duration = std::time::Duration::from_secs(20);

impl Handler {
    /// An interaction, from the gateway or the HTTP endpoint: acted on once
    /// (its id is recorded in the shared store first), then answered.
    #[tracing::instrument(name = "interaction", skip_all, fields(id = %interaction.id()))]
    pub async fn interaction(&self, http: &Http, interaction: Interaction, first: FirstResponse) {
        let id = interaction.id().to_string();
        match self
            .app
            .store()
            .first_sighting(&id, time::OffsetDateTime::now_utc())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(interaction = %id, "interaction delivered again; already handled");
                return;
            }
            Err(error) => {
                tracing::error!(error = %crate::error::cause_chain(&error), "could not record the interaction");
                let sorry = private_notice(
                    "Sorry, the desk cannot take requests right now (its database is unavailable). Please try again in a minute; for something critical, call us (`/contact`).",
                );
                let answered = match &interaction {
                    Interaction::Command(command) => send_first(http, &first, command, sorry).await,
                    Interaction::Component(component) => send_first(http, &first, component, sorry).await,
                    Interaction::Modal(modal) => send_first(http, &first, modal, sorry).await,
                    _ => Ok(()),
                };
                if let Err(error) = answered {
                    tracing::error!(%error, "could not tell the user the request was not taken");
                }
                return;
            }
        }
        match &interaction {
            Interaction::Command(command) => self.command(http, &first, command).await,
            Interaction::Component(component) => self.component(http, &first, component).await,
            Interaction::Modal(modal) => self.modal(http, &first, modal).await,
            Interaction::Autocomplete(typing) => self.autocomplete(http, &first, typing).await,
            _ => {}
        }
    }

    /// A reply only its asker may see (spend figures, refusals), to a
    /// message in a shared channel: Discord has no private replies to
    /// messages, so it goes by direct message and the channel is told where.
    async fn answer_privately(&self, ctx: &Context, message: &Message, reply: &crate::reply::Reply) {
        let sent = match message.author.create_dm_channel(&ctx.http).await {
            Ok(dm) => match dm
                .id
                .send_message(&ctx.http, render::channel_message(reply, None))
                .await
            {
                Ok(_) => true,
                Err(error) => {
                    tracing::warn!(%error, user = %message.author.id, "could not send a private answer by DM");
                    false
                }
            },
            Err(error) => {
                tracing::warn!(%error, user = %message.author.id, "could not open a DM for a private answer");
                false
            }
        };
        let pointer =
            render::channel_message(&crate::reply::Reply::private_pointer(sent), None).reference_message(message);
        if let Err(error) = message.channel_id.send_message(&ctx.http, pointer).await {
            tracing::error!(%error, "could not say where the private answer went");
        }
    }
}

/// The text of a message without the bot's own mention.
fn without_mention(content: &str, bot: UserId) -> String {
    content
        .replace(&format!("<@{bot}>"), " ")
        .replace(&format!("<@!{bot}>"), " ")
        .trim()
        .to_owned()
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let _ = self.bot_id.set(ready.user.id);
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
        match super::register_commands(&ctx.http, self.app.config(), self.app.policy()).await {
            Ok(done) => tracing::info!("{done}"),
            Err(error) => tracing::error!(%error, "could not register the slash commands"),
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        self.interaction(&ctx.http, interaction, FirstResponse::rest()).await;
    }

    async fn message(&self, ctx: Context, message: Message) {
        if message.author.bot {
            return;
        }
        let Some(bot) = self.bot_id.get().copied() else {
            return;
        };
        let in_support_channel = self
            .app
            .config()
            .discord
            .support_channel_ids
            .iter()
            .any(|c| *c == message.channel_id.to_string());
        let direct = message.guild_id.is_none() || message.mentions_user_id(bot);
        let text = without_mention(&message.content, bot);
        // Not for the bot: neither a mention nor a DM, and not a support
        // channel's message with words in it.
        if !direct && (!in_support_channel || text.is_empty()) {
            return;
        }
        // A message delivered again (a resumed gateway session replays
        // events) is acted on once, like an interaction.
        match self
            .app
            .store()
            .first_sighting(&format!("message:{}", message.id), time::OffsetDateTime::now_utc())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(message = %message.id, "message delivered again; already handled");
                return;
            }
            Err(error) => {
                tracing::error!(error = %crate::error::cause_chain(&error), "could not record the message");
                return;
            }
        }
        let roles = message.member.as_ref().map(|m| m.roles.clone()).unwrap_or_default();
        let nick = message.member.as_ref().and_then(|m| m.nick.as_deref());
        let actor = self.actor(&message.author, nick, &roles, message.guild_id, message.channel_id);
        // A mention or a DM is always answered; a message overheard in a
        // support channel only when it asks the desk something.
        let inbound = if direct {
            Inbound::direct(actor, text)
        } else {
            Inbound::text(actor, text)
        };
        let answer = self.app.handle(inbound).await;
        if answer.reply.is_silent() {
            return;
        }
        if answer.reply.ephemeral && message.guild_id.is_some() {
            self.answer_privately(&ctx, &message, &answer.reply).await;
            return;
        }
        let reply = render::channel_message(&answer.reply, None).reference_message(&message);
        if let Err(error) = message.channel_id.send_message(&ctx.http, reply).await {
            tracing::error!(%error, "could not reply to the message");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_subcommand_options_are_flattened() {
        let options: Vec<CommandDataOption> = serde_json::from_value(serde_json::json!([
            {"name": "show", "type": 1, "options": [{"name": "id", "type": 4, "value": 12}]}
        ]))
        .unwrap();
        let command = slash_command("ticket", &options, &Default::default());
        assert_eq!(command.subcommand.as_deref(), Some("show"));
        assert_eq!(command.options, vec![("id".to_owned(), OptionValue::Integer(12))]);
    }

    #[test]
    fn only_commands_that_may_call_aws_are_deferred() {
        let scope = |q: &str| SlashCommand {
            name: "scope".into(),
            subcommand: None,
            options: vec![("question".into(), OptionValue::String(q.into()))],
        };
        assert!(!may_call_aws(&scope("is IAM in scope?")));
        assert!(may_call_aws(&scope("is account 123456789012 covered?")));
        let spend = SlashCommand {
            name: "spend".into(),
            subcommand: None,
            options: vec![],
        };
        assert!(may_call_aws(&spend));
    }

    #[test]
    fn the_bots_mention_is_removed_from_the_text() {
        let bot = UserId::new(99);
        assert_eq!(without_mention("<@99> is IAM in scope?", bot), "is IAM in scope?");
        assert_eq!(without_mention("hey <@!99>", bot), "hey");
    }
}
