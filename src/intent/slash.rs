//! Slash commands: the shape Discord delivers them in, the console syntax that
//! produces the same shape (`/escalate severity:urgent subject:"RDS down"`),
//! and validation into an [`Intent`] against the specs in [`commands`].

use super::commands::{self, CommandSpec, OptionKind, OptionSpec};
use super::{
    Declaration, EscalationRequest, Intent, IntentKind, NoteTo, OutageRequest, SpendRequest, SubscriptionFilters,
    TicketFilter, TicketRequest,
};
use crate::domain::{AccountId, Severity};

/// An option value as Discord delivers it.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    String(String),
    Integer(i64),
    /// A file attached to the command.
    File(FileUpload),
}

/// A file given with a command (`/ticket note`'s `file1`..`file3`): its name
/// and size as its sender gave them, where it is, and its bytes once
/// fetched (an adapter fetches a file only when it is within the size AWS
/// accepts; the service refuses the others by name and size).
#[derive(Debug, Clone, PartialEq)]
pub struct FileUpload {
    pub name: String,
    pub size: u64,
    pub source: FileSource,
    pub bytes: Option<std::sync::Arc<[u8]>>,
}

/// Where a file given with a command is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// Attached in Discord: on Discord's CDN.
    Discord { url: String },
    /// A path on this machine, typed in the console or `ask`: read only for
    /// those (never for a message from Discord).
    Local { path: std::path::PathBuf },
}

/// A slash command invocation, flattened: Discord nests a subcommand's options
/// inside it; adapters lift them into `options`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlashCommand {
    pub name: String,
    pub subcommand: Option<String>,
    pub options: Vec<(String, OptionValue)>,
}

/// Why a slash command could not be used. Every message is written for the
/// person who typed it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SlashError {
    #[error("I don't know the command `/{name}`. The commands are: {known}.")]
    UnknownCommand { name: String, known: String },
    #[error("`/{command}` needs one of: {known}.")]
    MissingSubcommand { command: String, known: String },
    #[error("`/{command}` has no `{name}`. Try one of: {known}.")]
    UnknownSubcommand {
        command: String,
        name: String,
        known: String,
    },
    #[error("`/{command}` has no option `{option}`. Its options are: {known}.")]
    UnknownOption {
        command: String,
        option: String,
        known: String,
    },
    #[error("`/{command}` needs the option `{option}`, for example `{option}:\"...\"`.")]
    MissingOption { command: String, option: String },
    #[error("The option `{option}` was given twice.")]
    DuplicateOption { option: String },
    #[error("`{option}` {problem}.")]
    BadValue { option: String, problem: String },
    #[error(
        "I couldn't read that command: {problem}. Write options as `name:value`, with quotes around values that have spaces."
    )]
    Syntax { problem: String },
}

impl SlashError {
    /// The intent the user was reaching for, so replies still report it.
    pub fn intended(&self, command_name: &str) -> IntentKind {
        match self {
            SlashError::UnknownCommand { .. } => IntentKind::Help,
            _ => kind_of_command(command_name).unwrap_or(IntentKind::Help),
        }
    }
}

fn kind_of_command(name: &str) -> Option<IntentKind> {
    Some(match name {
        "scope" => IntentKind::Scope,
        "escalate" => IntentKind::Escalate,
        "spend" => IntentKind::Spend,
        "estimate" => IntentKind::Estimate,
        "contact" => IntentKind::Contact,
        "troubleshoot" => IntentKind::Troubleshoot,
        "outage" => IntentKind::Outage,
        "ticket" => IntentKind::Ticket,
        "help" => IntentKind::Help,
        _ => return None,
    })
}

fn known_commands() -> String {
    commands::names()
        .map(|n| format!("/{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn quoted_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

/// The longest name a user could mean; anything longer is cut in messages.
const MAX_ECHOED_NAME: usize = 40;

fn echo(name: &str) -> String {
    let clipped = crate::text::clip_chars(name, MAX_ECHOED_NAME);
    let clean: String = clipped.chars().filter(|c| !c.is_control() && *c != '`').collect();
    if clipped.len() < name.len() {
        format!("{clean}…")
    } else {
        clean
    }
}

impl SlashCommand {
    /// Parses a console line written as in Discord:
    /// `/escalate severity:urgent subject:"RDS down" description:"..."`.
    ///
    /// Values with spaces may be quoted (`\"` escapes a quote); an unquoted
    /// value runs until the next `known_option:`, so `/scope question:is
    /// patching in scope?` works too. A command with a single required text
    /// option takes bare text as that option (`/scope is IAM in scope?`).
    pub fn parse_line(line: &str) -> Result<SlashCommand, SlashError> {
        let body = line.trim_start().strip_prefix('/').ok_or_else(|| SlashError::Syntax {
            problem: "a command starts with `/`".to_owned(),
        })?;
        let (name, rest) = split_word(body);
        let name = name.to_ascii_lowercase();
        let spec = commands::find(&name).ok_or_else(|| SlashError::UnknownCommand {
            name: echo(&name),
            known: known_commands(),
        })?;

        let (subcommand, option_specs, rest) = if spec.subcommands.is_empty() {
            (None, spec.options, rest)
        } else {
            let (sub, after) = split_word(rest);
            let mut sub = sub.to_ascii_lowercase();
            let mut after = after;
            if let Some(default) = commands::default_subcommand(spec.name)
                && (sub.is_empty() || sub.contains(':'))
            {
                sub = default.to_owned();
                after = rest;
            }
            let known = || quoted_names(spec.subcommands.iter().map(|s| s.name));
            if sub.is_empty() {
                return Err(SlashError::MissingSubcommand {
                    command: spec.name.to_owned(),
                    known: known(),
                });
            }
            let sub_spec =
                spec.subcommands
                    .iter()
                    .find(|s| s.name == sub)
                    .ok_or_else(|| SlashError::UnknownSubcommand {
                        command: spec.name.to_owned(),
                        name: echo(&sub),
                        known: known(),
                    })?;
            (Some(sub_spec.name.to_owned()), sub_spec.options, after)
        };

        let options = parse_options(spec, option_specs, rest)?;
        Ok(SlashCommand {
            name: spec.name.to_owned(),
            subcommand,
            options,
        })
    }

    fn string(&self, option: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(name, _)| name == option)
            .and_then(|(_, value)| match value {
                OptionValue::String(s) => Some(s.as_str()),
                OptionValue::Integer(_) | OptionValue::File(_) => None,
            })
    }

    fn file(&self, option: &str) -> Option<&FileUpload> {
        self.options
            .iter()
            .find(|(name, _)| name == option)
            .and_then(|(_, value)| match value {
                OptionValue::File(file) => Some(file),
                _ => None,
            })
    }

    fn integer(&self, option: &str) -> Option<i64> {
        self.options
            .iter()
            .find(|(name, _)| name == option)
            .and_then(|(_, value)| match value {
                OptionValue::Integer(i) => Some(*i),
                OptionValue::String(_) | OptionValue::File(_) => None,
            })
    }

    /// Checks the command against its spec (whoever produced it) and turns it
    /// into an intent.
    pub fn into_intent(self) -> Result<Intent, SlashError> {
        let command = self.validated()?;
        let account = |c: &SlashCommand| -> Result<Option<AccountId>, SlashError> {
            c.string("account")
                .map(|raw| {
                    raw.parse::<AccountId>().map_err(|e| SlashError::BadValue {
                        option: "account".to_owned(),
                        problem: format!("is not valid: {e}"),
                    })
                })
                .transpose()
        };
        let intent = match command.name.as_str() {
            "scope" => Intent::Scope {
                question: command.string("question").unwrap_or_default().to_owned(),
            },
            "escalate" => Intent::Escalate(EscalationRequest {
                subject: command.string("subject").map(str::to_owned),
                description: command.string("description").unwrap_or_default().to_owned(),
                severity: command.string("severity").and_then(|s| s.parse::<Severity>().ok()),
                account: account(&command)?,
                service: command.string("service").map(str::to_owned),
                explicit: true,
            }),
            "spend" => Intent::Spend(SpendRequest {
                account: account(&command)?,
                customer: command.string("customer").map(str::to_owned),
            }),
            "estimate" => Intent::Estimate(SpendRequest {
                account: account(&command)?,
                customer: command.string("customer").map(str::to_owned),
            }),
            "contact" => Intent::Contact {
                region: command.string("region").map(|r| r.trim().to_ascii_lowercase()),
                text: None,
            },
            "troubleshoot" => Intent::Troubleshoot {
                topic: command.string("topic").map(|t| t.trim().to_ascii_lowercase()),
                text: None,
            },
            "outage" => Intent::Outage(outage_request(&command)?),
            "ticket" => match command.subcommand.as_deref() {
                Some("show") => Intent::Ticket(TicketRequest::Show {
                    id: command.integer("id").unwrap_or_default(),
                }),
                Some("note") => Intent::Ticket(TicketRequest::Note {
                    id: command.integer("id").unwrap_or_default(),
                    text: command.string("text").unwrap_or_default().to_owned(),
                    // The option's choices were checked already.
                    to: command.string("to").and_then(NoteTo::parse).unwrap_or_default(),
                    files: ["file1", "file2", "file3"]
                        .into_iter()
                        .filter_map(|name| command.file(name).cloned())
                        .collect(),
                }),
                Some("resolve") => Intent::Ticket(TicketRequest::Resolve {
                    id: command.integer("id").unwrap_or_default(),
                    note: command.string("note").map(str::to_owned),
                }),
                Some("reopen") => Intent::Ticket(TicketRequest::Reopen {
                    id: command.integer("id").unwrap_or_default(),
                    note: command.string("note").map(str::to_owned),
                }),
                Some("approve") => Intent::Ticket(TicketRequest::Approve {
                    id: command.integer("id").unwrap_or_default(),
                }),
                _ => Intent::Ticket(TicketRequest::List {
                    filter: match command.string("filter") {
                        Some("open") => TicketFilter::Open,
                        Some("all") => TicketFilter::All,
                        _ => TicketFilter::Mine,
                    },
                    status: command.string("status").map(str::to_owned),
                    customer: command.string("customer").map(str::to_owned),
                }),
            },
            _ => Intent::Help,
        };
        Ok(intent)
    }

    /// Coerces and checks every option: known, typed, within length and
    /// choices, required ones present, none twice.
    fn validated(mut self) -> Result<SlashCommand, SlashError> {
        let spec = commands::find(&self.name).ok_or_else(|| SlashError::UnknownCommand {
            name: echo(&self.name),
            known: known_commands(),
        })?;
        let option_specs = match (&self.subcommand, spec.subcommands.is_empty()) {
            (None, true) => spec.options,
            (Some(sub), false) => {
                spec.subcommands
                    .iter()
                    .find(|s| s.name == sub)
                    .ok_or_else(|| SlashError::UnknownSubcommand {
                        command: spec.name.to_owned(),
                        name: echo(sub),
                        known: quoted_names(spec.subcommands.iter().map(|s| s.name)),
                    })?
                    .options
            }
            (None, false) => {
                return Err(SlashError::MissingSubcommand {
                    command: spec.name.to_owned(),
                    known: quoted_names(spec.subcommands.iter().map(|s| s.name)),
                });
            }
            (Some(sub), true) => {
                return Err(SlashError::UnknownSubcommand {
                    command: spec.name.to_owned(),
                    name: echo(sub),
                    known: "none".to_owned(),
                });
            }
        };
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in &mut self.options {
            let option = option_specs
                .iter()
                .find(|o| o.name == name)
                .ok_or_else(|| SlashError::UnknownOption {
                    command: spec.name.to_owned(),
                    option: echo(name),
                    known: quoted_names(option_specs.iter().map(|o| o.name)),
                })?;
            if seen.contains(&option.name) {
                return Err(SlashError::DuplicateOption {
                    option: option.name.to_owned(),
                });
            }
            seen.push(option.name);
            *value = coerce(option, std::mem::replace(value, OptionValue::Integer(0)))?;
        }
        if let Some(missing) = option_specs.iter().find(|o| o.required && !seen.contains(&o.name)) {
            return Err(SlashError::MissingOption {
                command: spec.name.to_owned(),
                option: missing.name.to_owned(),
            });
        }
        Ok(self)
    }
}

/// A comma- or space-separated list option, each item checked by `valid`.
fn list(
    command: &SlashCommand,
    option: &str,
    normalize: fn(&str) -> String,
    valid: fn(&str) -> bool,
    example: &str,
) -> Result<Vec<String>, SlashError> {
    let mut items: Vec<String> = Vec::new();
    for raw in command
        .string(option)
        .unwrap_or_default()
        .split([',', ' ', ';'])
        .filter(|i| !i.trim().is_empty())
    {
        let item = normalize(raw.trim());
        if !valid(&item) {
            return Err(SlashError::BadValue {
                option: option.to_owned(),
                problem: format!("has {:?}, which is not like {example}", echo(raw.trim())),
            });
        }
        if !items.contains(&item) {
            items.push(item);
        }
    }
    Ok(items)
}

fn is_region(r: &str) -> bool {
    r == "global" || crate::intent::extract::is_aws_region(r)
}

fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 100 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn severity(command: &SlashCommand, option: &str) -> Option<Severity> {
    command.string(option).and_then(|s| s.parse::<Severity>().ok())
}

fn outage_request(command: &SlashCommand) -> Result<OutageRequest, SlashError> {
    let lower = |s: &str| s.to_ascii_lowercase();
    let upper = |s: &str| s.to_ascii_uppercase();
    let keep = |s: &str| s.to_owned();
    let customers = |c: &SlashCommand| {
        c.string("customers")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let region = |c: &SlashCommand| -> Result<Option<String>, SlashError> {
        match c.string("region").map(|r| r.trim().to_ascii_lowercase()) {
            Some(r) if r.is_empty() => Ok(None),
            Some(r) if !is_region(&r) => Err(SlashError::BadValue {
                option: "region".to_owned(),
                problem: format!("is {:?}, which is not an AWS region code like us-east-1", echo(&r)),
            }),
            other => Ok(other),
        }
    };
    Ok(match command.subcommand.as_deref() {
        Some("subscribe") => OutageRequest::Subscribe(SubscriptionFilters {
            services: list(command, "services", upper, is_code, "EC2 or RDS")?,
            regions: list(command, "regions", lower, is_region, "us-east-1")?,
            customers: customers(command),
            muted_types: list(command, "mute", upper, is_code, "AWS_EC2_OPERATIONAL_ISSUE")?,
            min_severity: severity(command, "min_severity"),
        }),
        Some("unsubscribe") => OutageRequest::Unsubscribe,
        Some("subscriptions") => OutageRequest::Subscriptions,
        Some("declare") => OutageRequest::Declare(Declaration {
            title: command.string("title").unwrap_or_default().trim().to_owned(),
            description: command.string("description").unwrap_or_default().trim().to_owned(),
            severity: severity(command, "severity").unwrap_or(Severity::Urgent),
            service: command
                .string("service")
                .map(|s| keep(s.trim()))
                .filter(|s| !s.is_empty()),
            region: region(command)?,
            customers: customers(command),
        }),
        Some("update") => OutageRequest::Update {
            id: command.integer("id").unwrap_or_default(),
            text: command.string("text").unwrap_or_default().trim().to_owned(),
            severity: severity(command, "severity"),
        },
        Some("resolve") => OutageRequest::Resolve {
            id: command.integer("id").unwrap_or_default(),
            text: command
                .string("text")
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
        },
        _ => OutageRequest::Status {
            region: region(command)?,
        },
    })
}

fn coerce(option: &OptionSpec, value: OptionValue) -> Result<OptionValue, SlashError> {
    let bad = |problem: String| SlashError::BadValue {
        option: option.name.to_owned(),
        problem,
    };
    match (option.kind, value) {
        (OptionKind::Integer, OptionValue::Integer(i)) => Ok(OptionValue::Integer(i)),
        (OptionKind::Integer, OptionValue::String(s)) => s
            .trim()
            .trim_start_matches('#')
            .parse::<i64>()
            .map(OptionValue::Integer)
            .map_err(|_| bad("must be a whole number, like 42".to_owned())),
        (OptionKind::Attachment, OptionValue::File(file)) => Ok(OptionValue::File(file)),
        // Typed as text (the console, `ask`): a path, read only there.
        (OptionKind::Attachment, OptionValue::String(path)) => {
            let path = std::path::PathBuf::from(path.trim());
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .filter(|n| !n.is_empty())
                .ok_or_else(|| bad("must name a file".to_owned()))?;
            Ok(OptionValue::File(FileUpload {
                name,
                size: 0,
                source: FileSource::Local { path },
                bytes: None,
            }))
        }
        (_, OptionValue::File(_)) => Err(bad("takes text, not a file".to_owned())),
        (OptionKind::Attachment, OptionValue::Integer(_)) => Err(bad("must be a file".to_owned())),
        (OptionKind::String, OptionValue::Integer(i)) => coerce(option, OptionValue::String(i.to_string())),
        (OptionKind::String, OptionValue::String(s)) => {
            let trimmed = s.trim();
            if trimmed.is_empty() {
                return Err(bad("must not be empty".to_owned()));
            }
            if !option.choices.is_empty() {
                let lowered = trimmed.to_ascii_lowercase();
                return match option.choices.iter().find(|c| **c == lowered) {
                    Some(choice) => Ok(OptionValue::String((*choice).to_owned())),
                    None => Err(bad(format!("must be one of: {}", option.choices.join(", ")))),
                };
            }
            let length = trimmed.chars().count();
            if length > option.max_length {
                return Err(bad(format!(
                    "is {length} characters long; the most it can take is {}",
                    option.max_length
                )));
            }
            Ok(OptionValue::String(trimmed.to_owned()))
        }
    }
}

/// The first white-space separated word and the rest.
fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(end) => (&s[..end], &s[end..]),
        None => (s, ""),
    }
}

/// `name:` at the start of `s`, for a name made of option characters.
fn option_label(s: &str) -> Option<(&str, &str)> {
    let colon = s.find(':')?;
    let name = &s[..colon];
    let well_formed = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    well_formed.then(|| (name, &s[colon + 1..]))
}

fn parse_options(
    spec: &CommandSpec,
    option_specs: &[OptionSpec],
    input: &str,
) -> Result<Vec<(String, OptionValue)>, SlashError> {
    let mut options = Vec::new();
    let mut rest = input.trim_start();
    if rest.is_empty() {
        return Ok(options);
    }
    let is_known = |name: &str| option_specs.iter().any(|o| o.name.eq_ignore_ascii_case(name));

    // Bare text for a command whose one required option is text.
    if option_label(rest).is_none_or(|(name, _)| !is_known(name)) {
        let required: Vec<&OptionSpec> = option_specs.iter().filter(|o| o.required).collect();
        return match required.as_slice() {
            [only] if only.kind == OptionKind::String => {
                options.push((only.name.to_owned(), OptionValue::String(unquote_whole(rest)?)));
                Ok(options)
            }
            _ => match option_label(rest) {
                Some((name, _)) => Err(SlashError::UnknownOption {
                    command: spec.name.to_owned(),
                    option: echo(name),
                    known: quoted_names(option_specs.iter().map(|o| o.name)),
                }),
                None => Err(SlashError::Syntax {
                    problem: format!(
                        "expected an option such as `{}:...`",
                        option_specs.first().map_or("name", |o| o.name)
                    ),
                }),
            },
        };
    }

    while !rest.is_empty() {
        let Some((name, after)) = option_label(rest) else {
            return Err(SlashError::Syntax {
                problem: format!("expected `name:value` at \"{}\"", echo(rest)),
            });
        };
        if !is_known(name) {
            return Err(SlashError::UnknownOption {
                command: spec.name.to_owned(),
                option: echo(name),
                known: quoted_names(option_specs.iter().map(|o| o.name)),
            });
        }
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            read_quoted(quoted)?
        } else {
            read_unquoted(after, &is_known)
        };
        options.push((name.to_ascii_lowercase(), OptionValue::String(value)));
        rest = remaining.trim_start();
    }
    Ok(options)
}

/// Reads up to the closing quote; `\"` and `\\` are escapes.
fn read_quoted(s: &str) -> Result<(String, &str), SlashError> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, escaped @ ('"' | '\\'))) => value.push(escaped),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => value.push('\\'),
            },
            '"' => return Ok((value, &s[i + 1..])),
            c => value.push(c),
        }
    }
    Err(SlashError::Syntax {
        problem: "a quoted value is missing its closing `\"`".to_owned(),
    })
}

/// Reads words until one starts with a known `option:` label.
fn read_unquoted<'a>(s: &'a str, is_known: &dyn Fn(&str) -> bool) -> (String, &'a str) {
    let mut end = 0;
    let mut cursor = s;
    loop {
        let word_end = cursor.find(char::is_whitespace).unwrap_or(cursor.len());
        end += word_end;
        let after_word = &cursor[word_end..];
        let next = after_word.trim_start();
        if next.is_empty() || option_label(next).is_some_and(|(name, _)| is_known(name)) {
            return (s[..end].trim().to_owned(), next);
        }
        end += after_word.len() - next.len();
        cursor = next;
    }
}

fn unquote_whole(s: &str) -> Result<String, SlashError> {
    let trimmed = s.trim();
    if let Some(inner) = trimmed.strip_prefix('"') {
        let (value, rest) = read_quoted(inner)?;
        if rest.trim().is_empty() {
            return Ok(value);
        }
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Intent, SlashError> {
        SlashCommand::parse_line(line)?.into_intent()
    }

    #[test]
    fn console_lines_parse_into_the_intents_discord_would_deliver() {
        let cases: Vec<(&str, Intent)> = vec![
            (
                "/scope question:\"is patching in scope?\"",
                Intent::Scope {
                    question: "is patching in scope?".into(),
                },
            ),
            (
                "/scope question:is patching in scope?",
                Intent::Scope {
                    question: "is patching in scope?".into(),
                },
            ),
            (
                "/scope is IAM in scope?",
                Intent::Scope {
                    question: "is IAM in scope?".into(),
                },
            ),
            ("/spend", Intent::Spend(SpendRequest::default())),
            (
                "/estimate account:123456789012",
                Intent::Estimate(SpendRequest {
                    account: Some("123456789012".parse().unwrap()),
                    customer: None,
                }),
            ),
            (
                "/contact region:EMEA",
                Intent::Contact {
                    region: Some("emea".into()),
                    text: None,
                },
            ),
            ("/ticket show id:7", Intent::Ticket(TicketRequest::Show { id: 7 })),
            ("/ticket show id:#7", Intent::Ticket(TicketRequest::Show { id: 7 })),
            (
                "/ticket list filter:open",
                Intent::Ticket(TicketRequest::List {
                    filter: TicketFilter::Open,
                    status: None,
                    customer: None,
                }),
            ),
            (
                "/ticket list",
                Intent::Ticket(TicketRequest::List {
                    filter: TicketFilter::Mine,
                    status: None,
                    customer: None,
                }),
            ),
            (
                "/ticket note id:3 text:\"called AWS\"",
                Intent::Ticket(TicketRequest::Note {
                    id: 3,
                    text: "called AWS".into(),
                    to: NoteTo::Aws,
                    files: vec![],
                }),
            ),
            (
                "/ticket note id:3 text:\"spoke to their CTO\" to:internal",
                Intent::Ticket(TicketRequest::Note {
                    id: 3,
                    text: "spoke to their CTO".into(),
                    to: NoteTo::Internal,
                    files: vec![],
                }),
            ),
            (
                "/ticket resolve id:3",
                Intent::Ticket(TicketRequest::Resolve { id: 3, note: None }),
            ),
            (
                "/ticket reopen id:3 note:back again",
                Intent::Ticket(TicketRequest::Reopen {
                    id: 3,
                    note: Some("back again".into()),
                }),
            ),
            ("/ticket approve id:3", Intent::Ticket(TicketRequest::Approve { id: 3 })),
            (
                "/ticket list filter:all status:resolved customer:acme",
                Intent::Ticket(TicketRequest::List {
                    filter: TicketFilter::All,
                    status: Some("resolved".into()),
                    customer: Some("acme".into()),
                }),
            ),
            ("/help", Intent::Help),
            ("  /HELP  ", Intent::Help),
        ];
        for (line, expected) in cases {
            assert_eq!(parse(line).unwrap(), expected, "{line}");
        }
    }

    #[test]
    fn escalate_takes_quoted_values_with_escapes_and_colons() {
        let intent = parse(r#"/escalate severity:urgent subject:"RDS \"prod\" down" description:"since 10:42; DROP TABLE tickets;--" service:rds"#).unwrap();
        assert_eq!(
            intent,
            Intent::Escalate(EscalationRequest {
                subject: Some(r#"RDS "prod" down"#.into()),
                description: "since 10:42; DROP TABLE tickets;--".into(),
                severity: Some(Severity::Urgent),
                account: None,
                service: Some("rds".into()),
                explicit: true,
            })
        );
    }

    #[test]
    fn unquoted_values_run_until_the_next_known_option() {
        let intent = parse("/escalate subject:RDS is down description:it fell over at 10:42 severity:high").unwrap();
        let Intent::Escalate(request) = intent else { panic!() };
        assert_eq!(request.subject.as_deref(), Some("RDS is down"));
        assert_eq!(request.description, "it fell over at 10:42");
        assert_eq!(request.severity, Some(Severity::High));
    }

    #[test]
    fn bad_commands_are_explained() {
        let cases: Vec<(&str, &str)> = vec![
            ("/frobnicate", "I don't know the command `/frobnicate`"),
            (
                "/ticket",
                "needs one of: `show`, `list`, `note`, `resolve`, `reopen`, `approve`",
            ),
            ("/ticket explode", "has no `explode`"),
            ("/ticket note id:1 text:x to:internalx", "must be one of: aws, internal"),
            ("/ticket show id:abc", "`id` must be a whole number"),
            ("/ticket show", "needs the option `id`"),
            (
                "/escalate severity:extreme subject:x description:y",
                "must be one of: low, normal, high, urgent, critical",
            ),
            ("/escalate subject:x description:y", "needs the option `severity`"),
            (
                "/escalate subject:\"x description:y severity:low",
                "missing its closing",
            ),
            (
                "/escalate subject:\"\" description:y severity:low",
                "`subject` must not be empty",
            ),
            ("/spend account:12", "`account` is not valid"),
            ("/spend colour:blue", "has no option `colour`"),
            ("/contact region:emea region:us", "given twice"),
            ("/spend hello", "expected an option"),
            ("escalate", "starts with `/`"),
        ];
        for (line, expected) in cases {
            let err = parse(line).unwrap_err().to_string();
            assert!(err.contains(expected), "{line}: {err}");
        }
    }

    #[test]
    fn long_values_are_refused_with_the_limit() {
        let line = format!("/escalate severity:low subject:\"{}\" description:x", "s".repeat(201));
        assert!(
            parse(&line)
                .unwrap_err()
                .to_string()
                .contains("the most it can take is 200")
        );
    }

    #[test]
    fn echoed_names_are_clipped_and_cleaned() {
        let err = parse(&format!("/{}", "x".repeat(500))).unwrap_err().to_string();
        assert!(err.len() < 300, "{err}");
    }

    #[test]
    fn discord_delivered_values_are_validated_too() {
        let command = SlashCommand {
            name: "ticket".into(),
            subcommand: Some("show".into()),
            options: vec![("id".into(), OptionValue::Integer(12))],
        };
        assert_eq!(
            command.into_intent().unwrap(),
            Intent::Ticket(TicketRequest::Show { id: 12 })
        );
        let wrong = SlashCommand {
            name: "escalate".into(),
            subcommand: None,
            options: vec![("severity".into(), OptionValue::String("sev0".into()))],
        };
        assert!(wrong.into_intent().is_err());
    }

    #[test]
    fn errors_know_which_intent_was_meant() {
        let err = parse("/ticket show id:x").unwrap_err();
        assert_eq!(err.intended("ticket"), IntentKind::Ticket);
        let err = parse("/nope").unwrap_err();
        assert_eq!(err.intended("nope"), IntentKind::Help);
    }
}
