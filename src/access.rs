//! Who speaks for which customer, and who reads which place. Customers are
//! declared in the configuration; an actor maps to at most one of them, by
//! the most specific match (user, then channel, then role, then guild).
//! Engineers act for all, except in a customer's place: what is shown there
//! is that customer's, whoever asks. A place is the provider's own
//! (internal) only when the configuration says so; a place nobody claims
//! is public.

use crate::config::CustomerConfig;
use crate::domain::{AccountId, Role};
use crate::inbound::Actor;

#[derive(Debug, Clone, Default)]
pub struct Directory {
    customers: Vec<CustomerConfig>,
    internal_channel_ids: Vec<String>,
    internal_guild_ids: Vec<String>,
}

/// Who can read what is posted in a place (a channel, in its guild).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience<'a> {
    /// The provider's own channels and guilds, as configured: sees all.
    Internal,
    /// A customer's channel or guild: that customer's data and public data.
    Customer(&'a CustomerConfig),
    /// A place nobody configured: public data only.
    Public,
}

/// What an actor may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// An engineer: every customer.
    Everyone,
    /// A customer's people: that customer only.
    Customer(&'a CustomerConfig),
    /// Nobody we know: public policy answers only.
    Nobody,
}

/// The commands (and intents) whose answers show customers' data: tickets,
/// spend and estimates, outages, escalations (the ticket made).
pub fn shows_customer_data(command: &str) -> bool {
    matches!(command, "ticket" | "spend" | "estimate" | "outage" | "escalate")
}

/// A guild channel (others may read it), as against a DM or the console.
pub fn in_shared_place(actor: &Actor) -> bool {
    actor.guild_id.is_some()
}

impl Scope<'_> {
    /// The customer the scope is limited to, if any.
    pub fn customer_name(&self) -> Option<&str> {
        match self {
            Scope::Customer(customer) => Some(customer.name.as_str()),
            Scope::Everyone | Scope::Nobody => None,
        }
    }
}

impl<'a> Scope<'a> {
    /// The readers an answer within this scope is written for.
    pub fn audience(self) -> Audience<'a> {
        match self {
            Scope::Everyone => Audience::Internal,
            Scope::Customer(customer) => Audience::Customer(customer),
            Scope::Nobody => Audience::Public,
        }
    }
}

impl Directory {
    pub fn new(customers: Vec<CustomerConfig>) -> Self {
        Self {
            customers,
            ..Self::default()
        }
    }

    /// The provider's own channels and guilds: they see every customer's
    /// outages and data.
    pub fn with_internal(mut self, channel_ids: Vec<String>, guild_ids: Vec<String>) -> Self {
        self.internal_channel_ids = channel_ids;
        self.internal_guild_ids = guild_ids;
        self
    }

    pub fn customers(&self) -> &[CustomerConfig] {
        &self.customers
    }

    pub fn customer(&self, name: &str) -> Option<&CustomerConfig> {
        self.customers.iter().find(|c| c.name == name)
    }

    /// The customer an actor speaks for, if any.
    pub fn customer_of(&self, actor: &Actor) -> Option<&CustomerConfig> {
        let by = |matches: &dyn Fn(&CustomerConfig) -> bool| self.customers.iter().find(|c| matches(c));
        by(&|c| c.user_ids.contains(&actor.user_id))
            .or_else(|| by(&|c| actor.channel_id.as_ref().is_some_and(|ch| c.channel_ids.contains(ch))))
            .or_else(|| by(&|c| actor.role_ids.iter().any(|r| c.role_ids.contains(r))))
            .or_else(|| by(&|c| actor.guild_id.as_ref().is_some_and(|g| c.guild_ids.contains(g))))
    }

    /// What an actor may see where they are. In a customer's place only
    /// that customer's data is shown, to engineers too, and to nobody else's
    /// people (a person of another customer there gets public answers only).
    pub fn scope_of(&self, actor: &Actor) -> Scope<'_> {
        let place = match &actor.channel_id {
            Some(channel) => self.audience(channel, actor.guild_id.as_deref()),
            None => Audience::Public,
        };
        let own = self.customer_of(actor);
        match (actor.role, place) {
            (Role::Engineer, Audience::Customer(owner)) => Scope::Customer(owner),
            (Role::Engineer, _) => Scope::Everyone,
            (_, Audience::Customer(owner)) if own.is_some_and(|c| c.name != owner.name) => Scope::Nobody,
            _ => own.map_or(Scope::Nobody, Scope::Customer),
        }
    }

    /// Whether an answer showing customers' data must be seen by its asker
    /// only where the actor is: spend figures in any guild channel, and every
    /// such answer in a guild channel nobody claims (anyone may read it).
    /// Decided before the command runs (Discord fixes it when an interaction
    /// is deferred) and applied again to the reply; answers found private
    /// only after running (refusals) are kept private by each adapter.
    pub fn answers_privately(&self, actor: &Actor, command: &str) -> bool {
        if !in_shared_place(actor) {
            return false;
        }
        let public_place = actor
            .channel_id
            .as_deref()
            .is_some_and(|channel| self.audience(channel, actor.guild_id.as_deref()) == Audience::Public);
        matches!(command, "spend" | "estimate") || (public_place && shows_customer_data(command))
    }

    /// Who reads a channel: a customer's channel (listed by channel) first,
    /// then the configured internal channels, then a customer's guild, then
    /// the internal guilds; anything else is public.
    pub fn audience(&self, channel_id: &str, guild_id: Option<&str>) -> Audience<'_> {
        let in_guild = |ids: &[String]| guild_id.is_some_and(|g| ids.iter().any(|id| id == g));
        if let Some(customer) = self
            .customers
            .iter()
            .find(|c| c.channel_ids.iter().any(|ch| ch == channel_id))
        {
            Audience::Customer(customer)
        } else if self.internal_channel_ids.iter().any(|ch| ch == channel_id) {
            Audience::Internal
        } else if let Some(customer) = self.customers.iter().find(|c| in_guild(&c.guild_ids)) {
            Audience::Customer(customer)
        } else if in_guild(&self.internal_guild_ids) {
            Audience::Internal
        } else {
            Audience::Public
        }
    }

    /// Whether the provider's own matter (engineers' internal notes) may be
    /// shown where `actor` asks: an engineer, in the provider's own places
    /// or privately (a direct message, the console), never in a customer's
    /// channel or a place nobody configured, whoever asks there.
    pub fn sees_internal_notes(&self, actor: &Actor) -> bool {
        if actor.role != Role::Engineer {
            return false;
        }
        match (actor.channel_id.as_deref(), actor.guild_id.as_deref()) {
            (_, None) => true,
            (Some(channel), Some(guild)) => self.audience(channel, Some(guild)) == Audience::Internal,
            (None, Some(_)) => false,
        }
    }

    /// Whether a message about a ticket of `customer` (None: the provider's
    /// own) may be posted in a channel: the provider's own places, or that
    /// customer's own. Elsewhere its opener is told by direct message.
    pub fn may_mention_ticket_in(&self, channel_id: &str, guild_id: Option<&str>, customer: Option<&str>) -> bool {
        match self.audience(channel_id, guild_id) {
            Audience::Internal => true,
            Audience::Customer(owner) => customer == Some(owner.name.as_str()),
            Audience::Public => false,
        }
    }

    /// The customer a channel belongs to, if any.
    pub fn customer_of_channel(&self, channel_id: &str, guild_id: Option<&str>) -> Option<&CustomerConfig> {
        match self.audience(channel_id, guild_id) {
            Audience::Customer(customer) => Some(customer),
            Audience::Internal | Audience::Public => None,
        }
    }

    /// The customer an AWS account belongs to.
    pub fn owner_of(&self, account: &AccountId) -> Option<&CustomerConfig> {
        self.customers.iter().find(|c| c.account_ids.contains(account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(name: &str, f: impl FnOnce(&mut CustomerConfig)) -> CustomerConfig {
        let mut c = CustomerConfig {
            name: name.into(),
            account_ids: vec![],
            guild_ids: vec![],
            channel_ids: vec![],
            role_ids: vec![],
            user_ids: vec![],
        };
        f(&mut c);
        c
    }

    fn actor(user: &str, channel: Option<&str>, guild: Option<&str>) -> Actor {
        Actor {
            user_id: user.into(),
            display_name: user.into(),
            role: Role::Customer,
            role_ids: vec![],
            guild_id: guild.map(str::to_owned),
            channel_id: channel.map(str::to_owned),
        }
    }

    #[test]
    fn a_ticket_is_mentioned_only_in_its_customers_places_or_the_providers() {
        let directory = Directory::new(vec![
            customer("acme", |c| c.channel_ids = vec!["acme-ch".into()]),
            customer("globex", |c| c.guild_ids = vec!["globex-guild".into()]),
        ])
        .with_internal(vec!["desk".into()], vec!["provider".into()]);
        assert!(directory.may_mention_ticket_in("acme-ch", Some("shared"), Some("acme")));
        assert!(!directory.may_mention_ticket_in("acme-ch", Some("shared"), Some("globex")));
        assert!(!directory.may_mention_ticket_in("acme-ch", Some("shared"), None));
        assert!(directory.may_mention_ticket_in("any", Some("globex-guild"), Some("globex")));
        assert!(directory.may_mention_ticket_in("desk", None, Some("acme")));
        assert!(directory.may_mention_ticket_in("x", Some("provider"), Some("globex")));
        assert!(!directory.may_mention_ticket_in("lobby", Some("elsewhere"), Some("acme")));
        assert!(
            !directory.may_mention_ticket_in("dm", None, None),
            "a DM channel is nobody's: told by DM"
        );
    }

    #[test]
    fn the_most_specific_mapping_wins() {
        let directory = Directory::new(vec![
            customer("guild-wide", |c| c.guild_ids = vec!["g".into()]),
            customer("by-channel", |c| c.channel_ids = vec!["c".into()]),
            customer("by-user", |c| c.user_ids = vec!["u".into()]),
        ]);
        assert_eq!(
            directory.customer_of(&actor("u", Some("c"), Some("g"))).unwrap().name,
            "by-user"
        );
        assert_eq!(
            directory.customer_of(&actor("x", Some("c"), Some("g"))).unwrap().name,
            "by-channel"
        );
        assert_eq!(
            directory.customer_of(&actor("x", Some("y"), Some("g"))).unwrap().name,
            "guild-wide"
        );
        assert!(directory.customer_of(&actor("x", None, None)).is_none());
    }

    #[test]
    fn engineers_see_everyone_and_strangers_nobody() {
        let directory = Directory::new(vec![customer("a", |c| c.user_ids = vec!["u".into()])]);
        let mut engineer = actor("e", None, None);
        engineer.role = Role::Engineer;
        assert_eq!(directory.scope_of(&engineer), Scope::Everyone);
        assert_eq!(directory.scope_of(&actor("z", None, None)), Scope::Nobody);
    }

    #[test]
    fn a_customers_place_shows_that_customer_only_whoever_asks() {
        let directory = Directory::new(vec![
            customer("acme", |c| c.channel_ids = vec!["acme-room".into()]),
            customer("globex", |c| {
                c.guild_ids = vec!["globex-guild".into()];
                c.user_ids = vec!["globex-person".into()];
            }),
        ])
        .with_internal(vec!["ops".into()], vec![]);
        let mut engineer = actor("e", Some("acme-room"), Some("shared"));
        engineer.role = Role::Engineer;
        assert_eq!(directory.scope_of(&engineer).customer_name(), Some("acme"));
        engineer.channel_id = Some("any".into());
        engineer.guild_id = Some("globex-guild".into());
        assert_eq!(directory.scope_of(&engineer).customer_name(), Some("globex"));
        engineer.channel_id = Some("ops".into());
        assert_eq!(directory.scope_of(&engineer), Scope::Everyone);
        // Globex's person in Acme's channel sees nothing of Globex there.
        assert_eq!(
            directory.scope_of(&actor("globex-person", Some("acme-room"), Some("shared"))),
            Scope::Nobody
        );
        assert_eq!(
            directory
                .scope_of(&actor("globex-person", Some("dm"), None))
                .customer_name(),
            Some("globex")
        );
    }

    #[test]
    fn only_configured_places_are_internal() {
        let directory = Directory::new(vec![customer("acme", |c| c.guild_ids = vec!["acme-guild".into()])])
            .with_internal(vec!["ops".into()], vec!["provider-guild".into()]);
        assert_eq!(directory.audience("ops", Some("acme-guild")), Audience::Internal);
        assert_eq!(directory.audience("any", Some("provider-guild")), Audience::Internal);
        assert!(matches!(directory.audience("any", Some("acme-guild")), Audience::Customer(c) if c.name == "acme"));
        assert_eq!(directory.audience("any", Some("elsewhere")), Audience::Public);
        assert_eq!(directory.audience("any", None), Audience::Public);
    }
}
