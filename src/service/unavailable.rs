//! Replies for capabilities that this deployment does not have switched on
//! yet (outages). The intent is still
//! recognized and reported; the reply says honestly that nothing was done and
//! how to reach a person meanwhile.

use crate::intent::IntentKind;
use crate::policy::Policy;
use crate::reply::{Embed, Reply, colour};

pub fn reply(kind: IntentKind, policy: &Policy) -> Reply {
    let (title, what) = match kind {
        IntentKind::Outage => (
            "Outage tracking is not connected yet",
            "I understood that you are asking about outages, but this deployment does not follow AWS Health or provider outages yet.",
        ),
        _ => ("Not available yet", "That is not available in this deployment yet."),
    };
    let lines: Vec<String> = policy
        .contacts
        .regions
        .iter()
        .map(|r| format!("{}: {}", r.name, r.phone))
        .collect();
    let embed = Embed::new(format!("🚧 {title}"), colour::NOT_AVAILABLE)
        .description(what)
        .field(
            "Meanwhile",
            format!(
                "E-mail {} with the details. For a critical outage, call:\n{}",
                policy.provider.incident_email,
                lines.join("\n")
            ),
        )
        .footer(super::policy_footer(policy));
    Reply::embed(embed)
}
