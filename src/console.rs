//! The terminal adapter: renders answers as readable text (with colour on a
//! terminal) and runs the interactive console, a REPL with line editing and
//! history in which each line is a chat message or a slash command.

use std::io::IsTerminal;
use std::path::PathBuf;

use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use crate::answer::Answer;
use crate::app::App;
use crate::cli::say;
use crate::domain::Role;
use crate::inbound::{Actor, Inbound};
use crate::reply::Embed;

/// How text is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub colour: bool,
}

const WRAP_AT: usize = 96;
const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    fn bar(&self, colour: u32) -> String {
        if self.colour {
            let (r, g, b) = ((colour >> 16) & 0xff, (colour >> 8) & 0xff, colour & 0xff);
            format!("\x1b[38;2;{r};{g};{b}m┃{RESET} ")
        } else {
            "┃ ".to_owned()
        }
    }

    /// Discord's `**bold**` becomes terminal bold, or is left as typed.
    fn markdown(&self, text: &str) -> String {
        if !self.colour {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut bold = false;
        for (i, part) in text.split("**").enumerate() {
            if i > 0 {
                bold = !bold;
                out.push_str(if bold { BOLD } else { RESET });
            }
            out.push_str(part);
        }
        if bold {
            out.push_str(RESET);
        }
        out
    }
}

/// Breaks a paragraph into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

fn render_embed(embed: &Embed, style: Style, out: &mut String) {
    let bar = style.bar(embed.color);
    let mut push = |text: &str, code: Option<&str>, indent: &str| {
        for line in wrap(text, WRAP_AT) {
            let body = style.markdown(&line);
            let body = match code {
                Some(code) => style.paint(code, &body),
                None => body,
            };
            out.push_str(&format!("{bar}{indent}{body}\n"));
        }
    };
    if let Some(title) = &embed.title {
        push(title, Some(BOLD), "");
    }
    if let Some(description) = &embed.description {
        push(description, None, "");
    }
    for field in &embed.fields {
        push("", None, "");
        push(&field.name, Some(BOLD), "");
        push(&field.value, None, "  ");
    }
    if let Some(footer) = &embed.footer {
        push("", None, "");
        push(&format!("— {}", footer.text), Some(DIM), "");
    }
}

/// An answer as terminal text. Silence is shown as a dim note so that a
/// newcomer knows the bot heard them.
pub fn render(answer: &Answer, style: Style) -> String {
    let mut out = String::new();
    if answer.reply.is_silent() {
        out.push_str(&style.paint(
            DIM,
            "(no reply: I stay quiet on chit-chat; type /help to see what I do)",
        ));
        out.push('\n');
        return out;
    }
    for (i, embed) in answer.reply.embeds.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_embed(embed, style, &mut out);
    }
    for attachment in &answer.reply.attachments {
        out.push_str(&format!("  [attached: {}]\n", attachment.filename));
    }
    if !answer.reply.buttons.is_empty() {
        let buttons: Vec<String> = answer
            .reply
            .buttons
            .iter()
            .map(|b| format!("[ {} ]", b.label))
            .collect();
        out.push_str(&format!("  {}\n", buttons.join(" ")));
    }
    let mut notes = vec![format!("intent: {}", answer.intent)];
    if let Some(scope) = &answer.scope {
        notes.push(format!(
            "verdict: {}{}",
            scope.verdict.as_str(),
            scope.topic.as_deref().map(|t| format!(" ({t})")).unwrap_or_default()
        ));
    }
    if answer.reply.ephemeral {
        notes.push("only you would see this in Discord".to_owned());
    }
    out.push_str(&style.paint(DIM, &format!("  ({})", notes.join(" · "))));
    out.push('\n');
    for alert in &answer.alerts {
        let ping = if alert.ping_on_call { "@on-call " } else { "" };
        out.push_str(&style.paint(BOLD, &format!("  → to the outage channel: {ping}{}", alert.text)));
        out.push('\n');
    }
    out
}

/// Writes a reply's attachments (charts) to files in `dir`; returns their paths.
pub fn save_attachments(answer: &Answer, dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    if answer.reply.attachments.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(dir)?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    answer
        .reply
        .attachments
        .iter()
        .map(|attachment| {
            let path = dir.join(format!("{stamp}-{}", attachment.filename));
            std::fs::write(&path, &attachment.bytes)?;
            Ok(path)
        })
        .collect()
}

/// Where the console and `ask` put charts.
pub fn charts_dir() -> PathBuf {
    std::env::temp_dir().join("platform-desk")
}

pub fn print_saved(answer: &Answer) {
    match save_attachments(answer, &charts_dir()) {
        Ok(paths) => {
            for path in paths {
                say!("  chart saved to {}", path.display());
            }
        }
        Err(error) => tracing::warn!(%error, "could not save the chart"),
    }
}

/// The console's own commands, which start with `:`.
enum ConsoleCommand {
    Quit,
    Role(Role),
    ToggleJson,
    Help,
    Unknown(String),
}

fn console_command(line: &str) -> Option<ConsoleCommand> {
    let rest = line.trim().strip_prefix(':')?;
    let mut words = rest.split_whitespace();
    Some(match (words.next().unwrap_or_default(), words.next()) {
        ("q" | "quit" | "exit", _) => ConsoleCommand::Quit,
        ("role", Some("engineer")) => ConsoleCommand::Role(Role::Engineer),
        ("role", Some("customer")) => ConsoleCommand::Role(Role::Customer),
        ("json", _) => ConsoleCommand::ToggleJson,
        ("help" | "h", _) => ConsoleCommand::Help,
        _ => ConsoleCommand::Unknown(rest.to_owned()),
    })
}

const CONSOLE_HELP: &str =
    "Type a message as you would in chat, or a slash command such as /scope question:\"is IAM in scope?\".
Console commands: :role engineer | :role customer, :json (toggle JSON output), :quit (or Ctrl-D).";

/// Runs the interactive console until end of input or `:quit`.
pub async fn run(app: &App, mut actor: Actor, history: Option<PathBuf>) -> anyhow::Result<()> {
    let style = Style {
        colour: std::io::stdout().is_terminal(),
    };
    let interactive = std::io::stdin().is_terminal();
    let mut editor = DefaultEditor::new()?;
    if let Some(path) = &history {
        // A missing history file is normal on first use.
        let _ = editor.load_history(path);
    }
    if interactive {
        say!(
            "{}",
            style.paint(
                BOLD,
                &format!(
                    "platform-desk console: you are {} ({}).",
                    actor.display_name, actor.role
                )
            )
        );
        say!("{CONSOLE_HELP}\n");
    }
    let mut json = false;
    loop {
        let prompt = if interactive {
            format!("{}> ", actor.role)
        } else {
            String::new()
        };
        // Reading a line blocks; the case worker runs on the other threads.
        let line = match tokio::task::block_in_place(|| editor.readline(&prompt)) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            // A line that is not UTF-8 text was read and is skipped; the
            // session goes on.
            Err(ReadlineError::Io(error)) if error.kind() == std::io::ErrorKind::InvalidData => {
                tracing::warn!(%error, "console line skipped: not UTF-8 text");
                say!("That line was not readable text (invalid UTF-8), so I skipped it. Type it again as plain text.");
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        if line.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(line.as_str());
        match console_command(&line) {
            Some(ConsoleCommand::Quit) => break,
            Some(ConsoleCommand::Role(role)) => {
                actor.role = role;
                say!(
                    "You are now {} {role}.",
                    if role == Role::Engineer { "an" } else { "a" }
                );
                continue;
            }
            Some(ConsoleCommand::ToggleJson) => {
                json = !json;
                say!("JSON output {}.", if json { "on" } else { "off" });
                continue;
            }
            Some(ConsoleCommand::Help) => {
                say!("{CONSOLE_HELP}");
                continue;
            }
            Some(ConsoleCommand::Unknown(what)) => {
                say!("I don't know the console command \":{what}\". {CONSOLE_HELP}");
                continue;
            }
            None => {}
        }
        let answer = app.handle_local(Inbound::text(actor.clone(), line)).await;
        if json {
            say!("{}", answer.to_json_line());
        } else {
            say!("{}", render(&answer, style));
            print_saved(&answer);
        }
    }
    if let Some(path) = &history
        && let Err(error) = editor.save_history(path)
    {
        tracing::warn!(path = %path.display(), %error, "could not save console history");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intent::IntentKind;
    use crate::reply::{Reply, colour};

    fn answer(reply: Reply) -> Answer {
        Answer {
            intent: IntentKind::Help,
            scope: None,
            ticket: None,
            reply,
            alerts: Vec::new(),
            failed: false,
        }
    }

    #[test]
    fn plain_rendering_has_no_escape_codes() {
        let reply = Reply::embed(
            Embed::new("Title", colour::INFO)
                .description("**bold** text")
                .field("F", "V")
                .footer("foot"),
        );
        let text = render(&answer(reply), Style { colour: false });
        assert!(!text.contains('\x1b'));
        assert!(text.contains("┃ Title\n"));
        assert!(text.contains("┃   V\n"));
        assert!(text.contains("— foot"));
    }

    #[test]
    fn coloured_rendering_uses_the_embed_colour() {
        let reply = Reply::embed(Embed::new("Title", 0x2ECC71));
        let text = render(&answer(reply), Style { colour: true });
        assert!(text.contains("\x1b[38;2;46;204;113m┃"));
    }

    #[test]
    fn silence_is_explained() {
        assert!(render(&answer(Reply::silent()), Style { colour: false }).contains("no reply"));
    }

    #[test]
    fn long_lines_are_wrapped_at_spaces() {
        let lines = wrap(&"word ".repeat(50), 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20));
    }
}
