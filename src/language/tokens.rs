//! Splitting a normalized message into tokens: words, the things worth
//! recognizing whatever their digits (AWS account ids, ticket references,
//! regions, amounts of money, file paths, e-mail addresses, resource ids,
//! people mentioned) and the punctuation that ends a sentence or asks.
//!
//! The input is text already folded by `text::normalize` (lower case, one
//! space between words). Nothing here allocates except for words typed with
//! an apostrophe ("what's" reads as "whats", as most people type it anyway).

use std::borrow::Cow;

/// Things recognized by their shape rather than their spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Special {
    /// A 12-digit AWS account id, with or without dashes.
    AccountId,
    /// `#123`.
    TicketRef,
    /// An AWS region code such as `us-east-1`.
    Region,
    /// A number of four digits or more that is not an account id.
    Number,
    /// A currency sign.
    Money,
    /// A file path or log file (`/var/log/...`, `agent.log`).
    Path,
    /// An e-mail address.
    Email,
    /// An AWS resource id such as `i-0a7f3c91be22d4410`.
    ResourceId,
    /// Someone mentioned with `@` (not the bot: adapters remove its mention).
    Person,
}

impl Special {
    pub const ALL: [Special; 9] = [
        Special::AccountId,
        Special::TicketRef,
        Special::Region,
        Special::Number,
        Special::Money,
        Special::Path,
        Special::Email,
        Special::ResourceId,
        Special::Person,
    ];

    /// How the special appears in vocabularies and in the intent model.
    pub fn name(self) -> &'static str {
        match self {
            Special::AccountId => "<account>",
            Special::TicketRef => "<ticket>",
            Special::Region => "<region>",
            Special::Number => "<number>",
            Special::Money => "<money>",
            Special::Path => "<path>",
            Special::Email => "<email>",
            Special::ResourceId => "<resource>",
            Special::Person => "<person>",
        }
    }

    pub fn from_name(name: &str) -> Option<Special> {
        Special::ALL.into_iter().find(|s| s.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token<'a> {
    /// Letters and digits; may still hold `-`, `&` or `_` between parts
    /// ("sign-up", "t&c"), which the lexicon joins or splits.
    Word(Cow<'a, str>),
    Special(Special),
    /// A comma: words on either side are not one phrase.
    Comma,
    /// `.`, `!`, `;` or `:` ending a sentence or clause.
    SentenceEnd,
    /// `?`.
    QuestionMark,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Bytes that may join two parts of one word when a letter or digit follows.
fn is_joiner(b: u8) -> bool {
    matches!(b, b'-' | b'.' | b'/' | b'\'' | b'_' | b'&' | b'@')
}

/// Calls `emit` with each token of `normalized`, in order.
pub fn tokenize<'a>(normalized: &'a str, mut emit: impl FnMut(Token<'a>)) {
    let mut i = 0;
    while i < normalized.len() {
        i = token_at(normalized, i, &mut emit);
    }
}

/// Emits the token starting at byte `i` of `normalized` (or the tokens of
/// one run, such as the parts of "ci/cd"), if any, and returns where the
/// next one may start. `i` must be the start of a character.
pub fn token_at<'a>(normalized: &'a str, mut i: usize, emit: &mut impl FnMut(Token<'a>)) -> usize {
    let bytes = normalized.as_bytes();
    let b = bytes[i];
    // The common cases first: a space, or a word of letters.
    if b == b' ' {
        return i + 1;
    }
    if b.is_ascii_lowercase() {
        return word_at(normalized, i, emit);
    }
    match b {
        b'?' => {
            emit(Token::QuestionMark);
            i += 1;
        }
        b'.' | b'!' | b';' | b':' => {
            emit(Token::SentenceEnd);
            i += 1;
        }
        b',' => {
            emit(Token::Comma);
            i += 1;
        }
        b'$' => {
            emit(Token::Special(Special::Money));
            i += 1;
        }
        b'#' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
            i += 1;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            emit(Token::Special(Special::TicketRef));
        }
        // "phone #" means "phone number".
        b'#' => {
            emit(Token::Word(Cow::Borrowed("number")));
            i += 1;
        }
        b'@' if bytes.get(i + 1).copied().is_some_and(is_word_byte) => {
            let start = i;
            i += 1;
            while bytes
                .get(i)
                .copied()
                .is_some_and(|b| is_word_byte(b) || b == b'_' || b == b'.')
            {
                i += 1;
            }
            // "@everyone" and "@here" call on the whole channel, the desk
            // included: no one in particular is asked.
            if !matches!(&normalized[start..i], "@everyone" | "@here") {
                emit(Token::Special(Special::Person));
            }
        }
        _ if b >= 0x80 && normalized[i..].starts_with(['€', '£']) => {
            emit(Token::Special(Special::Money));
            i += normalized[i..].chars().next().map_or(1, char::len_utf8);
        }
        b'/' if bytes.get(i + 1).copied().is_some_and(is_word_byte) => {
            let start = i;
            (i, _) = run_end(bytes, i + 1);
            classify_run(&normalized[start..i], emit);
        }
        _ if is_word_byte(b) => i = word_at(normalized, i, emit),
        // An ASCII byte that starts no token.
        _ => i += 1,
    }
    i
}

/// The longest word [`plain_word_end`] reads.
pub const PLAIN_WORD_MAX: usize = 16;

/// Where a plain word starting at `i` ends: one to sixteen ASCII lower-case
/// letters that are the whole run (followed by a space, the end of the text,
/// `?`, `!`, `,`, `;`, `:` or a `.` that ends a sentence). Nearly every word
/// is one; `None` sends the others to [`token_at`].
#[inline]
pub fn plain_word_end(bytes: &[u8], i: usize) -> Option<usize> {
    let mut end = lowercase_end(bytes, i);
    while bytes.get(end).is_some_and(u8::is_ascii_lowercase) {
        end += 1;
    }
    if end == i || end - i > PLAIN_WORD_MAX {
        return None;
    }
    match bytes.get(end) {
        None | Some(b' ' | b'?' | b'!' | b',' | b';' | b':') => Some(end),
        Some(b'.') if !bytes.get(end + 1).copied().is_some_and(is_word_byte) => Some(end),
        Some(_) => None,
    }
}

/// Emits the word (or special) starting at `start`; returns where it ends.
fn word_at<'a>(normalized: &'a str, start: usize, emit: &mut impl FnMut(Token<'a>)) -> usize {
    let (end, plain) = run_end(normalized.as_bytes(), start);
    if plain {
        emit(Token::Word(Cow::Borrowed(&normalized[start..end])));
    } else {
        classify_run(&normalized[start..end], emit);
    }
    end
}

/// The end of a run of word bytes joined by joiners, starting at `i`, and
/// whether the run is a plain word (letters only). A lone letter before a
/// slash keeps it ("w/", "b/c").
fn run_end(bytes: &[u8], start: usize) -> (usize, bool) {
    let mut i = lowercase_end(bytes, start);
    let mut plain = true;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_lowercase() || b >= 0x80 {
            i += 1;
        } else if b.is_ascii_alphanumeric() {
            plain = false;
            i += 1;
        } else if (is_joiner(b) || (b == b',' && i > start && bytes[i - 1].is_ascii_digit()))
            && bytes
                .get(i + 1)
                .copied()
                .is_some_and(|next| is_word_byte(next) && (b != b',' || next.is_ascii_digit()))
        {
            // "sign-up", "what's", "t3.medium", "4,200"
            plain = false;
            i += 1;
        } else if b == b'/' && i - start == 1 {
            plain = false;
            i += 1;
            break;
        } else {
            break;
        }
    }
    (i, plain && i > start)
}

/// Where the ASCII lower-case letters from `i` on end, looking at eight
/// bytes at a time (most words end in the first eight); the last few bytes
/// of the text are left to the caller's loop.
#[inline]
fn lowercase_end(bytes: &[u8], mut i: usize) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const SEVEN_BITS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let low = x & SEVEN_BITS;
        // Per byte, no carries: the high bit says `>= b'a'`, `> b'z'`.
        let from_a = low + 0x1f1f_1f1f_1f1f_1f1f;
        let past_z = low + 0x0505_0505_0505_0505;
        let letters = from_a & !past_z & !x & HIGH;
        let others = !letters & HIGH;
        if others != 0 {
            return i + (others.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i
}

/// What a run is made of, found in one pass.
#[derive(Default)]
struct Shape {
    digits: usize,
    letters: usize,
    at: bool,
    slash: bool,
    backslash: bool,
    dot: bool,
    comma: bool,
    dash: bool,
    apostrophe: bool,
}

impl Shape {
    fn of(run: &str) -> Self {
        let mut shape = Shape::default();
        for b in run.bytes() {
            match b {
                b'0'..=b'9' => shape.digits += 1,
                b'a'..=b'z' => shape.letters += 1,
                b'@' => shape.at = true,
                b'/' => shape.slash = true,
                b'\\' => shape.backslash = true,
                b'.' => shape.dot = true,
                b',' => shape.comma = true,
                b'-' => shape.dash = true,
                b'\'' => shape.apostrophe = true,
                _ => {}
            }
        }
        shape
    }
}

fn classify_run<'a>(run: &'a str, emit: &mut impl FnMut(Token<'a>)) {
    let shape = Shape::of(run);
    if let Some(special) = special_of(run, &shape) {
        emit(Token::Special(special));
        return;
    }
    // "w/", "b/c" and "24/7" are words of their own; other slashes separate
    // words ("ci/cd", "s3/cloudfront").
    if shape.slash && !(run.len() <= 4 && run.len() >= 2) {
        for part in run.split('/').filter(|p| !p.is_empty()) {
            classify_run(part, emit);
        }
        return;
    }
    if shape.dot || shape.comma {
        for part in run.split(['.', ',']).filter(|p| !p.is_empty()) {
            classify_run(part, emit);
        }
        return;
    }
    if shape.digits == run.len() {
        // Short numbers stay words: "tier 1", "24/7", "error 500".
        emit(if shape.digits <= 3 {
            Token::Word(Cow::Borrowed(run))
        } else {
            Token::Special(Special::Number)
        });
        return;
    }
    if shape.apostrophe {
        emit(Token::Word(Cow::Owned(run.replace('\'', ""))));
    } else {
        emit(Token::Word(Cow::Borrowed(run)));
    }
}

/// A run recognized by its shape.
fn special_of(run: &str, shape: &Shape) -> Option<Special> {
    if shape.at {
        return Some(Special::Email);
    }
    if run.starts_with('/') || shape.backslash || (shape.dot && run.contains(".log")) {
        return Some(Special::Path);
    }
    let separators = run.len() - shape.digits;
    let only_digits_and =
        |allowed: &[u8]| separators == 0 || run.bytes().all(|b| b.is_ascii_digit() || allowed.contains(&b));
    if shape.digits == 12 && only_digits_and(b"-") {
        return Some(Special::AccountId);
    }
    if shape.digits >= 4 && only_digits_and(b"-,.") {
        return Some(Special::Number);
    }
    if shape.dash && is_region(run) {
        return Some(Special::Region);
    }
    if shape.dash && shape.digits > 0 && is_resource_id(run) {
        return Some(Special::ResourceId);
    }
    None
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`.
/// The direction in the middle of an AWS region code (`us-east-1`).
pub const REGION_DIRECTIONS: [&str; 9] = [
    "east",
    "west",
    "north",
    "south",
    "central",
    "northeast",
    "southeast",
    "northwest",
    "southwest",
];

pub fn is_region(run: &str) -> bool {
    let mut parts = run.split('-');
    let Some(area) = parts.next() else { return false };
    if area.len() != 2 || !area.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    let mut direction = parts.next();
    if direction == Some("gov") {
        direction = parts.next();
    }
    let Some(direction) = direction else { return false };
    if !REGION_DIRECTIONS.contains(&direction) {
        return false;
    }
    let number = parts.next();
    parts.next().is_none() && number.is_some_and(|n| n.len() == 1 && n.as_bytes()[0].is_ascii_digit())
}

/// `i-0a7f3c91be22d4410`, `vol-049df61146c4d7901`, `sg-0123abcd`: a short
/// prefix, a dash, and eight or more hexadecimal digits with a digit among
/// them.
fn is_resource_id(run: &str) -> bool {
    let Some((prefix, id)) = run.split_once('-') else {
        return false;
    };
    (1..=6).contains(&prefix.len())
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && id.len() >= 8
        && id.bytes().all(|b| b.is_ascii_hexdigit())
        && id.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        tokenize(text, |t| {
            out.push(match t {
                Token::Word(w) => w.into_owned(),
                Token::Special(s) => s.name().to_owned(),
                Token::Comma => ",".to_owned(),
                Token::SentenceEnd => ".".to_owned(),
                Token::QuestionMark => "?".to_owned(),
            })
        });
        out
    }

    #[test]
    fn words_and_punctuation_are_separated() {
        assert_eq!(tokens("is iam in scope?"), ["is", "iam", "in", "scope", "?"]);
        assert_eq!(
            tokens("hello team, our db. help!"),
            ["hello", "team", ",", "our", "db", ".", "help", "."]
        );
    }

    #[test]
    fn apostrophes_are_dropped_as_people_type_them() {
        assert_eq!(tokens("what's the bill"), ["whats", "the", "bill"]);
        assert_eq!(tokens("don't"), ["dont"]);
    }

    #[test]
    fn account_ids_ticket_references_and_regions_are_recognized() {
        assert_eq!(tokens("acct 1234-5678-9012"), ["acct", "<account>"]);
        assert_eq!(tokens("acct 123456789012"), ["acct", "<account>"]);
        assert_eq!(tokens("any news on #4512"), ["any", "news", "on", "<ticket>"]);
        assert_eq!(tokens("is us-east-1 ok"), ["is", "<region>", "ok"]);
        assert_eq!(tokens("us-gov-west-1"), ["<region>"]);
    }

    #[test]
    fn money_paths_emails_and_resource_ids_are_recognized() {
        assert_eq!(tokens("$4,200 charge"), ["<money>", "<number>", "charge"]);
        assert_eq!(tokens("€300"), ["<money>", "300"]);
        assert_eq!(
            tokens("see /var/log/elasticbox/elasticbox-agent.log now"),
            ["see", "<path>", "now"]
        );
        assert_eq!(tokens("the elasticbox-agent.log"), ["the", "<path>"]);
        assert_eq!(tokens("mail incident@centurylink.com"), ["mail", "<email>"]);
        assert_eq!(tokens("i-0a7f3c91be22d4410 stuck"), ["<resource>", "stuck"]);
        assert_eq!(tokens("@maria can u"), ["<person>", "can", "u"]);
    }

    #[test]
    fn short_numbers_stay_words_and_long_ones_do_not() {
        assert_eq!(tokens("tier 1 and 24/7"), ["tier", "1", "and", "24/7"]);
        assert_eq!(tokens("call 1-888-638-6771"), ["call", "<number>"]);
        assert_eq!(tokens("error 500"), ["error", "500"]);
    }

    #[test]
    fn hyphens_and_slashes_keep_or_split_words() {
        assert_eq!(tokens("sign-up w/ cam"), ["sign-up", "w/", "cam"]);
        assert_eq!(tokens("ci/cd pipeline"), ["ci", "cd", "pipeline"]);
        assert_eq!(tokens("t3.medium"), ["t3", "medium"]);
        assert_eq!(tokens("phone # for us"), ["phone", "number", "for", "us"]);
    }

    #[test]
    fn a_call_on_the_whole_channel_is_no_person() {
        assert_eq!(tokens("@everyone is iam in scope?"), tokens("is iam in scope?"));
        assert_eq!(tokens("@here help"), tokens("help"));
        assert_eq!(tokens("@maria help"), ["<person>", "help"]);
    }

    #[test]
    fn non_ascii_letters_are_part_of_words() {
        assert_eq!(tokens("olá equipe"), ["olá", "equipe"]);
    }

    #[test]
    fn the_eight_byte_letter_scan_ends_where_a_byte_by_byte_scan_ends() {
        let alphabet = [
            b'a', b'z', b'm', b'`', b'{', b'A', b'Z', b'0', b' ', b'-', 0x7f, 0x80, 0xc3, 0xff,
        ];
        let mut text = [b'a'; 19];
        for seed in 0u64..20_000 {
            let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for byte in text.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly letters, as in words.
                *byte = if state % 3 == 0 {
                    alphabet[(state >> 8) as usize % alphabet.len()]
                } else {
                    b'a' + (state >> 16) as u8 % 26
                };
            }
            for start in 0..text.len() {
                let slow = (start..text.len())
                    .find(|i| !text[*i].is_ascii_lowercase())
                    .unwrap_or(text.len());
                let fast = lowercase_end(&text, start);
                // The scan may stop early on the last bytes, never late.
                assert!(
                    fast <= slow && (fast == slow || text.len() - fast < 8),
                    "{text:?} from {start}"
                );
            }
        }
    }
}
