//! Outages: what is down, which channels should hear of it, and how it reads.
//!
//! Three sources feed one table: AWS Health events (recorded by the
//! [`health_poller`](super::health_poller)), outages engineers declare with
//! `/outage declare`, and critical escalations. A channel hears of an outage
//! when it is subscribed (or is the configured outage channel), the outage
//! passes its filters, and, for a customer's channel, the outage is public or
//! touches that customer: one customer's event never reaches another's
//! channel.

use std::collections::BTreeSet;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::access::{Audience, Directory, Scope};
use crate::aws::health::HealthEvent;
use crate::clock::Clock;
use crate::config::CustomerConfig;
use crate::domain::{Role, Severity};
use crate::error::{ServiceError, UserError};
use crate::inbound::Actor;
use crate::intent::{Declaration, OutageRequest, SubscriptionFilters};
use crate::policy::Policy;
use crate::reply::{Embed, Reply, colour, quote_user_text};
use crate::store::{
    Outage, OutagePost, OutageRecord, OutageSource, OutageStatus, PollState, Store, Subscription, Ticket, TicketStatus,
    timestamp,
};

/// Outages listed in one answer, at most.
const LISTED: usize = 10;

pub struct OutageService {
    store: Store,
    directory: Arc<Directory>,
    policy: Arc<Policy>,
    clock: Arc<dyn Clock>,
    /// Whether this deployment polls AWS Health at all.
    health_followed: bool,
    /// The configured outage channel, which hears of everything.
    outage_channel: Option<String>,
}

impl OutageService {
    pub fn new(
        store: Store,
        directory: Arc<Directory>,
        policy: Arc<Policy>,
        clock: Arc<dyn Clock>,
        health_followed: bool,
        outage_channel: Option<String>,
    ) -> Self {
        Self {
            store,
            directory,
            policy,
            clock,
            health_followed,
            outage_channel,
        }
    }

    #[tracing::instrument(name = "service.outage", skip_all)]
    pub async fn handle(&self, actor: &Actor, request: OutageRequest) -> Result<Reply, ServiceError> {
        match request {
            OutageRequest::Status { region } => self.status(actor, region.as_deref()).await,
            OutageRequest::Subscribe(filters) => self.subscribe(actor, filters).await,
            OutageRequest::Unsubscribe => self.unsubscribe(actor).await,
            OutageRequest::Subscriptions => self.subscriptions(actor).await,
            OutageRequest::Declare(declaration) => {
                engineers_only(actor, "declare outages")?;
                self.declare(actor, declaration).await
            }
            OutageRequest::Update { id, text, severity } => {
                engineers_only(actor, "update outages")?;
                self.update(actor, id, text, severity, false).await
            }
            OutageRequest::Resolve { id, text } => {
                engineers_only(actor, "resolve outages")?;
                let text = text.unwrap_or_else(|| "Resolved.".to_owned());
                self.update(actor, id, text, None, true).await
            }
        }
    }

    /// "Is AWS down?": the open outages the asker may see, or plainly none,
    /// with when AWS Health was last read.
    async fn status(&self, actor: &Actor, region: Option<&str>) -> Result<Reply, ServiceError> {
        let scope = self.directory.scope_of(actor);
        let outages: Vec<Outage> = self
            .store
            .open_outages()
            .await?
            .into_iter()
            .filter(|o| o.source != OutageSource::Escalation)
            .filter(|o| match scope {
                Scope::Everyone => true,
                Scope::Customer(customer) => visible_to(o, customer),
                Scope::Nobody => o.public,
            })
            .filter(|o| region.is_none_or(|r| in_region(o, r)))
            .collect();
        let poll = self.store.poll_state().await?;
        let place = region.map(|r| format!(" in {r}")).unwrap_or_default();
        let mut embed = if outages.is_empty() {
            let known = if self.health_followed {
                format!(
                    "Neither AWS Health nor {} has an open issue{place} that concerns you.",
                    self.policy.provider.name
                )
            } else {
                format!("{} has declared no open outage{place}.", self.policy.provider.name)
            };
            Embed::new(format!("✅ No known outage{place}"), colour::IN_SCOPE).description(format!(
                "{known} Seeing a problem anyway? Open an escalation with `/escalate`, or for something critical call us (`/contact`)."
            ))
        } else {
            let worst = outages.iter().map(|o| o.severity).max().unwrap_or(Severity::Normal);
            let mut embed = Embed::new(
                format!(
                    "{} {} open outage{}{place}",
                    if worst >= Severity::Urgent { "🔴" } else { "🟠" },
                    outages.len(),
                    if outages.len() == 1 { "" } else { "s" }
                ),
                if worst >= Severity::Urgent {
                    colour::URGENT
                } else {
                    colour::ERROR
                },
            );
            for outage in outages.iter().take(LISTED) {
                embed = embed.field(
                    format!(
                        "#{} {} · {}",
                        outage.id,
                        outage_heading(outage, &self.policy),
                        outage.severity.code()
                    ),
                    status_line(outage, scope.audience(), &self.directory),
                );
            }
            if outages.len() > LISTED {
                embed = embed.description(format!("The {LISTED} most recent are listed."));
            }
            if worst == Severity::Critical {
                embed = embed.field("Critical? Call us", phone_lines(&self.policy));
            }
            embed
        };
        embed = embed.footer(self.health_note(&poll, actor.role == Role::Engineer));
        Ok(Reply::embed(embed))
    }

    /// When AWS Health was last read, or why it is not; engineers also see
    /// the last error.
    fn health_note(&self, poll: &PollState, engineer: bool) -> String {
        if !self.health_followed {
            return "AWS Health is not followed by this deployment; only outages declared by engineers are known."
                .to_owned();
        }
        let mut note = match (&poll.last_success, poll.failures) {
            (None, 0) => "AWS Health has not been read yet; the running bot reads it regularly.".to_owned(),
            (None, _) => "AWS Health could not be read yet; the bot keeps trying.".to_owned(),
            (Some(at), 0) => format!("AWS Health last checked {} UTC.", short_time(at)),
            (Some(at), failures) => format!(
                "AWS Health last read {} UTC; the {failures} attempt{} since failed and the bot keeps trying.",
                short_time(at),
                if failures == 1 { "" } else { "s" }
            ),
        };
        if engineer
            && poll.failures > 0
            && let Some(error) = &poll.last_error
        {
            note.push_str(&format!(" Last error: {}", quote_user_text(error, 300)));
        }
        note
    }

    async fn subscribe(&self, actor: &Actor, filters: SubscriptionFilters) -> Result<Reply, ServiceError> {
        engineers_only(actor, "subscribe channels to outages")?;
        let channel = here(actor, "subscribe")?;
        let readers = self.directory.audience(&channel, actor.guild_id.as_deref());
        let channel_customer = match readers {
            Audience::Customer(customer) => Some(customer),
            Audience::Internal | Audience::Public => None,
        };
        let mut customers = Vec::new();
        for name in &filters.customers {
            let customer = self.named_customer(name)?;
            if let Some(owner) = channel_customer
                && owner.name != customer.name
            {
                return Err(UserError::NothingToChange(format!(
                    "This channel belongs to {}, so it can only receive {}'s outages and public ones, never {}'s.",
                    owner.name, owner.name, customer.name
                ))
                .into());
            }
            customers.push(customer.name.clone());
        }
        let subscription = Subscription {
            channel_id: channel.clone(),
            guild_id: actor.guild_id.clone(),
            services: filters.services,
            regions: filters.regions,
            customers,
            muted_types: filters.muted_types,
            min_severity: filters.min_severity.unwrap_or(Severity::Low),
            created_by: actor.display_name.clone(),
            created_at: timestamp(self.clock.now()),
        };
        self.store.subscribe(&subscription).await?;
        tracing::info!(channel = %channel, "channel subscribed to outages");
        let audience = match readers {
            Audience::Customer(c) => format!(
                "This is {}'s channel: it receives public outages and those touching {}'s accounts.",
                c.name, c.name
            ),
            Audience::Internal => {
                "This is an internal channel: it receives every outage that passes the filters.".to_owned()
            }
            Audience::Public => "This channel belongs to no customer and is not configured as internal, so it receives public outages only (none tied to a customer's accounts). To send it every outage, add it to `discord.internal_channel_ids`.".to_owned(),
        };
        Ok(Reply::embed(
            Embed::new("🔔 Outages will be posted in this channel", colour::INFO)
                .description(format!(
                    "{audience} Each outage is posted once, edited as it changes, and marked resolved when it closes."
                ))
                .field("Filters", filters_text(&subscription)),
        ))
    }

    async fn unsubscribe(&self, actor: &Actor) -> Result<Reply, ServiceError> {
        engineers_only(actor, "unsubscribe channels from outages")?;
        let channel = here(actor, "unsubscribe")?;
        if !self.store.unsubscribe(&channel).await? {
            return Err(UserError::NothingToChange("This channel was not subscribed to outages.".to_owned()).into());
        }
        tracing::info!(channel = %channel, "channel unsubscribed from outages");
        let mut embed = Embed::new("🔕 No more outages in this channel", colour::INFO)
            .description("Messages already posted stay as they are and are no longer edited.");
        if self.outage_channel.as_deref() == Some(channel.as_str()) {
            embed = embed.field(
                "Note",
                "This is the configured outage channel (`discord.outage_channel_id`): it still receives every outage.",
            );
        }
        Ok(Reply::embed(embed))
    }

    async fn subscriptions(&self, actor: &Actor) -> Result<Reply, ServiceError> {
        engineers_only(actor, "list outage subscriptions")?;
        let subscriptions = self.store.subscriptions().await?;
        let mut embed = Embed::new("🔔 Outage subscriptions", colour::INFO);
        if let Some(channel) = &self.outage_channel {
            embed = embed.field(
                format!("<#{channel}> (configured outage channel)"),
                "everything, unless subscribed with filters below",
            );
        }
        if subscriptions.is_empty() && self.outage_channel.is_none() {
            embed = embed.description("No channel receives outages yet. Run `/outage subscribe` in one.");
        }
        for subscription in subscriptions.iter().take(20) {
            let owner = match self
                .directory
                .audience(&subscription.channel_id, subscription.guild_id.as_deref())
            {
                Audience::Customer(c) => format!(" · {}'s channel", c.name),
                Audience::Internal => " · internal".to_owned(),
                Audience::Public => " · public outages only".to_owned(),
            };
            embed = embed.field(
                format!("<#{}>{owner}", subscription.channel_id),
                format!(
                    "{}\nsince {} by {}",
                    filters_text(subscription),
                    short_time(&subscription.created_at),
                    quote_user_text(&subscription.created_by, 80)
                ),
            );
        }
        if subscriptions.len() > 20 {
            embed = embed.footer(format!("and {} more", subscriptions.len() - 20));
        }
        Ok(Reply::embed(embed).ephemeral())
    }

    async fn declare(&self, actor: &Actor, declaration: Declaration) -> Result<Reply, ServiceError> {
        let Declaration {
            title,
            description,
            severity,
            service,
            region,
            customers,
        } = declaration;
        if title.is_empty() || description.is_empty() {
            return Err(UserError::NothingToChange(
                "An outage needs a title and a description, e.g. `/outage declare title:\"VPN down in Frankfurt\" severity:urgent description:\"...\"`.".to_owned(),
            )
            .into());
        }
        let mut named = BTreeSet::new();
        for name in &customers {
            named.insert(self.named_customer(name)?.name.clone());
        }
        let now = self.clock.now();
        let record = OutageRecord {
            source: OutageSource::Provider,
            key: format!("provider/{:016x}", fastrand::u64(..)),
            title,
            service: service.unwrap_or_default(),
            event_type: "PROVIDER_OUTAGE".to_owned(),
            region: region.unwrap_or_default(),
            status: OutageStatus::Open,
            severity,
            public: named.is_empty(),
            description,
            started_at: Some(now),
            ended_at: None,
            last_updated: now,
            accounts: BTreeSet::new(),
            customers: named,
            declared_by: Some(actor.display_name.clone()),
        };
        let id = self.store.record_outage(&record, now).await?.id();
        tracing::info!(outage = id, severity = severity.code(), "provider outage declared");
        let outage = self
            .store
            .outage(id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("outage {id} vanished"))?;
        Ok(Reply::embed(
            announcement(&outage, self.directory.scope_of(actor).audience(), &self.directory, &self.policy, now).embed.field(
                "Posting",
                "The running bot (`platform-desk run`) posts it to the outage channel and every subscribed channel it concerns within seconds. Update it with `/outage update`, close it with `/outage resolve`.",
            ),
        ))
    }

    async fn update(
        &self,
        actor: &Actor,
        id: i64,
        text: String,
        severity: Option<Severity>,
        resolve: bool,
    ) -> Result<Reply, ServiceError> {
        let not_found = || UserError::NothingToChange(format!("I can't find provider outage #{id}."));
        let outage = self.store.outage(id).await?.ok_or_else(not_found)?;
        match outage.source {
            OutageSource::Provider => {}
            OutageSource::Aws => {
                return Err(UserError::NothingToChange(format!(
                    "Outage #{id} is an AWS Health event: AWS updates and closes it, and the posts follow."
                ))
                .into());
            }
            OutageSource::Escalation => {
                return Err(UserError::NothingToChange(format!(
                    "Outage #{id} announces a critical ticket: note or resolve the ticket with `/ticket`, and the posts follow."
                ))
                .into());
            }
        }
        if text.is_empty() {
            return Err(UserError::NothingToChange("An update needs some text.".to_owned()).into());
        }
        if outage.status == OutageStatus::Closed && !resolve {
            return Err(UserError::NothingToChange(format!(
                "Outage #{id} is already resolved; declare a new one if it is back."
            ))
            .into());
        }
        if outage.status == OutageStatus::Closed && resolve {
            return Err(UserError::NothingToChange(format!("Outage #{id} is already resolved.")).into());
        }
        let now = self.clock.now();
        let mut record = outage.record.clone();
        record.description = text;
        record.last_updated = later_than(outage.last_updated, now);
        if let Some(severity) = severity {
            record.severity = severity;
        }
        if resolve {
            record.status = OutageStatus::Closed;
            record.ended_at = Some(now);
        }
        self.store.record_outage(&record, now).await?;
        tracing::info!(outage = id, resolved = resolve, by = %actor.user_id, "provider outage updated");
        let outage = self.store.outage(id).await?.ok_or_else(not_found)?;
        Ok(Reply::embed(
            announcement(
                &outage,
                self.directory.scope_of(actor).audience(),
                &self.directory,
                &self.policy,
                now,
            )
            .embed
            .field("Posting", "Every message about this outage is edited within seconds."),
        ))
    }

    /// The customer an engineer named (in any case), or a polite error
    /// listing the customers.
    fn named_customer(&self, name: &str) -> Result<&CustomerConfig, UserError> {
        let customers = self.directory.customers();
        customers
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let names: Vec<&str> = customers.iter().map(|c| c.name.as_str()).collect();
                UserError::NothingToChange(format!(
                    "I don't know the customer \"{}\". The customers are: {}.",
                    quote_user_text(name, 64),
                    if names.is_empty() {
                        "none (declare them in the configuration)".to_owned()
                    } else {
                        names.join(", ")
                    }
                ))
            })
    }
}

fn engineers_only(actor: &Actor, what: &'static str) -> Result<(), UserError> {
    if actor.role == Role::Engineer {
        Ok(())
    } else {
        Err(UserError::EngineersOnly(what))
    }
}

fn here(actor: &Actor, verb: &str) -> Result<String, UserError> {
    actor.channel_id.clone().ok_or_else(|| {
        UserError::NothingToChange(format!(
            "Run `/outage {verb}` in the Discord channel concerned (in the console, pass `--channel ID`)."
        ))
    })
}

fn filters_text(subscription: &Subscription) -> String {
    let list = |items: &[String]| {
        if items.is_empty() {
            "any".to_owned()
        } else {
            items.join(", ")
        }
    };
    let mut text = format!(
        "services: {} · regions: {} · customers: {} · at least {}",
        list(&subscription.services),
        list(&subscription.regions),
        list(&subscription.customers),
        subscription.min_severity.code()
    );
    if !subscription.muted_types.is_empty() {
        text.push_str(&format!(" · muted: {}", subscription.muted_types.join(", ")));
    }
    text
}

// ---- audience -------------------------------------------------------------

/// Whether a customer may see an outage: public ones, ones naming the
/// customer, and ones touching one of its accounts.
pub fn visible_to(outage: &OutageRecord, customer: &CustomerConfig) -> bool {
    outage.public || outage.customers.contains(&customer.name) || affected_accounts_of(outage, customer) > 0
}

/// How many of a customer's accounts an outage affects.
pub fn affected_accounts_of(outage: &OutageRecord, customer: &CustomerConfig) -> usize {
    customer
        .account_ids
        .iter()
        .filter(|a| outage.accounts.contains(a.as_str()))
        .count()
}

/// An outage with no region (a provider-wide one, or a global service)
/// concerns every region.
fn in_region(outage: &OutageRecord, region: &str) -> bool {
    outage.region.is_empty() || outage.region == "global" || outage.region.eq_ignore_ascii_case(region)
}

/// Whether an outage passes a subscription's filters.
pub fn passes(outage: &OutageRecord, subscription: &Subscription, directory: &Directory) -> bool {
    outage.severity >= subscription.min_severity
        && (subscription.services.is_empty()
            || outage.service.is_empty()
            || subscription
                .services
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&outage.service)))
        && (subscription.regions.is_empty() || subscription.regions.iter().any(|r| in_region(outage, r)))
        && !subscription
            .muted_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&outage.event_type))
        && (subscription.customers.is_empty()
            || subscription
                .customers
                .iter()
                .filter_map(|name| directory.customer(name))
                .any(|c| visible_to(outage, c)))
}

/// A channel that should show an outage.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub outage: Outage,
    pub channel_id: String,
    /// Who reads the channel.
    pub readers: Readers,
    /// The post already made there, if any.
    pub post: Option<OutagePost>,
}

/// Who reads a channel an outage is posted to (an owned [`Audience`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readers {
    Internal,
    Customer(String),
    Public,
}

impl Readers {
    fn of(audience: Audience<'_>) -> Self {
        match audience {
            Audience::Internal => Readers::Internal,
            Audience::Customer(customer) => Readers::Customer(customer.name.clone()),
            Audience::Public => Readers::Public,
        }
    }

    /// Back to an [`Audience`]; a customer no longer configured reads as
    /// the public (fail closed).
    pub fn audience<'a>(&self, directory: &'a Directory) -> Audience<'a> {
        match self {
            Readers::Internal => Audience::Internal,
            Readers::Customer(name) => directory.customer(name).map_or(Audience::Public, Audience::Customer),
            Readers::Public => Audience::Public,
        }
    }
}

/// Whether the readers of a place may see an outage: internal places all,
/// a customer's the outages it may see, public places public outages only.
pub fn readable_by(outage: &OutageRecord, audience: Audience<'_>) -> bool {
    match audience {
        Audience::Internal => true,
        Audience::Customer(customer) => visible_to(outage, customer),
        Audience::Public => outage.public,
    }
}

/// The channels that should show an outage and are behind its revision.
/// Channels already showing it keep being edited while they stay subscribed;
/// a closed outage is newly posted only to channels subscribed before it
/// ended.
pub fn deliveries(
    outage: &Outage,
    subscriptions: &[Subscription],
    outage_channel: Option<&str>,
    directory: &Directory,
    posts: &[OutagePost],
) -> Vec<Delivery> {
    let mut channels: Vec<(String, Readers)> = Vec::new();
    let mut consider = |channel: &str, guild: Option<&str>, subscription: Option<&Subscription>| {
        if channels.iter().any(|(c, _)| c == channel) {
            return;
        }
        let audience = directory.audience(channel, guild);
        if !readable_by(outage, audience) {
            return;
        }
        let already = posts.iter().any(|p| p.channel_id == channel);
        if !already {
            if let Some(subscription) = subscription
                && !passes(outage, subscription, directory)
            {
                return;
            }
            if outage.status == OutageStatus::Closed
                && let (Some(subscription), Some(ended)) = (subscription, outage.ended_at)
                && subscription.created_at > timestamp(ended)
            {
                return;
            }
        }
        channels.push((channel.to_owned(), Readers::of(audience)));
    };
    for subscription in subscriptions {
        consider(
            &subscription.channel_id,
            subscription.guild_id.as_deref(),
            Some(subscription),
        );
    }
    if let Some(channel) = outage_channel {
        consider(channel, None, None);
    }
    channels
        .into_iter()
        .filter_map(|(channel_id, readers)| {
            let post = posts.iter().find(|p| p.channel_id == channel_id).cloned();
            if post.as_ref().is_some_and(|p| p.posted_revision >= outage.revision) {
                return None;
            }
            Some(Delivery {
                outage: outage.clone(),
                channel_id,
                readers,
                post,
            })
        })
        .collect()
}

// ---- records ----------------------------------------------------------------

/// A Health event as an outage record. Severity: an operational issue
/// touching our customers' accounts is critical, a public operational issue
/// urgent, another issue touching our accounts high, anything else normal.
pub fn health_record(event: &HealthEvent, directory: &Directory) -> OutageRecord {
    let ours = event.affected_accounts.iter().any(|a| {
        directory
            .customers()
            .iter()
            .any(|c| c.account_ids.iter().any(|id| id.as_str() == a))
    });
    let operational = event.event_type_code.ends_with("_OPERATIONAL_ISSUE");
    let severity = match (operational, ours) {
        (true, true) => Severity::Critical,
        (true, false) => Severity::Urgent,
        (false, true) => Severity::High,
        (false, false) => Severity::Normal,
    };
    let status = OutageStatus::from_health(&event.status);
    OutageRecord {
        source: OutageSource::Aws,
        key: event.arn.clone(),
        title: health_title(event),
        service: event.service.clone(),
        event_type: event.event_type_code.clone(),
        region: event.region.clone(),
        status,
        severity,
        public: event.public,
        description: event.description.clone().unwrap_or_default(),
        started_at: event.start,
        ended_at: if status == OutageStatus::Closed {
            event.end.or(event.last_updated)
        } else {
            None
        },
        last_updated: event.last_updated.or(event.start).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        accounts: event.affected_accounts.clone(),
        customers: BTreeSet::new(),
        declared_by: None,
    }
}

/// "EC2 operational issue" from AWS_EC2_OPERATIONAL_ISSUE.
fn health_title(event: &HealthEvent) -> String {
    let code = event.event_type_code.as_str();
    let rest = code
        .strip_prefix("AWS_")
        .and_then(|r| r.strip_prefix(event.service.as_str()))
        .and_then(|r| r.strip_prefix('_'))
        .unwrap_or(code);
    let words = rest.replace('_', " ").to_ascii_lowercase();
    if event.service.is_empty() {
        words
    } else {
        format!("{} {words}", event.service)
    }
}

/// A critical ticket as an outage record, announced to the same channels.
pub fn escalation_record(ticket: &Ticket, now: OffsetDateTime) -> OutageRecord {
    let closed = ticket.status == TicketStatus::Resolved;
    OutageRecord {
        source: OutageSource::Escalation,
        key: format!("ticket/{}", ticket.id),
        title: format!("Critical escalation #{}: {}", ticket.id, ticket.subject),
        service: ticket.aws_service.clone().unwrap_or_default(),
        event_type: "CRITICAL_ESCALATION".to_owned(),
        region: String::new(),
        status: if closed {
            OutageStatus::Closed
        } else {
            OutageStatus::Open
        },
        severity: Severity::Critical,
        public: false,
        description: format!(
            "Opened by {}{}. {}",
            ticket.opened_by.name,
            ticket
                .customer
                .as_deref()
                .map(|c| format!(" for {c}"))
                .unwrap_or_default(),
            if closed {
                "The ticket is resolved."
            } else {
                "Engineers are on it; the ticket's thread follows it."
            }
        ),
        started_at: time::OffsetDateTime::parse(&ticket.created_at, &time::format_description::well_known::Rfc3339)
            .ok(),
        ended_at: closed.then_some(now),
        last_updated: now,
        accounts: ticket.account_id.iter().map(|a| a.as_str().to_owned()).collect(),
        customers: ticket.customer.iter().cloned().collect(),
        declared_by: Some(ticket.opened_by.name.clone()),
    }
}

/// `now`, or just after `previous` when the clock has not moved past it: a
/// change must carry a newer last-updated time to be recorded.
fn later_than(previous: OffsetDateTime, now: OffsetDateTime) -> OffsetDateTime {
    now.max(previous + time::Duration::milliseconds(1))
}

/// Records (or brings up to date) the announcement of a critical ticket.
pub async fn sync_escalation(store: &Store, ticket: &Ticket, now: OffsetDateTime) -> Result<(), ServiceError> {
    if ticket.severity != Severity::Critical {
        return Ok(());
    }
    let key = format!("ticket/{}", ticket.id);
    let known = store.outage_by_key(&key).await?;
    let mut wanted = escalation_record(ticket, now);
    if let Some(known) = known {
        if known.status == wanted.status {
            return Ok(());
        }
        wanted.last_updated = later_than(known.last_updated, now);
    }
    store.record_outage(&wanted, now).await?;
    Ok(())
}

/// Brings every critical ticket's announcement in line with the ticket
/// (the two are separate writes, and a crash can fall between them).
pub async fn reconcile_escalations(store: &Store, now: OffsetDateTime) -> Result<usize, ServiceError> {
    let ids = store.escalations_out_of_sync().await?;
    for id in &ids {
        if let Some(ticket) = store.ticket(*id).await? {
            sync_escalation(store, &ticket, now).await?;
            tracing::info!(ticket = id, "escalation announcement brought up to date");
        }
    }
    Ok(ids.len())
}

// ---- how it reads -------------------------------------------------------------

/// One channel's message about an outage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub embed: Embed,
    /// Ping the configured on-call role (critical, open, internal channel).
    pub ping_on_call: bool,
}

fn outage_heading(outage: &Outage, policy: &Policy) -> String {
    let source = match outage.source {
        OutageSource::Aws => "AWS".to_owned(),
        OutageSource::Provider => policy.provider.name.clone(),
        OutageSource::Escalation => "Escalation".to_owned(),
    };
    let region = if outage.region.is_empty() {
        String::new()
    } else {
        format!(" · {}", outage.region)
    };
    format!("{source}: {}{region}", quote_user_text(&outage.title, 150))
}

fn status_line(outage: &Outage, readers: Audience<'_>, directory: &Directory) -> String {
    let since = outage
        .started_at
        .map(|t| format!(" since {} UTC", short_time(&timestamp(t))))
        .unwrap_or_default();
    let mut line = format!("{}{since}", status_word(outage.status));
    let accounts = accounts_line(outage, readers, directory);
    if !accounts.is_empty() {
        line.push_str(&format!(" · {accounts}"));
    }
    if !outage.description.is_empty() {
        line.push('\n');
        line.push_str(&quote_user_text(&outage.description, 400));
    }
    line
}

fn status_word(status: OutageStatus) -> &'static str {
    match status {
        OutageStatus::Open => "Open",
        OutageStatus::Upcoming => "Upcoming",
        OutageStatus::Closed => "Resolved",
    }
}

/// "2 of your accounts affected", or for internal readers the affected
/// accounts by customer; empty when the outage names no accounts, and for
/// public readers.
fn accounts_line(outage: &OutageRecord, readers: Audience<'_>, directory: &Directory) -> String {
    match readers {
        Audience::Customer(customer) => {
            return match affected_accounts_of(outage, customer) {
                0 => String::new(),
                1 => "1 of your accounts affected".to_owned(),
                n => format!("{n} of your accounts affected"),
            };
        }
        Audience::Public => return String::new(),
        Audience::Internal => {}
    }
    if outage.accounts.is_empty() {
        return String::new();
    }
    let mut by_customer: Vec<String> = directory
        .customers()
        .iter()
        .filter_map(|c| match affected_accounts_of(outage, c) {
            0 => None,
            n => Some(format!("{} ({n})", c.name)),
        })
        .collect();
    let known: usize = directory
        .customers()
        .iter()
        .map(|c| affected_accounts_of(outage, c))
        .sum();
    if outage.accounts.len() > known {
        by_customer.push(format!("not ours ({})", outage.accounts.len() - known));
    }
    format!(
        "{} account{} affected: {}",
        outage.accounts.len(),
        if outage.accounts.len() == 1 { "" } else { "s" },
        by_customer.join(", ")
    )
}

fn phone_lines(policy: &Policy) -> String {
    policy
        .contacts
        .regions
        .iter()
        .map(|r| format!("{}: **{}**", r.name, r.phone))
        .collect::<Vec<_>>()
        .join("\n")
}

/// "2026-11-29 03:10" from a stored timestamp.
fn short_time(stored: &str) -> String {
    stored.get(..16).unwrap_or(stored).replace('T', " ")
}

/// "2 h 5 min", "3 days 4 h", "12 min".
pub fn duration_text(duration: time::Duration) -> String {
    let minutes = duration.whole_minutes().max(0);
    let (days, hours, mins) = (minutes / 1_440, (minutes % 1_440) / 60, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, h) => format!("{h} h {mins} min"),
        (1, h) => format!("1 day {h} h"),
        (d, h) => format!("{d} days {h} h"),
    }
}

/// The message a channel shows for an outage: for a customer's channel,
/// counting only that customer's accounts.
pub fn announcement(
    outage: &Outage,
    readers: Audience<'_>,
    directory: &Directory,
    policy: &Policy,
    now: OffsetDateTime,
) -> Announcement {
    let closed = outage.status == OutageStatus::Closed;
    let critical = outage.severity == Severity::Critical;
    let (icon, color) = match (closed, outage.severity) {
        (true, _) => ("✅ Resolved:", colour::IN_SCOPE),
        (false, Severity::Critical | Severity::Urgent) => ("🔴", colour::URGENT),
        (false, Severity::High) => ("🟠", colour::ERROR),
        (false, _) => ("🟡", colour::UNCLEAR),
    };
    let mut embed = Embed::new(format!("{icon} {}", outage_heading(outage, policy)), color).description(
        if outage.description.is_empty() {
            "No details yet; this message is updated as they come.".to_owned()
        } else {
            quote_user_text(&outage.description, 3_000)
        },
    );
    let dash = |s: &str| if s.is_empty() { "—".to_owned() } else { s.to_owned() };
    embed = embed
        .inline_field("Service", dash(&outage.service))
        .inline_field("Region", dash(&outage.region))
        .inline_field("Status", status_word(outage.status))
        .inline_field("Severity", outage.severity.code());
    if let Some(start) = outage.started_at {
        embed = embed.inline_field("Started", format!("{} UTC", short_time(&timestamp(start))));
    }
    if closed {
        let ended = outage.ended_at.unwrap_or(now);
        embed = embed.inline_field("Ended", format!("{} UTC", short_time(&timestamp(ended))));
        if let Some(start) = outage.started_at {
            embed = embed.inline_field("Lasted", duration_text(ended - start));
        }
    }
    let accounts = accounts_line(outage, readers, directory);
    if !accounts.is_empty() {
        embed = embed.field("Accounts", accounts);
    }
    if critical && !closed {
        embed = embed.field("Critical: call us", phone_lines(policy));
    }
    let source = match outage.source {
        OutageSource::Aws => "AWS Health".to_owned(),
        OutageSource::Provider => format!(
            "declared by {}",
            quote_user_text(outage.declared_by.as_deref().unwrap_or("an engineer"), 80)
        ),
        OutageSource::Escalation => "critical escalation".to_owned(),
    };
    embed = embed.footer(format!(
        "Outage #{} · {source} · updated {} UTC",
        outage.id,
        short_time(&timestamp(outage.last_updated))
    ));
    Announcement {
        embed,
        ping_on_call: critical && !closed && readers == Audience::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(time::Duration::minutes(12)), "12 min");
        assert_eq!(duration_text(time::Duration::minutes(125)), "2 h 5 min");
        assert_eq!(duration_text(time::Duration::hours(28)), "1 day 4 h");
        assert_eq!(duration_text(time::Duration::hours(76)), "3 days 4 h");
    }

    fn critical_outage() -> Outage {
        Outage {
            id: 7,
            revision: 1,
            first_seen: time::macros::datetime!(2026-11-29 08:01 UTC),
            record: OutageRecord {
                source: OutageSource::Aws,
                key: "arn".into(),
                title: "EC2 operational issue".into(),
                service: "EC2".into(),
                event_type: "AWS_EC2_OPERATIONAL_ISSUE".into(),
                region: "us-east-1".into(),
                status: OutageStatus::Open,
                severity: Severity::Critical,
                public: false,
                description: "Instances impaired @everyone".into(),
                started_at: Some(time::macros::datetime!(2026-11-29 08:00 UTC)),
                ended_at: None,
                last_updated: time::macros::datetime!(2026-11-29 08:30 UTC),
                accounts: ["111111111111", "222222222222", "333333333333"]
                    .map(String::from)
                    .into_iter()
                    .collect(),
                customers: BTreeSet::new(),
                declared_by: None,
            },
        }
    }

    fn directory() -> Directory {
        let customer = |name: &str, accounts: &[&str]| CustomerConfig {
            name: name.into(),
            account_ids: accounts.iter().map(|a| a.parse().unwrap()).collect(),
            guild_ids: vec![],
            channel_ids: vec![],
            role_ids: vec![],
            user_ids: vec![],
        };
        Directory::new(vec![
            customer("acme", &["111111111111", "444444444444"]),
            customer("globex", &["222222222222"]),
        ])
    }

    #[test]
    fn a_customer_channel_sees_its_own_accounts_and_phones_but_pings_no_one() {
        let policy = Policy::embedded_default().unwrap();
        let directory = directory();
        let acme = directory.customer("acme").unwrap();
        let now = time::macros::datetime!(2026-11-29 09:00 UTC);
        let shown = announcement(&critical_outage(), Audience::Customer(acme), &directory, &policy, now);
        let json = serde_json::to_string(&shown.embed).unwrap();
        assert!(json.contains("1 of your accounts affected"), "{json}");
        assert!(!json.contains("globex"), "{json}");
        assert!(json.contains("Critical: call us"));
        assert!(!json.contains("@everyone"), "AWS text cannot ping: {json}");
        assert!(!shown.ping_on_call);

        let internal = announcement(&critical_outage(), Audience::Internal, &directory, &policy, now);
        let json = serde_json::to_string(&internal.embed).unwrap();
        assert!(
            json.contains("3 accounts affected: acme (1), globex (1), not ours (1)"),
            "{json}"
        );
        assert!(json.contains("Outage #7 · AWS Health"));
        assert!(internal.ping_on_call);
    }

    #[test]
    fn health_titles_drop_the_prefix() {
        let event = HealthEvent {
            arn: "a".into(),
            service: "EC2".into(),
            event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
            region: "us-east-1".into(),
            status: "open".into(),
            public: true,
            start: None,
            end: None,
            last_updated: None,
            description: None,
            affected_accounts: BTreeSet::new(),
        };
        assert_eq!(health_title(&event), "EC2 operational issue");
    }
}
