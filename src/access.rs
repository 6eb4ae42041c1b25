//! Who speaks for which customer. Customers are declared in the
//! configuration; an actor maps to at most one of them, by the most specific
//! match (user, then channel, then role, then guild). Engineers act for all.

use crate::config::CustomerConfig;
use crate::domain::{AccountId, Role};
use crate::inbound::Actor;

#[derive(Debug, Clone, Default)]
pub struct Directory {
    customers: Vec<CustomerConfig>,
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

impl Directory {
    pub fn new(customers: Vec<CustomerConfig>) -> Self {
        Self { customers }
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

    pub fn scope_of(&self, actor: &Actor) -> Scope<'_> {
        if actor.role == Role::Engineer {
            return Scope::Everyone;
        }
        match self.customer_of(actor) {
            Some(customer) => Scope::Customer(customer),
            None => Scope::Nobody,
        }
    }

    /// The customer a channel belongs to: listed by channel, or in one of
    /// the customer's guilds.
    pub fn customer_of_channel(&self, channel_id: &str, guild_id: Option<&str>) -> Option<&CustomerConfig> {
        self.customers
            .iter()
            .find(|c| c.channel_ids.iter().any(|ch| ch == channel_id))
            .or_else(|| guild_id.and_then(|g| self.customers.iter().find(|c| c.guild_ids.iter().any(|id| id == g))))
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
}
