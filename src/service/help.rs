//! What the bot can do, with the slash commands and plain-language examples.

use crate::intent::commands::{COMMANDS, CommandSpec, OptionSpec};
use crate::policy::Policy;
use crate::reply::{Embed, Reply, colour};

/// A plain-language example for each command, so people know they need not
/// use slash commands at all.
fn example(command: &str) -> Option<&'static str> {
    Some(match command {
        "scope" => "is patching in scope?",
        "escalate" => "open an escalation: our RDS database is down",
        "spend" => "how much have we spent this month?",
        "estimate" => "what will the bill be at month end?",
        "contact" => "who do I call for a critical outage in EMEA?",
        "troubleshoot" => "where is the agent log on Linux?",
        "outage" => "is there an outage in us-east-1?",
        "ticket" => "what's the status of ticket 42?",
        _ => return None,
    })
}

fn usage(spec: &CommandSpec) -> String {
    let render = |options: &[OptionSpec]| -> String {
        options
            .iter()
            .map(|o| {
                if o.required {
                    format!(" {}:…", o.name)
                } else {
                    format!(" [{}:…]", o.name)
                }
            })
            .collect()
    };
    if spec.subcommands.is_empty() {
        format!("/{}{}", spec.name, render(spec.options))
    } else {
        spec.subcommands
            .iter()
            .map(|s| format!("/{} {}{}", spec.name, s.name, render(s.options)))
            .collect::<Vec<_>>()
            .join("  ·  ")
    }
}

pub fn reply(policy: &Policy, note: Option<&str>) -> Reply {
    let mut description = String::new();
    if let Some(note) = note {
        description.push_str(note);
        description.push_str("\n\n");
    }
    description.push_str(&format!(
        "I answer questions about {}'s platform-level support for your AWS accounts. Ask in plain words, or use a slash command.",
        policy.provider.name
    ));
    let mut embed = Embed::new("👋 What I can do", colour::INFO).description(description);
    for spec in COMMANDS.iter().filter(|c| c.name != "help") {
        let mut value = format!("{}\n`{}`", spec.description, usage(spec));
        if let Some(example) = example(spec.name) {
            value.push_str(&format!("\ne.g. \"{example}\""));
        }
        embed = embed.field(format!("/{}", spec.name), value);
    }
    Reply::embed(embed.footer(super::policy_footer(policy)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_command_with_its_usage() {
        let policy = Policy::embedded_default().unwrap();
        let reply = reply(&policy, None);
        let fields = &reply.embeds[0].fields;
        assert_eq!(fields.len(), COMMANDS.len() - 1);
        let ticket = fields.iter().find(|f| f.name == "/ticket").unwrap();
        assert!(ticket.value.contains("/ticket show id:…"), "{}", ticket.value);
        assert!(reply.limit_violations().is_empty());
    }
}
