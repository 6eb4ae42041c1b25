//! Folding what users type into one lower-case form before anything reads
//! it (the classifier, the policy's vocabulary, the extractors): compatibility
//! characters, typographic quotes, invisible and direction-changing
//! characters, Discord's mention tokens and white space.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Of a longer message, only its first and last characters are classified:
/// a question comes before or after what was pasted with it (the longest
/// message of the labelled corpus has 271 characters), and it bounds the
/// work a hostile 20,000-character message can cause.
pub const CLASSIFIED_HEAD_CHARS: usize = 400;
pub const CLASSIFIED_TAIL_CHARS: usize = 250;
/// The most characters [`normalize`] reads of one message.
pub const MAX_CLASSIFIED_CHARS: usize = CLASSIFIED_HEAD_CHARS + CLASSIFIED_TAIL_CHARS;

/// Folds a chat message into the form every matcher works on.
///
/// - Discord mention tokens of people and roles (`<@123>`, `<@&123>`) become
///   `@someone`, so a message addressed to a colleague reads as such; channel
///   mentions (`<#123>`) become spaces.
/// - Text inside a right-to-left override (U+202E ... U+202C) is read in the
///   order it is displayed, so a reversed "?epocs ni gnihctap si" reads as the
///   question the user saw.
/// - Compatibility forms are folded (NFKC): "𝐈𝐀𝐌" and "ＩＡＭ" read as "iam".
/// - Typographic quotes become ASCII quotes; control, zero-width and bidi
///   override characters become spaces or vanish.
/// - Everything is lower-cased and runs of white space are collapsed.
pub fn normalize(input: &str) -> String {
    normalized(input).into_owned()
}

/// [`normalize`], borrowing the message itself when it is already in folded
/// form (ASCII, lower case, single-spaced, no mention token: most chat
/// messages), so that reading it costs no copy.
pub fn normalized(input: &str) -> std::borrow::Cow<'_, str> {
    let clipped = head_and_tail(input);
    if let std::borrow::Cow::Borrowed(text) = clipped
        && is_folded_ascii(text.as_bytes())
    {
        return std::borrow::Cow::Borrowed(text);
    }
    if clipped.is_ascii() {
        return std::borrow::Cow::Owned(normalize_ascii(&strip_mention_tokens(&clipped)));
    }
    let displayed = apply_right_to_left_overrides(&clipped);
    let without_mentions = strip_mention_tokens(&displayed);
    let mut out = String::with_capacity(without_mentions.len());
    let mut last_was_space = true;
    for c in without_mentions.nfkd() {
        let Folded::Char(c) = fold_char(c) else { continue };
        for lower in c.to_lowercase() {
            if lower.is_whitespace() {
                if !last_was_space {
                    out.push(' ');
                    last_was_space = true;
                }
            } else {
                out.push(lower);
                last_was_space = false;
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    std::borrow::Cow::Owned(out)
}

/// [`normalize`] for ASCII text: the common case, kept fast. Text that is
/// already single-spaced, with no control characters, only needs lower-casing.
fn normalize_ascii(text: &str) -> String {
    if is_single_spaced(text.as_bytes()) {
        return text.to_ascii_lowercase();
    }
    let mut out = Vec::with_capacity(text.len());
    let mut last_was_space = true;
    for &byte in text.as_bytes() {
        if byte.is_ascii_whitespace() || byte.is_ascii_control() {
            if !last_was_space {
                out.push(b' ');
                last_was_space = true;
            }
        } else {
            out.push(byte.to_ascii_lowercase());
            last_was_space = false;
        }
    }
    if out.last() == Some(&b' ') {
        out.pop();
    }
    String::from_utf8(out).expect("ASCII in, ASCII out")
}

/// Eight bytes at a time: the high bit of every byte.
const HIGH: u64 = 0x8080_8080_8080_8080;
/// Eight bytes at a time: the low seven bits of every byte.
const SEVEN_BITS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// `byte` in each of eight bytes.
const fn repeat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// The high bit of each byte of `x` that is zero (exact: no carries between
/// bytes).
fn zero_bytes(x: u64) -> u64 {
    !(((x & SEVEN_BITS) + SEVEN_BITS) | x) & HIGH
}

/// No leading, trailing or doubled space and no other white space or control
/// character. For ASCII text; eight bytes at a time and branch-free, as most
/// messages pass.
fn is_single_spaced(bytes: &[u8]) -> bool {
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return true;
    };
    let mut bad = u64::from(*first == b' ' || *last == b' ');
    // Whether the byte before the current eight was a space, as the high bit
    // of the lowest byte.
    let mut space_before = 0u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // Bytes below ' ' (ASCII, so no high bit to mask), and DEL.
        let control = !((x & SEVEN_BITS) + repeat(0x80 - b' ')) & HIGH;
        let delete = zero_bytes(x ^ repeat(0x7f));
        let spaces = zero_bytes(x ^ repeat(b' '));
        let doubled = spaces & ((spaces << 8) | space_before);
        bad |= control | delete | doubled;
        space_before = spaces >> 56;
    }
    let mut previous = if space_before != 0 { b' ' } else { 0 };
    for &byte in chunks.remainder() {
        bad |=
            u64::from(byte < b' ') | u64::from(byte == 0x7f) | (u64::from(byte == b' ') & u64::from(previous == b' '));
        previous = byte;
    }
    bad == 0
}

/// Whether text is already in folded form: ASCII with no upper-case letter,
/// no control character, no `<` (which may open a mention token), and no
/// leading, trailing or doubled space. Eight bytes at a time and
/// branch-free; the last eight bytes are read as one chunk overlapping the
/// one before, since every test here only looks for a bad byte.
fn is_folded_ascii(bytes: &[u8]) -> bool {
    /// The high bits of the bad bytes of eight, with the high bit of the
    /// lowest byte of `space_before` set when the byte before was a space;
    /// and the high bit of the last byte when it is a space.
    fn bad_bytes(x: u64, space_before: u64) -> (u64, u64) {
        let seven = x & SEVEN_BITS;
        // For a byte below 0x80, adding 0x80 - c sets its high bit exactly
        // when it is at least c, without a carry into the next byte.
        let at_least = |c: u8| (seven + repeat(0x80 - c)) & HIGH;
        let control = !at_least(b' ') & HIGH;
        let upper = at_least(b'A') & !at_least(b'Z' + 1);
        let delete = zero_bytes(x ^ repeat(0x7f));
        let open = zero_bytes(x ^ repeat(b'<'));
        let spaces = zero_bytes(x ^ repeat(b' '));
        let doubled = spaces & ((spaces << 8) | space_before);
        ((x & HIGH) | control | upper | delete | open | doubled, spaces >> 56)
    }
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return true;
    };
    let mut bad = u64::from(*first == b' ' || *last == b' ');
    if bytes.len() < 8 {
        // Padded with a letter, which is never bad.
        let mut padded = [b'a'; 8];
        padded[..bytes.len()].copy_from_slice(bytes);
        return bad | bad_bytes(u64::from_le_bytes(padded), 0).0 == 0;
    }
    let mut space_before = 0u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let (found, space) = bad_bytes(u64::from_le_bytes(chunk.try_into().expect("eight bytes")), space_before);
        bad |= found;
        space_before = space;
    }
    if !chunks.remainder().is_empty() {
        let at = bytes.len() - 8;
        let before = u64::from(at > 0 && bytes[at - 1] == b' ') << 7;
        let tail = u64::from_le_bytes(bytes[at..].try_into().expect("eight bytes"));
        bad |= bad_bytes(tail, before).0;
    }
    bad == 0
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
    if is_combining_mark(c) {
        // Accents and overlays ("é", "d̶e̶l̶e̶t̶e̶") are dropped after
        // decomposition: "cuánto" reads as "cuanto".
        return Folded::Drop;
    }
    if let Some(latin) = latin_look_alike(c) {
        return Folded::Char(latin);
    }
    match c {
        c if is_invisible(c) => Folded::Drop,
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' => Folded::Char('\''),
        '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => Folded::Char('"'),
        '\u{2010}'..='\u{2015}' | '\u{2212}' => Folded::Char('-'),
        c if c.is_control() => Folded::Char(' '),
        c => Folded::Char(c),
    }
}

/// Zero-width characters, bidi marks, embeddings, overrides and isolates,
/// BOM, soft hyphen, variation selectors, tag characters, interlinear
/// annotation marks and other invisible format characters.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'
            | '\u{0891}'
            | '\u{08E2}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// A long message's first and last characters, with a sentence break
/// between them so no phrase spans the cut; a short message as it is.
pub fn head_and_tail(input: &str) -> std::borrow::Cow<'_, str> {
    if input.len() <= MAX_CLASSIFIED_CHARS || input.chars().count() <= MAX_CLASSIFIED_CHARS {
        return std::borrow::Cow::Borrowed(input);
    }
    let head = clip_chars(input, CLASSIFIED_HEAD_CHARS);
    let tail_start = input
        .char_indices()
        .rev()
        .nth(CLASSIFIED_TAIL_CHARS - 1)
        .map_or(0, |(index, _)| index);
    std::borrow::Cow::Owned(format!("{head} . {}", &input[tail_start..]))
}

/// The Latin letter a Cyrillic or Greek letter is drawn like, so that a word
/// typed with look-alikes ("dеlеtе" with Cyrillic "е") reads as the word it
/// shows.
fn latin_look_alike(c: char) -> Option<char> {
    Some(match c {
        'а' | 'А' | 'α' | 'Α' => 'a',
        'в' | 'В' | 'β' | 'Β' => 'b',
        'с' | 'С' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ё' | 'Ё' | 'ε' | 'Ε' => 'e',
        'һ' | 'Н' | 'Η' => 'h',
        'і' | 'І' | 'ι' | 'Ι' | 'ӏ' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'κ' | 'Κ' => 'k',
        'м' | 'М' | 'Μ' => 'm',
        'п' | 'η' | 'Ν' => 'n',
        'о' | 'О' | 'ο' | 'Ο' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' | 'Ѕ' => 's',
        'т' | 'Т' | 'τ' | 'Τ' => 't',
        'υ' | 'μ' => 'u',
        'ν' | 'ѵ' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'Х' | 'χ' | 'Χ' => 'x',
        'у' | 'У' | 'γ' | 'Υ' => 'y',
        'Ζ' => 'z',
        _ => return None,
    })
}

/// Text as it may be stored and sent on (to AWS Support, to Discord):
/// control and format characters removed (NUL, escapes, bidirectional
/// overrides); a one-line text (`multiline` false) has its line breaks and
/// tabs turned into spaces, a multi-line one keeps line breaks and tabs.
pub fn printable(s: &str, multiline: bool) -> std::borrow::Cow<'_, str> {
    let unwanted = |c: char| (c.is_control() && !(multiline && matches!(c, '\n' | '\t'))) || is_invisible(c);
    let line_break = |c: char| matches!(c, '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' | '\u{85}');
    if !s
        .chars()
        .any(|c| unwanted(c) || line_break(c) && (!multiline || !matches!(c, '\n' | '\t')))
    {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .filter_map(|c| match c {
                c if line_break(c) && !multiline => Some(' '),
                '\r' => None,
                '\u{2028}' | '\u{2029}' | '\u{85}' => Some('\n'),
                c if unwanted(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// A file's name without its path: without control or invisible characters
/// (so on one line), at most `max`
/// characters (a long name keeps its extension), "file" when nothing (or
/// only `.`/`..`) is left. AWS's attachments and Discord's uploads both
/// take names this way.
pub fn file_base_name(name: &str, max: usize) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let one_line: String = base.chars().filter(|c| !c.is_control() && !is_invisible(*c)).collect();
    let trimmed = one_line.trim();
    if trimmed.is_empty() || trimmed == "." || trimmed == ".." {
        return "file".to_owned();
    }
    if trimmed.chars().count() <= max {
        return trimmed.to_owned();
    }
    let extension = trimmed
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| e.chars().count() <= 10)
        .unwrap_or("");
    if extension.is_empty() {
        return trimmed.chars().take(max).collect();
    }
    let stem: String = trimmed.chars().take(max - extension.chars().count() - 1).collect();
    format!("{stem}.{extension}")
}

/// A file's size for people: "812 B", "14.2 KB", "4.8 MB" (units of 1,000,
/// as AWS states its limits).
pub fn file_size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// The longest prefix of `s` with at most `max` characters.
pub fn clip_chars(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    match s.char_indices().nth(max) {
        Some((byte_index, _)) => &s[..byte_index],
        None => s,
    }
}

/// Replaces `<@id>`, `<@!id>` and `<@&id>` with `@someone` and `<#id>` with a
/// space. Everything else, including a lone `<`, is kept as typed.
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
                out.push_str(if candidate.as_bytes()[1] == b'@' {
                    " @someone "
                } else {
                    " "
                });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sizes_read_as_people_write_them() {
        assert_eq!(file_size(812), "812 B");
        assert_eq!(file_size(14_200), "14.2 KB");
        assert_eq!(file_size(5_000_000), "5.0 MB");
        assert_eq!(file_size(7_250_000), "7.2 MB");
    }

    /// `count` pseudo-random byte strings shorter than `max_len`: lower-case
    /// letters, with one byte in four drawn from `alphabet` (the bytes the
    /// code under test must notice).
    fn random_texts(seed: u64, count: usize, max_len: u64, alphabet: &[u8]) -> impl Iterator<Item = Vec<u8>> {
        let mut state = seed;
        (0..count).map(move |_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % max_len) as usize;
            (0..len)
                .map(|i| {
                    let pick = state.rotate_left(i as u32 * 5) as usize;
                    if pick.is_multiple_of(4) {
                        alphabet[pick / 4 % alphabet.len()]
                    } else {
                        b'a' + (pick % 26) as u8
                    }
                })
                .collect()
        })
    }

    #[test]
    fn the_word_at_a_time_spacing_check_agrees_with_a_byte_at_a_time_one() {
        fn slow(bytes: &[u8]) -> bool {
            bytes.first() != Some(&b' ')
                && bytes.last() != Some(&b' ')
                && bytes.iter().all(|b| *b >= b' ' && *b != 0x7f)
                && !bytes.windows(2).any(|w| w == b"  ")
        }
        let alphabet = [b'a', b' ', b' ', b'\t', b'\n', 0x1f, 0x7f, b'~', b'!', 0x00];
        for text in random_texts(0x9E37_79B9_7F4A_7C15, 50_000, 24, &alphabet) {
            assert_eq!(is_single_spaced(&text), slow(&text), "{text:?}");
        }
    }

    #[test]
    fn folded_form_is_recognized_eight_bytes_at_a_time_as_one_at_a_time() {
        fn slow(bytes: &[u8]) -> bool {
            bytes.first() != Some(&b' ')
                && bytes.last() != Some(&b' ')
                && bytes
                    .iter()
                    .all(|b| (b' '..0x7f).contains(b) && !b.is_ascii_uppercase() && *b != b'<')
                && !bytes.windows(2).any(|w| w == b"  ")
        }
        let alphabet = [
            b' ', b' ', b'\t', 0x1f, 0x7f, 0x80, 0xc3, b'<', b'@', b'A', b'Z', b'[', b'`', b'a', b'z', b'{',
        ];
        for text in random_texts(0x2545_F491_4F6C_DD1D, 100_000, 30, &alphabet) {
            assert_eq!(is_folded_ascii(&text), slow(&text), "{text:?}");
        }
    }

    #[test]
    fn folded_text_is_borrowed_and_the_rest_is_folded() {
        assert!(matches!(
            normalized("is patching in scope?"),
            std::borrow::Cow::Borrowed(_)
        ));
        for text in [
            "Is patching in scope?",
            "is  patching",
            " is",
            "is\tit",
            "<@123> hi",
            "café",
        ] {
            assert!(matches!(normalized(text), std::borrow::Cow::Owned(_)), "{text:?}");
        }
    }

    #[test]
    fn printable_text_has_no_control_or_direction_characters() {
        assert!(matches!(printable("plain text", false), std::borrow::Cow::Borrowed(_)));
        assert_eq!(printable("a\0b\u{1b}c\u{202e}d\u{feff}", false), "abcd");
        assert_eq!(printable("line one\r\nline\ttwo", false), "line one  line two");
        assert_eq!(printable("line one\r\nline\ttwo\0", true), "line one\nline\ttwo");
        assert_eq!(
            printable("A\u{2028}B\u{2029}C\u{61C}D\u{2060}E\u{E0041}F\u{AD}G\u{FFF9}H", false),
            "A B CDEFGH"
        );
        assert_eq!(printable("one\u{2028}two", true), "one\ntwo");
        assert_eq!(printable("A\u{1D173}B\u{1BCA0}C\u{600}D\u{13430}E", false), "ABCDE");
        assert!(matches!(
            printable("multi\nline\ttext", true),
            std::borrow::Cow::Borrowed(_)
        ));
    }

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
    fn normalizing_marks_mentions_of_people_and_drops_channel_mentions() {
        assert_eq!(
            normalize("<@123> is <#45> a <b> <@&9>x"),
            "@someone is a <b> @someone x"
        );
        assert_eq!(normalize("a < b <@> <@x>"), "a < b <@> <@x>");
    }

    #[test]
    fn single_spaced_ascii_is_only_lower_cased_and_anything_else_is_folded() {
        assert_eq!(normalize("Is IAM In Scope?"), "is iam in scope?");
        assert_eq!(normalize(" a  b\tc\r\nd "), "a b c d");
        assert_eq!(normalize("a\u{7f}b"), "a b");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn look_alike_letters_accents_and_invisible_hyphens_read_as_the_word_shown() {
        assert_eq!(normalize("d\u{0435}l\u{0435}t\u{0435} the bill"), "delete the bill");
        assert_eq!(normalize("d\u{0336}e\u{0336}l\u{0336}ete"), "delete");
        assert_eq!(normalize("de\u{00AD}lete"), "delete");
        assert_eq!(normalize("cuánto llevamos"), "cuanto llevamos");
    }

    #[test]
    fn normalizing_maps_typographic_quotes() {
        assert_eq!(normalize("what\u{2019}s the bill"), "what's the bill");
    }

    #[test]
    fn normalizing_keeps_the_start_and_end_of_very_long_messages() {
        let long = format!("is patching in scope {} where is the agent log", "x ".repeat(20_000));
        let normalized = normalize(&long);
        assert!(normalized.chars().count() <= MAX_CLASSIFIED_CHARS + 3);
        assert!(normalized.starts_with("is patching in scope"));
        assert!(normalized.ends_with("where is the agent log"));
        assert!(normalized.contains(" . "));
    }

    #[test]
    fn clipping_respects_character_boundaries() {
        assert_eq!(clip_chars("ééé", 2), "éé");
        assert_eq!(clip_chars("ab", 5), "ab");
    }
}
