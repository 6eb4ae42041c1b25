//! How tickets look in replies: one embed per ticket, a line per ticket in
//! lists, and the ticket as `ask --json` reports it.

use crate::answer::TicketSummary;
use crate::domain::Severity;
use crate::reply::{ButtonAction, Embed, Reply, colour, quote_user_text};
use crate::store::conversation::{CaseMessage, Origin};
use crate::store::{CaseState, Ticket, TicketEvent, TicketStatus};

/// Messages of the AWS case's conversation listed in `/ticket show`.
pub const CONVERSATION_SHOWN: i64 = 4;
/// Characters of each listed message.
const CONVERSATION_LINE_CHARS: usize = 180;
/// Characters of AWS's latest reply, shown in an embed of its own.
const LATEST_REPLY_CHARS: usize = 3_000;

pub fn summary(ticket: &Ticket) -> TicketSummary {
    TicketSummary {
        id: ticket.id,
        status: ticket.status.as_str().to_owned(),
        severity: ticket.severity.code().to_owned(),
        aws_case_id: ticket.aws_case_id.clone(),
    }
}

pub fn severity_colour(severity: Severity) -> u32 {
    match severity {
        Severity::Low | Severity::Normal => colour::INFO,
        Severity::High => colour::UNCLEAR,
        Severity::Urgent | Severity::Critical => colour::URGENT,
    }
}

/// "high: production system impaired; AWS aims to answer within 4 hours".
pub fn severity_line(severity: Severity) -> String {
    format!(
        "**{}**: {}; AWS aims to answer within {}",
        severity.code(),
        severity.meaning(),
        severity.response_target()
    )
}

/// Where the ticket's AWS case stands, in words.
pub fn case_line(ticket: &Ticket, support_plan_note: &str) -> String {
    match ticket.case_state {
        CaseState::Created => format!(
            "AWS case **{}** ({}){}{}",
            ticket.aws_display_id.as_deref().unwrap_or("opened"),
            ticket.aws_case_id.as_deref().unwrap_or_default(),
            ticket
                .aws_case_status
                .as_deref()
                .map(|s| format!(", status {s}"))
                .unwrap_or_default(),
            ticket
                .case_severity
                .filter(|s| *s != ticket.severity)
                .map(|s| format!(
                    ", opened at severity **{}**: the account's support plan does not offer {}",
                    s.code(),
                    ticket.severity.code()
                ))
                .unwrap_or_default()
        ),
        CaseState::Pending if ticket.status == TicketStatus::Resolved => {
            let uncertain = if ticket.case_attempts > 0 {
                format!(
                    " An earlier attempt may have reached AWS: the case (its subject carries {}) is looked for, and resolved if it exists.",
                    ticket.case_reference
                )
            } else {
                String::new()
            };
            format!("Not opened: the ticket was resolved before its AWS case was.{uncertain}")
        }
        CaseState::Pending => match &ticket.case_last_error {
            Some(error) => format!(
                "Pending: not opened yet ({}). It is retried automatically{}; the ticket is safe.",
                quote_user_text(error, 300),
                ticket
                    .case_next_attempt_at
                    .as_deref()
                    .map(|at| format!(", next at {at}"))
                    .unwrap_or_default()
            ),
            None => "Pending: being opened now.".to_owned(),
        },
        CaseState::AwaitingApproval => {
            "Waiting for an engineer, who reviews it and opens the AWS Support case if needed.".to_owned()
        }
        CaseState::NotRequested => "No AWS case requested.".to_owned(),
        CaseState::Failed => {
            let error = ticket.case_last_error.as_deref().unwrap_or("AWS refused the case");
            if error.contains("support plan") {
                format!("Not opened: {error}. {support_plan_note}")
            } else {
                format!(
                    "Not opened: {}. An engineer will follow up.",
                    quote_user_text(error, 300)
                )
            }
        }
    }
}

pub fn embed(ticket: &Ticket, title_prefix: &str, support_plan_note: &str, events: &[TicketEvent]) -> Embed {
    let status = match ticket.status {
        TicketStatus::Open => "open",
        TicketStatus::Resolved => "resolved",
    };
    let colour = match ticket.status {
        TicketStatus::Resolved => colour::IN_SCOPE,
        TicketStatus::Open => severity_colour(ticket.severity),
    };
    let mut embed = Embed::new(
        format!(
            "{title_prefix} #{}: {}",
            ticket.id,
            quote_user_text(&ticket.subject, 200)
        ),
        colour,
    )
    .description(quote_user_text(&ticket.description, 1_500))
    .inline_field("Status", status)
    .inline_field(
        "Opened by",
        format!(
            "{} ({})",
            quote_user_text(&ticket.opened_by.name, 80),
            ticket.opened_by.role
        ),
    );
    if let Some(customer) = &ticket.customer {
        embed = embed.inline_field("Customer", quote_user_text(customer, 80));
    }
    if let Some(account) = &ticket.account_id {
        embed = embed.inline_field("Account", account.as_str());
    }
    if let Some(service) = &ticket.aws_service {
        embed = embed.inline_field("Service", quote_user_text(service, 80));
    }
    let severity = match ticket.case_severity.filter(|s| *s != ticket.severity) {
        // AWS answers the case at the severity it was opened at.
        Some(case) => format!(
            "**{}** for the desk; the AWS case is {}",
            ticket.severity.code(),
            severity_line(case)
        ),
        None => severity_line(ticket.severity),
    };
    embed = embed
        .field("Severity", severity)
        .field("AWS Support case", case_line(ticket, support_plan_note));
    if !events.is_empty() {
        let history: Vec<String> = events
            .iter()
            .rev()
            .take(8)
            .map(|e| {
                // One line per event, whatever the text holds.
                let detail = if e.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", quote_user_text(&e.detail.replace(['\n', '\r'], " "), 120))
                };
                format!(
                    "`{}` {} by {}{detail}",
                    &e.at[..16.min(e.at.len())],
                    e.kind,
                    quote_user_text(&e.actor_name, 40)
                )
            })
            .collect();
        embed = embed.field("Latest events", history.join("\n"));
    }
    embed.footer(format!("Ticket reference {}", ticket.case_reference))
}

/// The AWS case's conversation on a ticket shown: who waits on whom, the
/// latest messages a line each (a field of the ticket's embed), and AWS's
/// latest reply at length in an embed of its own.
pub fn with_conversation(mut embed: Embed, ticket: &Ticket, messages: &[CaseMessage]) -> (Embed, Option<Embed>) {
    if ticket.waiting_on.as_deref() == Some("customer") && ticket.status == TicketStatus::Open {
        embed = embed.field(
            "Waiting on the customer's answer",
            format!(
                "AWS Support replied and waits for an answer: reply with `/ticket note id:{}`.",
                ticket.id
            ),
        );
    }
    if messages.is_empty() {
        return (embed, None);
    }
    let lines: Vec<String> = messages
        .iter()
        .map(|m| {
            let attached = if m.attachments.is_empty() {
                String::new()
            } else {
                // AWS's names, one line whatever they hold.
                let names: Vec<String> = m
                    .attachments
                    .iter()
                    .map(|f| f.name.replace(['\n', '\r'], " "))
                    .collect();
                format!(" [attached: {}]", quote_user_text(&names.join(", "), 120))
            };
            format!(
                "`{}` **{}**: {}{attached}",
                m.time_created.get(..16).unwrap_or(&m.time_created).replace('T', " "),
                sender(m),
                quote_user_text(&m.body.replace('\n', " "), CONVERSATION_LINE_CHARS)
            )
        })
        .collect();
    embed = embed.field("Conversation with AWS Support", lines.join("\n"));
    let latest = messages.iter().rev().find(|m| m.origin == Origin::Aws).map(|m| {
        Embed::new(
            format!(
                "AWS Support's latest reply on ticket #{} ({})",
                ticket.id,
                m.time_created.get(..16).unwrap_or(&m.time_created).replace('T', " ")
            ),
            colour::INFO,
        )
        .description(quote_user_text(&m.body, LATEST_REPLY_CHARS))
    });
    (embed, latest)
}

fn sender(message: &CaseMessage) -> String {
    match message.origin {
        Origin::Aws => "AWS Support".to_owned(),
        Origin::Desk => "the desk".to_owned(),
        Origin::Customer => quote_user_text(&message.submitted_by, 60),
    }
}

/// A ticket's buttons: "Reply to AWS" while its case is open; for
/// engineers, approve its AWS case (or the replies held for approval) while
/// they wait, and resolve it while it is open.
pub fn with_buttons(mut reply: Reply, ticket: &Ticket, held_replies: i64) -> Reply {
    let open = ticket.status == TicketStatus::Open;
    if open && ticket.case_state == CaseState::Created {
        reply = reply.with_button("Reply to AWS", ButtonAction::ReplyToAws { ticket: ticket.id });
    }
    if open && ticket.case_state == CaseState::AwaitingApproval {
        reply = reply.with_button("Approve AWS case", ButtonAction::ApproveCase { ticket: ticket.id });
    } else if open && held_replies > 0 {
        reply = reply.with_button("Approve reply to AWS", ButtonAction::ApproveCase { ticket: ticket.id });
    }
    if ticket.status == TicketStatus::Open {
        reply = reply.with_button("Resolve", ButtonAction::ResolveTicket { ticket: ticket.id });
    }
    reply
}

/// One line per ticket, for lists.
pub fn list_line(ticket: &Ticket) -> String {
    let case = match (&ticket.case_state, &ticket.aws_display_id) {
        (CaseState::Created, Some(display)) => format!(" · AWS {display}"),
        (CaseState::Created, None) => " · AWS case".to_owned(),
        (CaseState::Pending, _) => " · AWS case pending".to_owned(),
        (CaseState::AwaitingApproval, _) => " · awaiting approval".to_owned(),
        (CaseState::Failed, _) => " · AWS case failed".to_owned(),
        (CaseState::NotRequested, _) => String::new(),
    };
    format!(
        "**#{}** [{}] {} · {}{case}",
        ticket.id,
        ticket.severity.code(),
        quote_user_text(&ticket.subject, 80),
        ticket.status.as_str()
    )
}
