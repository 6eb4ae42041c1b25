//! The slash commands, declared once: the console parses against these specs,
//! the validator checks what Discord delivers against them, and the Discord
//! adapter registers them. Descriptions are what users see in Discord
//! (at most 100 characters).

use crate::domain::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    String,
    Integer,
    /// A file (Discord's attachment option; a path in the console).
    Attachment,
}

#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    pub name: &'static str,
    /// Discord suggests values while the user types (ticket ids, accounts).
    pub autocomplete: bool,
    pub description: &'static str,
    pub kind: OptionKind,
    pub required: bool,
    /// Allowed values; empty means any.
    pub choices: &'static [&'static str],
    /// Longest accepted string, in characters (Discord's cap is 6,000).
    pub max_length: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct SubcommandSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub options: &'static [OptionSpec],
}

#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub options: &'static [OptionSpec],
    /// A command with subcommands takes its options through them.
    pub subcommands: &'static [SubcommandSpec],
}

const fn text(name: &'static str, description: &'static str, required: bool, max_length: usize) -> OptionSpec {
    OptionSpec {
        name,
        autocomplete: false,
        description,
        kind: OptionKind::String,
        required,
        choices: &[],
        max_length,
    }
}

const fn file_option(name: &'static str, description: &'static str) -> OptionSpec {
    OptionSpec {
        name,
        autocomplete: false,
        description,
        kind: OptionKind::Attachment,
        required: false,
        choices: &[],
        max_length: 4_096,
    }
}

const SEVERITY_CHOICES: [&str; 5] = [
    Severity::Low.code(),
    Severity::Normal.code(),
    Severity::High.code(),
    Severity::Urgent.code(),
    Severity::Critical.code(),
];

const TICKET_ID: OptionSpec = OptionSpec {
    name: "id",
    autocomplete: true,
    description: "The ticket number",
    kind: OptionKind::Integer,
    required: true,
    choices: &[],
    max_length: 20,
};

const OUTAGE_ID: OptionSpec = OptionSpec {
    name: "id",
    autocomplete: true,
    description: "The outage number (in the footer of its post)",
    kind: OptionKind::Integer,
    required: true,
    choices: &[],
    max_length: 20,
};

const CUSTOMER: OptionSpec = text("customer", "Engineers: one customer's accounts", false, 64);

const ACCOUNT: OptionSpec = OptionSpec {
    autocomplete: true,
    ..text("account", "A 12-digit AWS account id", false, 14)
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "scope",
        description: "Is this work covered by platform-level support?",
        options: &[text("question", "What you would like us to do", true, 2_000)],
        subcommands: &[],
    },
    CommandSpec {
        name: "escalate",
        description: "Open an escalation: a ticket, and an AWS Support case when needed",
        options: &[
            text("subject", "One line: what is wrong", true, 200),
            text("description", "What happened, since when, what you tried", true, 6_000),
            OptionSpec {
                name: "severity",
                // Suggested within the account's support plan.
                autocomplete: true,
                description: "How bad it is, in AWS's severity levels",
                kind: OptionKind::String,
                required: true,
                choices: &SEVERITY_CHOICES,
                max_length: 16,
            },
            ACCOUNT,
            text("service", "The AWS service concerned, e.g. EC2", false, 100),
        ],
        subcommands: &[],
    },
    CommandSpec {
        name: "spend",
        description: "Month-to-date AWS spend for your accounts",
        options: &[ACCOUNT, CUSTOMER],
        subcommands: &[],
    },
    CommandSpec {
        name: "estimate",
        description: "Estimated AWS bill at the end of this month",
        options: &[ACCOUNT, CUSTOMER],
        subcommands: &[],
    },
    CommandSpec {
        name: "contact",
        description: "Who to call or write to, by region",
        options: &[text("region", "us, canada, emea or apac", false, 40)],
        subcommands: &[],
    },
    CommandSpec {
        name: "troubleshoot",
        description: "What to send us and where the logs are",
        options: &[text(
            "topic",
            "agent-log-linux, agent-log-windows, api-issues, box-errors or general",
            false,
            64,
        )],
        subcommands: &[],
    },
    CommandSpec {
        name: "outage",
        description: "Known AWS and provider outages, and where they are posted",
        options: &[],
        subcommands: &[
            SubcommandSpec {
                name: "status",
                description: "Open outages that concern you",
                options: &[text("region", "An AWS region such as us-east-1", false, 32)],
            },
            SubcommandSpec {
                name: "subscribe",
                description: "Engineers: post outages in this channel (filters are comma-separated)",
                options: &[
                    text("services", "Only these AWS services, e.g. EC2, RDS", false, 200),
                    text("regions", "Only these regions, e.g. us-east-1, eu-west-1", false, 200),
                    text("customers", "Only what these customers would see", false, 300),
                    OptionSpec {
                        name: "min_severity",
                        autocomplete: false,
                        description: "Only outages at least this severe",
                        kind: OptionKind::String,
                        required: false,
                        choices: &SEVERITY_CHOICES,
                        max_length: 16,
                    },
                    text(
                        "mute",
                        "Never post these event types, e.g. AWS_EC2_MAINTENANCE_ISSUE",
                        false,
                        300,
                    ),
                ],
            },
            SubcommandSpec {
                name: "unsubscribe",
                description: "Engineers: stop posting outages in this channel",
                options: &[],
            },
            SubcommandSpec {
                name: "subscriptions",
                description: "Engineers: the channels that receive outages, and their filters",
                options: &[],
            },
            SubcommandSpec {
                name: "declare",
                description: "Engineers: announce a provider outage",
                options: &[
                    text("title", "One line: what is down", true, 200),
                    OptionSpec {
                        name: "severity",
                        autocomplete: false,
                        description: "How bad it is",
                        kind: OptionKind::String,
                        required: true,
                        choices: &SEVERITY_CHOICES,
                        max_length: 16,
                    },
                    text("description", "What customers should know", true, 2_000),
                    text("service", "The service concerned, e.g. EC2 or VPN", false, 100),
                    text("region", "The AWS region, if only one", false, 32),
                    text(
                        "customers",
                        "Only these customers (comma-separated); none: everyone",
                        false,
                        300,
                    ),
                ],
            },
            SubcommandSpec {
                name: "update",
                description: "Engineers: post an update to a provider outage",
                options: &[
                    OUTAGE_ID,
                    text("text", "The update", true, 2_000),
                    OptionSpec {
                        name: "severity",
                        autocomplete: false,
                        description: "A new severity",
                        kind: OptionKind::String,
                        required: false,
                        choices: &SEVERITY_CHOICES,
                        max_length: 16,
                    },
                ],
            },
            SubcommandSpec {
                name: "resolve",
                description: "Engineers: close a provider outage",
                options: &[OUTAGE_ID, text("text", "What was done", false, 2_000)],
            },
        ],
    },
    CommandSpec {
        name: "ticket",
        description: "Your escalation tickets",
        options: &[],
        subcommands: &[
            SubcommandSpec {
                name: "show",
                description: "Show one ticket",
                options: &[TICKET_ID],
            },
            SubcommandSpec {
                name: "list",
                description: "List tickets",
                options: &[
                    OptionSpec {
                        name: "filter",
                        autocomplete: false,
                        description: "Which tickets",
                        kind: OptionKind::String,
                        required: false,
                        choices: &["mine", "open", "all"],
                        max_length: 8,
                    },
                    OptionSpec {
                        name: "status",
                        autocomplete: false,
                        description: "Only open or only resolved tickets",
                        kind: OptionKind::String,
                        required: false,
                        choices: &["open", "resolved"],
                        max_length: 8,
                    },
                    text("customer", "Engineers: one customer's tickets", false, 64),
                ],
            },
            SubcommandSpec {
                name: "note",
                description: "Add a note to a ticket: a reply on its AWS case, or internal",
                options: &[
                    TICKET_ID,
                    text("text", "The note", true, 6_000),
                    OptionSpec {
                        name: "to",
                        autocomplete: false,
                        description: "aws: a reply on the AWS case (default); internal: never sent to AWS",
                        kind: OptionKind::String,
                        required: false,
                        choices: &["aws", "internal"],
                        max_length: 8,
                    },
                    file_option("file1", "A file for AWS (a log, a capture): at most 5 MB"),
                    file_option("file2", "Another file for AWS: at most 5 MB"),
                    file_option("file3", "A third file for AWS: at most 5 MB"),
                ],
            },
            SubcommandSpec {
                name: "resolve",
                description: "Resolve a ticket (and its AWS case)",
                options: &[TICKET_ID, text("note", "Why it is resolved", false, 2_000)],
            },
            SubcommandSpec {
                name: "reopen",
                description: "Reopen a resolved ticket",
                options: &[TICKET_ID, text("note", "Why it is reopened", false, 2_000)],
            },
            SubcommandSpec {
                name: "approve",
                description: "Engineers: open the AWS Support case for a customer's ticket",
                options: &[TICKET_ID],
            },
        ],
    },
    CommandSpec {
        name: "help",
        description: "What this bot can do",
        options: &[],
        subcommands: &[],
    },
];

/// The subcommand the console assumes when a line names none (`/outage` or
/// `/outage region:us-east-1` mean `/outage status`).
pub fn default_subcommand(command: &str) -> Option<&'static str> {
    match command {
        "outage" => Some("status"),
        _ => None,
    }
}

pub fn find(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|c| c.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_respect_discord_limits() {
        assert!(COMMANDS.len() <= 100);
        for command in COMMANDS {
            assert!((1..=32).contains(&command.name.len()), "{}", command.name);
            assert!(
                command
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_')
            );
            assert!(
                (1..=100).contains(&command.description.chars().count()),
                "{}",
                command.name
            );
            assert!(
                command.options.is_empty() || command.subcommands.is_empty(),
                "{}",
                command.name
            );
            let option_lists = std::iter::once(command.options).chain(command.subcommands.iter().map(|s| s.options));
            assert!(command.subcommands.len() <= 25);
            for options in option_lists {
                assert!(options.len() <= 25);
                let mut seen_optional = false;
                for option in options {
                    assert!((1..=32).contains(&option.name.len()));
                    assert!(
                        (1..=100).contains(&option.description.chars().count()),
                        "{}",
                        option.name
                    );
                    assert!(option.choices.len() <= 25);
                    assert!(option.max_length <= 6_000);
                    // Discord wants required options first.
                    assert!(
                        !(seen_optional && option.required),
                        "{}: required after optional",
                        command.name
                    );
                    seen_optional |= !option.required;
                }
            }
        }
    }

    #[test]
    fn severity_choices_are_aws_codes() {
        let codes: Vec<&str> = Severity::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, SEVERITY_CHOICES);
    }
}
