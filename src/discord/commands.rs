//! Slash-command registrations, built from the specs in
//! `intent::commands` (the same ones the console parses against). Region and
//! troubleshooting-topic choices come from the loaded policy.

use serenity::all::{CommandOptionType, CreateCommand, CreateCommandOption};

use crate::intent::commands::{COMMANDS, CommandSpec, OptionKind, OptionSpec};
use crate::policy::Policy;

/// Discord allows at most 25 choices an option.
const MAX_CHOICES: usize = 25;

fn option(command: &str, spec: &OptionSpec, policy: &Policy) -> CreateCommandOption {
    let kind = match spec.kind {
        OptionKind::String => CommandOptionType::String,
        OptionKind::Integer => CommandOptionType::Integer,
        OptionKind::Attachment => CommandOptionType::Attachment,
    };
    let mut option = CreateCommandOption::new(kind, spec.name, spec.description).required(spec.required);
    let policy_choices: Vec<(String, String)> = match (command, spec.name) {
        ("contact", "region") => policy
            .contacts
            .regions
            .iter()
            .map(|r| (r.name.clone(), r.id.clone()))
            .collect(),
        ("troubleshoot", "topic") => policy
            .troubleshooting
            .iter()
            .map(|t| (t.title.clone(), t.id.clone()))
            .collect(),
        _ => Vec::new(),
    };
    if !policy_choices.is_empty() {
        for (name, value) in policy_choices.into_iter().take(MAX_CHOICES) {
            option = option.add_string_choice(name, value);
        }
    } else if !spec.autocomplete {
        // An option suggested as it is typed has no fixed choices (Discord
        // refuses both); its choices still check what is submitted.
        for choice in spec.choices.iter().take(MAX_CHOICES) {
            option = option.add_string_choice(*choice, *choice);
        }
    }
    if spec.kind == OptionKind::String {
        option = option.max_length(spec.max_length.min(6_000) as u16);
    }
    option.set_autocomplete(spec.autocomplete)
}

pub fn command(spec: &CommandSpec, policy: &Policy) -> CreateCommand {
    let mut command = CreateCommand::new(spec.name).description(spec.description);
    for option_spec in spec.options {
        command = command.add_option(option(spec.name, option_spec, policy));
    }
    for sub in spec.subcommands {
        let mut subcommand = CreateCommandOption::new(CommandOptionType::SubCommand, sub.name, sub.description);
        for option_spec in sub.options {
            subcommand = subcommand.add_sub_option(option(spec.name, option_spec, policy));
        }
        command = command.add_option(subcommand);
    }
    command
}

/// Every command, ready for `set_global_commands` or a guild's `set_commands`.
pub fn all(policy: &Policy) -> Vec<CreateCommand> {
    COMMANDS.iter().map(|spec| command(spec, policy)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered() -> Vec<serde_json::Value> {
        let policy = Policy::embedded_default().unwrap();
        all(&policy)
            .into_iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect()
    }

    #[test]
    fn every_command_is_registered_with_typed_options() {
        let commands = registered();
        assert_eq!(commands.len(), COMMANDS.len());
        let escalate = commands.iter().find(|c| c["name"] == "escalate").unwrap();
        let severity = escalate["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == "severity")
            .unwrap();
        assert_eq!(severity["type"], 3);
        assert_eq!(severity["required"], true);
        // Suggested as typed, within the account's support plan.
        assert_eq!(severity["autocomplete"], true);
        assert!(
            severity
                .get("choices")
                .is_none_or(|c| c.as_array().is_none_or(Vec::is_empty))
        );
    }

    #[test]
    fn subcommands_carry_their_options() {
        let commands = registered();
        let ticket = commands.iter().find(|c| c["name"] == "ticket").unwrap();
        let show = ticket["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == "show")
            .unwrap();
        assert_eq!(show["type"], 1);
        assert_eq!(show["options"][0]["name"], "id");
        assert_eq!(show["options"][0]["type"], 4);
    }

    #[test]
    fn region_and_topic_choices_come_from_the_policy() {
        let commands = registered();
        let contact = commands.iter().find(|c| c["name"] == "contact").unwrap();
        let regions: Vec<&str> = contact["options"][0]["choices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["value"].as_str().unwrap())
            .collect();
        assert_eq!(regions, ["us", "canada", "emea", "apac"]);
        let troubleshoot = commands.iter().find(|c| c["name"] == "troubleshoot").unwrap();
        assert!(troubleshoot["options"][0]["choices"].as_array().unwrap().len() >= 5);
    }
}
