//! Discord's message limits, enforced once for every reply. serenity checks
//! only a few of them (see `shared/notes`), so nothing leaves the bot that
//! Discord would reject: long text is shortened with an ellipsis, extra fields
//! and embeds are folded away, and the 6,000-character total over all embeds
//! is kept. Lengths are counted in UTF-16 units, which is never less than
//! Discord's own count, so emoji cannot push a reply over.

use super::{Embed, EmbedField, EmbedFooter, Reply, neutralize_mentions};

#[derive(Debug, Clone, Copy)]
pub struct DiscordLimits {
    pub embeds: usize,
    pub title: usize,
    pub description: usize,
    pub fields: usize,
    pub field_name: usize,
    pub field_value: usize,
    pub footer: usize,
    pub total: usize,
    pub buttons: usize,
    pub button_label: usize,
}

impl DiscordLimits {
    pub const DISCORD: DiscordLimits = DiscordLimits {
        embeds: 10,
        title: 256,
        description: 4096,
        fields: 25,
        field_name: 256,
        field_value: 1024,
        footer: 2048,
        total: 6000,
        buttons: 25,
        button_label: 80,
    };
}

const ELLIPSIS: char = '…';
/// Discord rejects empty field names and values; this shows as nothing.
const BLANK: &str = "\u{200B}";
/// Pieces are never shortened below this; past it, whole fields go.
const SHORTEST_PIECE: usize = 24;

pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `s` shortened to at most `max` UTF-16 units, ending in an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    if utf16_len(s) <= max {
        return s.to_owned();
    }
    let budget = max.saturating_sub(1);
    let mut used = 0;
    let mut out = String::new();
    for c in s.chars() {
        let width = c.len_utf16();
        if used + width > budget {
            break;
        }
        used += width;
        out.push(c);
    }
    let kept = out.trim_end().len();
    out.truncate(kept);
    out.push(ELLIPSIS);
    out
}

fn clean(s: &str, max: usize) -> String {
    clip(&neutralize_mentions(s), max)
}

fn non_empty(s: String) -> String {
    if s.trim().is_empty() { BLANK.to_owned() } else { s }
}

fn embed_len(embed: &Embed) -> usize {
    embed.title.as_deref().map_or(0, utf16_len)
        + embed.description.as_deref().map_or(0, utf16_len)
        + embed
            .fields
            .iter()
            .map(|f| utf16_len(&f.name) + utf16_len(&f.value))
            .sum::<usize>()
        + embed.footer.as_ref().map_or(0, |f| utf16_len(&f.text))
}

fn total_len(embeds: &[Embed]) -> usize {
    embeds.iter().map(embed_len).sum()
}

fn fit_embed(embed: Embed, limits: &DiscordLimits) -> Embed {
    let title = embed
        .title
        .map(|t| clean(&t, limits.title))
        .filter(|t| !t.trim().is_empty());
    let description = embed
        .description
        .map(|d| clean(&d, limits.description))
        .filter(|d| !d.trim().is_empty());
    let mut fields: Vec<EmbedField> = embed
        .fields
        .into_iter()
        .map(|f| EmbedField {
            name: non_empty(clean(&f.name, limits.field_name)),
            value: non_empty(clean(&f.value, limits.field_value)),
            inline: f.inline,
        })
        .collect();
    if fields.len() > limits.fields {
        let hidden = fields.len() - (limits.fields - 1);
        fields.truncate(limits.fields - 1);
        fields.push(EmbedField {
            name: "…".to_owned(),
            value: format!("{hidden} more not shown"),
            inline: false,
        });
    }
    let footer = embed
        .footer
        .map(|f| EmbedFooter {
            text: clean(&f.text, limits.footer),
        })
        .filter(|f| !f.text.trim().is_empty());
    let mut fitted = Embed {
        title,
        description,
        color: embed.color,
        fields,
        footer,
        image: embed.image,
    };
    if fitted.title.is_none() && fitted.description.is_none() && fitted.fields.is_empty() {
        fitted.description = Some(BLANK.to_owned());
    }
    fitted
}

/// Shrinks the longest description or field value, again and again, until the
/// whole reply fits; drops trailing fields and embeds only when every piece is
/// already short.
fn fit_total(embeds: &mut Vec<Embed>, limits: &DiscordLimits) {
    loop {
        let total = total_len(embeds);
        if total <= limits.total {
            return;
        }
        let excess = total - limits.total;
        let mut longest: Option<(usize, Option<usize>, usize)> = None;
        for (e, embed) in embeds.iter().enumerate() {
            if let Some(d) = &embed.description {
                let len = utf16_len(d);
                if longest.is_none_or(|(_, _, l)| len > l) {
                    longest = Some((e, None, len));
                }
            }
            for (f, field) in embed.fields.iter().enumerate() {
                let len = utf16_len(&field.value);
                if longest.is_none_or(|(_, _, l)| len > l) {
                    longest = Some((e, Some(f), len));
                }
            }
        }
        match longest {
            Some((e, piece, len)) if len > SHORTEST_PIECE => {
                let target = len.saturating_sub(excess).max(SHORTEST_PIECE);
                let embed = &mut embeds[e];
                match piece {
                    None => embed.description = embed.description.as_deref().map(|d| clip(d, target)),
                    Some(f) => embed.fields[f].value = clip(&embed.fields[f].value, target),
                }
            }
            _ => {
                if let Some(embed) = embeds.iter_mut().rev().find(|e| !e.fields.is_empty()) {
                    embed.fields.pop();
                } else if embeds.len() > 1 {
                    embeds.pop();
                } else if let Some(embed) = embeds.first_mut() {
                    embed.footer = None;
                    embed.title = embed.title.as_deref().map(|t| clip(t, SHORTEST_PIECE));
                    embed.description = embed.description.as_deref().map(|d| clip(d, SHORTEST_PIECE));
                    return;
                }
            }
        }
    }
}

pub(super) fn fit(reply: Reply, limits: &DiscordLimits) -> Reply {
    let mut embeds: Vec<Embed> = reply
        .embeds
        .into_iter()
        .take(limits.embeds)
        .map(|e| fit_embed(e, limits))
        .collect();
    fit_total(&mut embeds, limits);
    let buttons = reply
        .buttons
        .into_iter()
        .take(limits.buttons)
        .map(|mut b| {
            b.label = clip(&b.label, limits.button_label);
            b
        })
        .collect();
    Reply {
        embeds,
        ephemeral: reply.ephemeral,
        buttons,
        attachments: reply.attachments,
    }
}

/// Discord's limit on a message's `content`, in characters.
pub const CONTENT: usize = 2000;
/// Discord's limit on a thread's (channel's) name.
pub const CHANNEL_NAME: usize = 100;

/// A message's plain-text content as it may be sent: shortened to
/// [`CONTENT`] with an ellipsis, and never empty. Every `content` the bot
/// sends goes through here, as every embed goes through
/// [`Reply::fit_to_discord`], last: after users' text has been quoted (and
/// its mentions neutralized, which lengthens it).
pub fn content(text: &str) -> String {
    non_empty(clip(text, CONTENT))
}

/// A thread's name: one line, mentions neutralized, at most
/// [`CHANNEL_NAME`] characters, never empty.
pub fn thread_name(text: &str) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    non_empty(clean(one_line.trim(), CHANNEL_NAME))
}

/// A file's name as it is uploaded: one line, no path, at most 100
/// characters (keeping its extension), never empty.
pub fn file_name(name: &str) -> String {
    crate::text::file_base_name(name, FILE_NAME)
}

/// The longest file name the bot uploads.
const FILE_NAME: usize = 100;

/// Discord's limit on a form's (modal's) title.
pub const MODAL_TITLE: usize = 45;

/// A form's title: one line, at most [`MODAL_TITLE`] characters.
pub fn modal_title(text: &str) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    non_empty(clean(one_line.trim(), MODAL_TITLE))
}

/// Checks a reply against the limits; used by tests of every adapter.
pub fn violations(reply: &Reply, limits: &DiscordLimits) -> Vec<String> {
    let mut problems = Vec::new();
    if reply.embeds.len() > limits.embeds {
        problems.push(format!("{} embeds", reply.embeds.len()));
    }
    for (i, embed) in reply.embeds.iter().enumerate() {
        let check = |what: &str, text: &str, max: usize, problems: &mut Vec<String>| {
            let len = utf16_len(text);
            if len > max {
                problems.push(format!("embed {i} {what}: {len} > {max}"));
            }
            if text.is_empty() {
                problems.push(format!("embed {i} {what} is empty"));
            }
        };
        if let Some(t) = &embed.title {
            check("title", t, limits.title, &mut problems);
        }
        if let Some(d) = &embed.description {
            check("description", d, limits.description, &mut problems);
        }
        if embed.fields.len() > limits.fields {
            problems.push(format!("embed {i}: {} fields", embed.fields.len()));
        }
        for field in &embed.fields {
            check("field name", &field.name, limits.field_name, &mut problems);
            check("field value", &field.value, limits.field_value, &mut problems);
        }
        if let Some(f) = &embed.footer {
            check("footer", &f.text, limits.footer, &mut problems);
        }
    }
    let total = total_len(&reply.embeds);
    if total > limits.total {
        problems.push(format!("total {total} > {}", limits.total));
    }
    problems
}

impl Reply {
    /// What in this reply Discord would reject (empty when it fits).
    pub fn limit_violations(&self) -> Vec<String> {
        violations(self, &DiscordLimits::DISCORD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_file_names_are_one_short_line_without_a_path() {
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("C:\\logs\\agent.log"), "agent.log");
        assert_eq!(file_name("a\nb.log"), "ab.log");
        assert_eq!(file_name("   "), "file");
        let long = format!("{}.log", "x".repeat(300));
        let short = file_name(&long);
        assert_eq!(short.chars().count(), 100);
        assert!(short.ends_with(".log"));
    }

    #[test]
    fn content_is_within_discords_limit_after_mentions_are_neutralized() {
        let hostile = crate::reply::quote_user_text(&"@!".repeat(750), 1_500);
        assert!(utf16_len(&hostile) > CONTENT, "neutralized, it grows");
        let sent = content(&hostile);
        assert!(utf16_len(&sent) <= CONTENT, "{}", utf16_len(&sent));
        assert!(sent.ends_with('…'));
        assert_eq!(content(""), BLANK);
        let name = thread_name(&format!("Ticket #1: {}\n{}", "x".repeat(200), "@everyone"));
        assert!(utf16_len(&name) <= CHANNEL_NAME && !name.contains('\n'));
    }
    use crate::reply::colour;

    #[test]
    fn long_texts_are_clipped_with_an_ellipsis() {
        let reply = Reply::embed(
            Embed::new("t".repeat(300), colour::INFO)
                .description("d".repeat(5000))
                .field("n".repeat(300), "v".repeat(2000))
                .footer("f".repeat(3000)),
        )
        .fit_to_discord();
        let embed = &reply.embeds[0];
        assert_eq!(utf16_len(embed.title.as_ref().unwrap()), 256);
        assert!(embed.title.as_ref().unwrap().ends_with('…'));
        assert!(reply.limit_violations().is_empty(), "{:?}", reply.limit_violations());
    }

    #[test]
    fn the_total_over_all_embeds_is_kept_under_six_thousand() {
        let embeds = (0..12)
            .map(|i| {
                Embed::new(format!("embed {i}"), colour::INFO)
                    .description("x".repeat(3000))
                    .field("a", "y".repeat(1000))
            })
            .collect();
        let reply = Reply {
            embeds,
            ..Reply::default()
        }
        .fit_to_discord();
        assert_eq!(reply.embeds.len(), 10);
        assert!(total_len(&reply.embeds) <= 6000);
        assert!(reply.limit_violations().is_empty(), "{:?}", reply.limit_violations());
    }

    #[test]
    fn too_many_fields_are_folded_into_a_last_one() {
        let mut embed = Embed::new("many", colour::INFO);
        for i in 0..40 {
            embed = embed.field(format!("f{i}"), "v");
        }
        let reply = Reply::embed(embed).fit_to_discord();
        assert_eq!(reply.embeds[0].fields.len(), 25);
        assert_eq!(reply.embeds[0].fields[24].value, "16 more not shown");
    }

    #[test]
    fn emoji_are_counted_in_utf16_units() {
        let reply = Reply::embed(Embed::new("😀".repeat(200), colour::INFO)).fit_to_discord();
        assert!(utf16_len(reply.embeds[0].title.as_ref().unwrap()) <= 256);
    }

    #[test]
    fn empty_field_names_and_values_are_made_acceptable() {
        let reply = Reply::embed(Embed::new("t", colour::INFO).field("", "  ")).fit_to_discord();
        assert!(reply.limit_violations().is_empty());
    }

    #[test]
    fn many_small_fields_over_the_total_lose_trailing_fields() {
        let embeds = (0..10)
            .map(|i| {
                let mut e = Embed::new(format!("e{i}"), colour::INFO);
                for j in 0..25 {
                    e = e.field("n".repeat(20), format!("value {j} {}", "z".repeat(14)));
                }
                e
            })
            .collect();
        let reply = Reply {
            embeds,
            ..Reply::default()
        }
        .fit_to_discord();
        assert!(reply.limit_violations().is_empty(), "{:?}", reply.limit_violations());
    }

    #[test]
    fn mentions_are_neutralized_everywhere() {
        let reply = Reply::embed(Embed::new("@everyone", colour::INFO).field("@here", "<@&42>")).fit_to_discord();
        let json = serde_json::to_string(&reply.embeds).unwrap();
        assert!(
            !json.contains("@everyone") && !json.contains("@here") && !json.contains("<@&42>"),
            "{json}"
        );
    }
}
