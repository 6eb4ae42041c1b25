//! Text handling shared by the classifier and the policy matchers: folding what
//! users type into one lower-case, mostly-ASCII form, and scoring it against
//! weighted vocabularies compiled into a single `RegexSet`.

use regex::bytes::{RegexSet, RegexSetBuilder};
use unicode_normalization::UnicodeNormalization;

/// Only this many characters of a message are classified: intent and scope are
/// decided by how a message starts, and it bounds the work a hostile 20,000
/// character message can cause.
pub const MAX_CLASSIFIED_CHARS: usize = 2_000;

/// Folds a chat message into the form every matcher works on.
///
/// - Discord mention tokens (`<@123>`, `<@&123>`, `<#123>`) become spaces.
/// - Text inside a right-to-left override (U+202E ... U+202C) is read in the
///   order it is displayed, so a reversed "?epocs ni gnihctap si" reads as the
///   question the user saw.
/// - Compatibility forms are folded (NFKC): "𝐈𝐀𝐌" and "ＩＡＭ" read as "iam".
/// - Typographic quotes become ASCII quotes; control, zero-width and bidi
///   override characters become spaces or vanish.
/// - Everything is lower-cased and runs of white space are collapsed.
pub fn normalize(input: &str) -> String {
    let clipped = clip_chars(input, MAX_CLASSIFIED_CHARS);
    let displayed = apply_right_to_left_overrides(clipped);
    let without_mentions = strip_mention_tokens(&displayed);
    let mut out = String::with_capacity(without_mentions.len());
    let mut last_was_space = true;
    let mut push = |c: char, out: &mut String| {
        if c.is_whitespace() {
            if !last_was_space {
                out.push(' ');
                last_was_space = true;
            }
        } else {
            out.push(c);
            last_was_space = false;
        }
    };
    if without_mentions.is_ascii() {
        for c in without_mentions.chars() {
            let c = if c.is_ascii_control() { ' ' } else { c };
            push(c.to_ascii_lowercase(), &mut out);
        }
    } else {
        for c in without_mentions.nfkc() {
            match fold_char(c) {
                Folded::Drop => {}
                Folded::Char(c) => {
                    for lower in c.to_lowercase() {
                        push(lower, &mut out);
                    }
                }
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

const RIGHT_TO_LEFT_OVERRIDE: char = '\u{202E}';
const POP_DIRECTIONAL_FORMATTING: char = '\u{202C}';

fn apply_right_to_left_overrides(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(RIGHT_TO_LEFT_OVERRIDE) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut reversed: Option<Vec<char>> = None;
    for c in s.chars() {
        match (c, &mut reversed) {
            (RIGHT_TO_LEFT_OVERRIDE, None) => reversed = Some(Vec::new()),
            (POP_DIRECTIONAL_FORMATTING, Some(segment)) => {
                out.extend(segment.iter().rev());
                reversed = None;
            }
            (c, Some(segment)) => segment.push(c),
            (c, None) => out.push(c),
        }
    }
    if let Some(segment) = reversed {
        out.extend(segment.iter().rev());
    }
    std::borrow::Cow::Owned(out)
}

enum Folded {
    Drop,
    Char(char),
}

fn fold_char(c: char) -> Folded {
    match c {
        // zero-width characters, bidi embeddings/overrides/isolates, BOM
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' => Folded::Drop,
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' => Folded::Char('\''),
        '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => Folded::Char('"'),
        '\u{2010}'..='\u{2015}' | '\u{2212}' => Folded::Char('-'),
        c if c.is_control() => Folded::Char(' '),
        c => Folded::Char(c),
    }
}

/// The longest prefix of `s` with at most `max` characters.
pub fn clip_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((byte_index, _)) => &s[..byte_index],
        None => s,
    }
}

/// Replaces `<@id>`, `<@!id>`, `<@&id>` and `<#id>` with a space. Everything
/// else, including a lone `<`, is kept as typed.
fn strip_mention_tokens(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('<') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        match mention_token_len(candidate) {
            Some(len) => {
                out.push(' ');
                rest = &candidate[len..];
            }
            None => {
                out.push('<');
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn mention_token_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 1;
    match bytes.get(i) {
        Some(b'@') => {
            i += 1;
            if matches!(bytes.get(i), Some(b'!') | Some(b'&')) {
                i += 1;
            }
        }
        Some(b'#') => i += 1,
        _ => return None,
    }
    let digits_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    (i > digits_start && bytes.get(i) == Some(&b'>')).then_some(i + 1)
}

/// Turns a vocabulary word or phrase into a regular expression: words match
/// whole, and a space in the phrase also matches a hyphen ("sign up" finds
/// "sign-up" and "sign  up").
pub fn phrase_pattern(phrase: &str) -> String {
    let words: Vec<String> = phrase
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .map(regex::escape)
        .collect();
    let body = words.join(r"[\s\-]+");
    let starts_with_word = phrase.chars().next().is_some_and(is_word_char);
    let ends_with_word = phrase.chars().last().is_some_and(is_word_char);
    format!(
        "{}{}{}",
        if starts_with_word { r"\b" } else { "" },
        body,
        if ends_with_word { r"\b" } else { "" }
    )
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A set of patterns, each pointing at a target with a weight; one pass over
/// the text finds every pattern that matches.
#[derive(Debug, Clone)]
pub struct WeightedSet<T> {
    set: RegexSet,
    entries: Vec<(T, f32)>,
}

impl<T: Copy> WeightedSet<T> {
    /// Compiles `(pattern, target, weight)` triples. Patterns are ASCII and
    /// case-sensitive (the text is already lower-cased by [`normalize`]);
    /// `\b` and `\w` are ASCII, which keeps the set on the fast DFA path.
    pub fn new<I, S>(patterns: I) -> Result<Self, regex::Error>
    where
        I: IntoIterator<Item = (S, T, f32)>,
        S: AsRef<str>,
    {
        let mut sources = Vec::new();
        let mut entries = Vec::new();
        for (pattern, target, weight) in patterns {
            sources.push(pattern.as_ref().to_owned());
            entries.push((target, weight));
        }
        let set = RegexSetBuilder::new(&sources)
            .unicode(false)
            .size_limit(64 * 1024 * 1024)
            .dfa_size_limit(64 * 1024 * 1024)
            .build()?;
        Ok(Self { set, entries })
    }

    /// Every `(target, weight)` whose pattern matches `normalized_text`.
    pub fn matches<'a>(&'a self, normalized_text: &str) -> impl Iterator<Item = (T, f32)> + 'a {
        let hits = self.set.matches(normalized_text.as_bytes());
        hits.into_iter().map(move |index| self.entries[index])
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Checks that one pattern compiles the way [`WeightedSet`] compiles it, so a
/// policy file can report the exact pattern (and line) that is wrong.
pub fn check_pattern(pattern: &str) -> Result<(), regex::Error> {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing_folds_case_and_white_space() {
        assert_eq!(normalize("  Is  IAM\tin Scope? "), "is iam in scope?");
    }

    #[test]
    fn normalizing_folds_math_alphanumerics_and_fullwidth_letters() {
        assert_eq!(normalize("is 𝐈𝐀𝐌 in ｓｃｏｐｅ?"), "is iam in scope?");
    }

    #[test]
    fn normalizing_drops_bidi_overrides_and_zero_width_characters() {
        assert_eq!(
            normalize("pat\u{200B}ching \u{202B}in \u{2066}scope\u{2069}\u{202C}?"),
            "patching in scope?"
        );
    }

    #[test]
    fn right_to_left_overrides_are_read_as_displayed() {
        assert_eq!(
            normalize("\u{202E}?epocs ni gnihctap si\u{202C}"),
            "is patching in scope?"
        );
        assert_eq!(normalize("a \u{202E}cb"), "a bc");
    }

    #[test]
    fn normalizing_turns_control_characters_into_spaces() {
        assert_eq!(normalize("is\u{0007}patching\u{0000}in scope"), "is patching in scope");
    }

    #[test]
    fn normalizing_removes_discord_mention_tokens_only() {
        assert_eq!(normalize("<@123> is <#45> a <b> <@&9>x"), "is a <b> x");
        assert_eq!(normalize("a < b <@> <@x>"), "a < b <@> <@x>");
    }

    #[test]
    fn normalizing_maps_typographic_quotes() {
        assert_eq!(normalize("what\u{2019}s the bill"), "what's the bill");
    }

    #[test]
    fn normalizing_clips_very_long_messages() {
        let long = "a ".repeat(20_000);
        assert!(normalize(&long).chars().count() <= MAX_CLASSIFIED_CHARS);
    }

    #[test]
    fn clipping_respects_character_boundaries() {
        assert_eq!(clip_chars("ééé", 2), "éé");
        assert_eq!(clip_chars("ab", 5), "ab");
    }

    #[test]
    fn phrases_match_whole_words_and_hyphens() {
        let set = WeightedSet::new([(phrase_pattern("sign up"), 1, 1.0)]).unwrap();
        assert_eq!(set.matches("account sign-up please").count(), 1);
        assert_eq!(set.matches("design upgrades").count(), 0);
    }

    #[test]
    fn phrases_with_punctuation_at_the_edges_still_match() {
        let set = WeightedSet::new([(phrase_pattern("u.s."), 1, 1.0), (phrase_pattern("t&c"), 2, 1.0)]).unwrap();
        let hits: Vec<i32> = set.matches("call the u.s. line about t&c").map(|(t, _)| t).collect();
        assert_eq!(hits, vec![1, 2]);
    }

    #[test]
    fn a_bad_pattern_is_reported() {
        assert!(check_pattern("(unclosed").is_err());
        assert!(check_pattern(r"\bok\b").is_ok());
    }
}
