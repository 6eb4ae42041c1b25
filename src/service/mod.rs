//! The service layer: one module per capability, each turning an intent into
//! a [`Reply`](crate::reply::Reply). Services know nothing of Discord or the
//! terminal; they see the policy, the store and (later) AWS through traits.

pub mod case_worker;
pub mod contact;
pub mod cost_cache;
pub mod coverage;
pub mod escalation;
pub mod health_poller;
pub mod help;
pub mod outage;
pub mod scope;
pub mod spend;
pub mod suggest;
pub mod support_plan;
pub mod ticket_view;
pub mod tickets;
pub mod troubleshoot;

use crate::policy::Policy;

/// The footer every policy answer carries, so users know where it comes from.
pub(crate) fn policy_footer(policy: &Policy) -> String {
    format!("{} platform-level support policy", policy.provider.name)
}
