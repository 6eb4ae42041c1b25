//! Pulling the details of an intent out of free text: ticket numbers, account
//! ids, AWS regions, severities and escalation subjects. They run only for
//! the intent that needs them; the ones every ticket or escalation needs are
//! plain scans (a regular expression with captures costs microseconds).

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::{TicketFilter, TicketRequest};
use crate::domain::{AccountId, Severity};
use crate::language::tokens::REGION_DIRECTIONS;

static ESCALATION_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)^\s*(?:please\s+)?(?:(?:escalate|escalation)\s*[:\-]\s*|(?:i\s+(?:want|need|would\s+like)\s+to\s+|can\s+you\s+|could\s+you\s+|let'?s\s+)?(?:open|raise|create|file|log|submit|start)\s+(?:a|an|the|new)?\s*(?:[\w-]+\s+){0,3}?(?:case|ticket|escalation|incident)(?:\s+with\s+(?:aws|amazon))?(?:\s*[:,\-]\s*|\s+(?:about|for|because|on|regarding)\s+)?)").expect("valid regex")
});

/// A byte of a word, as `\b` in an ASCII regular expression sees it.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether a word starts at `at` (nothing of a word just before it).
fn word_starts(bytes: &[u8], at: usize) -> bool {
    at == 0 || !is_word_byte(bytes[at - 1])
}

/// Whether a word ends at `at` (nothing of a word just after it).
fn word_ends(bytes: &[u8], at: usize) -> bool {
    bytes.get(at).is_none_or(|b| !is_word_byte(*b))
}

fn skip_spaces(bytes: &[u8], mut at: usize) -> usize {
    while bytes
        .get(at)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
    {
        at += 1;
    }
    at
}

/// `1..=max` digits at `at` ending a word: their value.
fn number_at(bytes: &[u8], at: usize, max: usize) -> Option<i64> {
    let digits = bytes[at.min(bytes.len())..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > max || !word_ends(bytes, at + digits) {
        return None;
    }
    std::str::from_utf8(&bytes[at..at + digits]).ok()?.parse().ok()
}

fn starts_with_ignoring_case(bytes: &[u8], at: usize, word: &str) -> bool {
    bytes
        .get(at..at + word.len())
        .is_some_and(|here| here.eq_ignore_ascii_case(word.as_bytes()))
}

/// The ticket number a message refers to ("ticket 42", "#42", "case no. 7",
/// "tickets number 9"): the first such phrase wins.
pub fn ticket_number(text: &str) -> Option<i64> {
    const MAX_DIGITS: usize = 12;
    let bytes = text.as_bytes();
    if !bytes.iter().any(u8::is_ascii_digit) {
        return None;
    }
    for at in 0..bytes.len() {
        if bytes[at] == b'#' {
            if let Some(number) = number_at(bytes, at + 1, MAX_DIGITS) {
                return Some(number);
            }
            continue;
        }
        if !word_starts(bytes, at) {
            continue;
        }
        let Some(word) = ["ticket", "case", "escalation"]
            .into_iter()
            .find(|word| starts_with_ignoring_case(bytes, at, word))
        else {
            continue;
        };
        let mut after = vec![at + word.len()];
        if bytes
            .get(at + word.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(&b's'))
        {
            after.push(at + word.len() + 1);
        }
        for end in after {
            let spaced = skip_spaces(bytes, end);
            // What may stand between the word and the number, in the order
            // they are tried: "#", "no", "no.", "number", or nothing.
            let mut starts = Vec::with_capacity(4);
            if bytes.get(spaced) == Some(&b'#') {
                starts.push(spaced + 1);
            }
            if starts_with_ignoring_case(bytes, spaced, "no") {
                starts.push(skip_spaces(bytes, spaced + 2));
                if bytes.get(spaced + 2) == Some(&b'.') {
                    starts.push(skip_spaces(bytes, spaced + 3));
                }
            }
            if starts_with_ignoring_case(bytes, spaced, "number") {
                starts.push(skip_spaces(bytes, spaced + 6));
            }
            starts.push(spaced);
            if let Some(number) = starts.into_iter().find_map(|start| number_at(bytes, start, MAX_DIGITS)) {
                return Some(number);
            }
        }
    }
    None
}

/// Which tickets a list question asks for.
pub fn ticket_filter(normalized: &str) -> TicketFilter {
    if normalized.contains("all ") && (normalized.contains("tickets") || normalized.contains("cases")) {
        TicketFilter::All
    } else if ["open", "pending", "outstanding", "unresolved", "active"]
        .iter()
        .any(|w| normalized.contains(w))
    {
        TicketFilter::Open
    } else {
        TicketFilter::Mine
    }
}

/// What a message wants done with a ticket it names: resolved, reopened,
/// approved, or (by default) shown. Notes need the slash command, which
/// carries the note's text as its own option.
pub fn ticket_action(normalized: &str, id: i64) -> TicketRequest {
    let text = normalized.strip_prefix("please ").unwrap_or(normalized);
    let starts = |words: &[&str]| words.iter().any(|w| text.starts_with(w));
    if starts(&["reopen", "re-open"]) {
        TicketRequest::Reopen { id, note: None }
    } else if starts(&["resolve", "close"]) {
        TicketRequest::Resolve { id, note: None }
    } else if starts(&["approve"]) {
        TicketRequest::Approve { id }
    } else {
        TicketRequest::Show { id }
    }
}

/// A 12-digit account id, with or without dashes (`1234-5678-9012`): the
/// first one standing as a word of its own.
pub fn account_id(text: &str) -> Option<AccountId> {
    let bytes = text.as_bytes();
    let digits_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .is_some_and(|four| four.iter().all(u8::is_ascii_digit))
    };
    (0..bytes.len())
        .filter(|&at| bytes[at].is_ascii_digit() && word_starts(bytes, at))
        .find_map(|start| {
            let mut at = start;
            for group in 0..3 {
                if group > 0 && bytes.get(at) == Some(&b'-') {
                    at += 1;
                }
                if !digits_at(at) {
                    return None;
                }
                at += 4;
            }
            word_ends(bytes, at).then(|| text[start..at].parse().ok()).flatten()
        })
}

/// An AWS region code such as `us-east-1`.
pub fn aws_region(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len())
        .filter(|at| word_starts(bytes, *at))
        .find_map(|at| region_end(bytes, at).map(|end| text[at..end].to_ascii_lowercase()))
}

/// The two letters an AWS region code starts with.
const REGION_AREAS: [&[u8; 2]; 9] = [b"us", b"eu", b"ap", b"sa", b"ca", b"me", b"af", b"il", b"mx"];

/// Where the region code starting at `at` ends (area, `-gov` for
/// GovCloud, direction, number: `us-gov-west-1`), in any case, as a whole
/// word.
fn region_end(bytes: &[u8], at: usize) -> Option<usize> {
    let has = |at: usize, expected: &[u8]| {
        bytes
            .get(at..at + expected.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(expected))
    };
    let mut i = at + REGION_AREAS.iter().find(|area| has(at, &area[..]))?.len();
    if has(i, b"-gov") {
        i += 4;
    }
    if !has(i, b"-") {
        return None;
    }
    i += 1;
    i += REGION_DIRECTIONS
        .iter()
        .find(|direction| has(i, direction.as_bytes()) && has(i + direction.len(), b"-"))?
        .len()
        + 1;
    (bytes.get(i).is_some_and(u8::is_ascii_digit) && word_ends(bytes, i + 1)).then_some(i + 1)
}

/// Whether the whole text is an AWS region code.
pub fn is_aws_region(text: &str) -> bool {
    aws_region(text).is_some_and(|r| r.len() == text.len())
}

/// The words that set or imply a severity, in groups; one pass over a
/// message finds every group it names.
#[rustfmt::skip]
const SEVERITY_WORDS: [&[&str]; 7] = [
    // 0: critical, said outright
    &["critical", "sev1", "sev 1", "p1", "business-critical", "business critical"],
    // 1: urgent, said outright
    &["urgent", "sev2", "sev 2", "p2"],
    // 2: high, said outright
    &["high severity", "high priority", "high-severity", "high-priority", "sev3", "sev 3"],
    // 3: low, said outright
    &["low severity", "low priority", "low-priority", "no rush", "whenever", "general question"],
    // 4: the whole business is hit
    &["whole site", "entire site", "whole business", "everything is down", "all customers", "all our customers",
      "production is down", "prod is down", "whole platform"],
    // 5: something is down
    &["down", "outage", "offline", "unreachable", "not resolving", "502", "503", "500", "every request", "all requests"],
    // 6: something is impaired
    &["impaired", "degraded", "slow", "intermittent", "timing out", "time out", "times out", "stuck", "failing", "errors"],
];

/// Every severity word, with its group, searched for in one pass.
static SEVERITY: LazyLock<(AhoCorasick, Vec<usize>)> = LazyLock::new(|| {
    let mut patterns = Vec::new();
    let mut groups = Vec::new();
    for (group, words) in SEVERITY_WORDS.iter().enumerate() {
        for word in *words {
            patterns.push(*word);
            groups.push(group);
        }
    }
    (AhoCorasick::new(patterns).expect("valid severity words"), groups)
});

/// A severity named or implied by the words of a problem report: an explicit
/// level wins; "down"/"outage" mean urgent, or critical when the whole business
/// is hit; "impaired"/"degraded"/"slow" mean high.
pub fn severity(normalized: &str) -> Option<Severity> {
    let (set, groups) = &*SEVERITY;
    let mut named = [false; SEVERITY_WORDS.len()];
    let bytes = normalized.as_bytes();
    for found in set.find_overlapping_iter(normalized) {
        // Whole words only: "down" is not in "download".
        if word_starts(bytes, found.start()) && word_ends(bytes, found.end()) {
            named[groups[found.pattern().as_usize()]] = true;
        }
    }
    if named[0] {
        Some(Severity::Critical)
    } else if named[1] {
        Some(Severity::Urgent)
    } else if named[2] {
        Some(Severity::High)
    } else if named[3] {
        Some(Severity::Low)
    } else if named[4] && named[5] {
        Some(Severity::Critical)
    } else if named[5] {
        Some(Severity::Urgent)
    } else if named[6] {
        Some(Severity::High)
    } else {
        None
    }
}

/// The problem, with "open an escalation:" and similar openings removed, so
/// "escalate: our RDS database is down" gives "our RDS database is down".
pub fn escalation_problem(text: &str) -> String {
    let trimmed = text.trim();
    // "open a ticket" alone leaves no problem at all.
    let problem = match ESCALATION_PREFIX.find(trimmed) {
        Some(prefix) => trimmed[prefix.end()..].trim(),
        None => trimmed,
    };
    problem
        .trim_matches(|c: char| c == ',' || c == ':' || c == '-' || c.is_whitespace())
        .to_owned()
}

/// How long a subject may be, in characters.
const SUBJECT_CHARS: usize = 100;

/// A one-line subject from a problem description: its first sentence, at most
/// 100 characters, cut at a word boundary (a single longer word is cut).
pub fn subject_from(problem: &str) -> Option<String> {
    let first = first_sentence(problem)?;
    let mut subject = String::with_capacity(first.len().min(SUBJECT_CHARS * 4));
    let mut chars = 0;
    for word in first.split_whitespace() {
        let space = usize::from(!subject.is_empty());
        let word_chars = if word.is_ascii() {
            word.len()
        } else {
            word.chars().count()
        };
        if chars + space + word_chars > SUBJECT_CHARS {
            if subject.is_empty() {
                subject.extend(word.chars().take(SUBJECT_CHARS - 1));
            }
            subject.push('…');
            break;
        }
        if space == 1 {
            subject.push(' ');
        }
        subject.push_str(word);
        chars += space + word_chars;
    }
    let head = subject.chars().next()?;
    if head.is_ascii() {
        subject[..1].make_ascii_uppercase();
        return Some(subject);
    }
    let mut capitalized: String = head.to_uppercase().collect();
    capitalized.push_str(&subject[head.len_utf8()..]);
    Some(capitalized)
}

/// The first sentence of a text that has a letter or digit in it. A
/// sentence ends at a line break, `!`, `?`, or a `.` before a space or the
/// end: "t3.medium" and "app.example.com" do not end one.
fn first_sentence(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let says_something = |piece: &str| piece.chars().any(char::is_alphanumeric);
    let mut start = 0;
    for (at, byte) in bytes.iter().enumerate() {
        let ends = match byte {
            b'\n' | b'!' | b'?' => true,
            b'.' => bytes.get(at + 1).is_none_or(u8::is_ascii_whitespace),
            _ => false,
        };
        if ends {
            let piece = text[start..at].trim().trim_end_matches('.');
            if says_something(piece) {
                return Some(piece);
            }
            start = at + 1;
        }
    }
    let piece = text[start..].trim().trim_end_matches('.');
    says_something(piece).then_some(piece)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_are_found_as_the_regular_expression_they_replaced_finds_them() {
        let regex = Regex::new(r"(?i-u)\b((?:us|eu|ap|sa|ca|me|af|il|mx)(?:-gov)?-(?:east|west|north|south|central|northeast|southeast|northwest|southwest)-\d)\b").unwrap();
        let pieces = [
            "us",
            "US",
            "eu",
            "Ap",
            "xx",
            "-",
            "-gov",
            "-GOV",
            "east",
            "northeast",
            "north",
            "central",
            "-1",
            "2",
            "12",
            "_",
            " ",
            ".",
            "a",
            "é",
            "?",
            "west-",
            "us-east-1",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..50_000 {
            let mut text = String::new();
            for _ in 0..(state % 9) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(pieces[(state >> 20) as usize % pieces.len()]);
            }
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let expected = regex.captures(&text).map(|c| c[1].to_ascii_lowercase());
            assert_eq!(aws_region(&text), expected, "{text:?}");
        }
    }

    #[test]
    fn ticket_numbers_are_found_in_common_phrasings() {
        assert_eq!(ticket_number("show ticket 7"), Some(7));
        assert_eq!(ticket_number("has ticket #12 been updated?"), Some(12));
        assert_eq!(ticket_number("what's the status of case no. 42"), Some(42));
        assert_eq!(ticket_number("any news on #9?"), Some(9));
        assert_eq!(ticket_number("what tickets are open?"), None);
        assert_eq!(ticket_number("Tickets number 31 and 32"), Some(31));
        assert_eq!(ticket_number("case nothing 5, see #6"), Some(6));
        assert_eq!(ticket_number("case no 8"), Some(8));
        assert_eq!(ticket_number("showcase 5"), None);
        assert_eq!(ticket_number("ticket 1234567890123"), None);
        assert_eq!(ticket_number("ticket 12a"), None);
    }

    #[test]
    fn ticket_actions_need_an_imperative_opening() {
        assert_eq!(
            ticket_action("close ticket 4", 4),
            TicketRequest::Resolve { id: 4, note: None }
        );
        assert_eq!(
            ticket_action("please reopen ticket 4", 4),
            TicketRequest::Reopen { id: 4, note: None }
        );
        assert_eq!(ticket_action("approve ticket 4", 4), TicketRequest::Approve { id: 4 });
        assert_eq!(
            ticket_action("is ticket 4 resolved yet?", 4),
            TicketRequest::Show { id: 4 }
        );
    }

    #[test]
    fn ticket_filters_follow_the_words_used() {
        assert_eq!(ticket_filter("what tickets are still open?"), TicketFilter::Open);
        assert_eq!(ticket_filter("list all tickets"), TicketFilter::All);
        assert_eq!(ticket_filter("list my tickets"), TicketFilter::Mine);
    }

    #[test]
    fn account_ids_and_regions_are_found() {
        assert_eq!(
            account_id("how much is account 210987654321 costing").unwrap().as_str(),
            "210987654321"
        );
        assert_eq!(account_id("account 2109-8765-4321").unwrap().as_str(), "210987654321");
        assert_eq!(account_id("call 1-888-638-6771"), None);
        assert_eq!(account_id("ids 1234567890123 and x210987654321"), None);
        assert_eq!(account_id("(2109-87654321)").unwrap().as_str(), "210987654321");
        assert_eq!(
            aws_region("is there an outage in US-East-1?").as_deref(),
            Some("us-east-1")
        );
        assert_eq!(aws_region("any problems in europe?"), None);
    }

    #[test]
    fn severity_is_inferred_from_the_words() {
        let cases = [
            (
                "raise a critical case, the whole site is down",
                Some(Severity::Critical),
            ),
            ("our whole site is down", Some(Severity::Critical)),
            ("i want to raise an urgent ticket", Some(Severity::Urgent)),
            (
                "our load balancer is returning 502 for every request",
                Some(Severity::Urgent),
            ),
            ("our rds database is down", Some(Severity::Urgent)),
            ("open a high severity support case", Some(Severity::High)),
            ("lambda functions time out since the deploy", Some(Severity::High)),
            ("create an escalation for the failed account setup", None),
            ("the download page", None),
            ("the business-critical api is slow", Some(Severity::Critical)),
            ("sev 2: checkout errors", Some(Severity::Urgent)),
        ];
        for (text, expected) in cases {
            assert_eq!(severity(text), expected, "{text}");
        }
    }

    #[test]
    fn escalation_openings_are_removed_from_the_problem() {
        assert_eq!(
            escalation_problem("escalate: our load balancer is returning 502"),
            "our load balancer is returning 502"
        );
        assert_eq!(
            escalation_problem("open an escalation: our RDS database is down"),
            "our RDS database is down"
        );
        assert_eq!(
            escalation_problem("please open a case with AWS about our EBS volume stuck in attaching"),
            "our EBS volume stuck in attaching"
        );
        assert_eq!(
            escalation_problem("I want to raise an urgent ticket, Route 53 is not resolving our domain"),
            "Route 53 is not resolving our domain"
        );
        assert_eq!(escalation_problem("open a ticket"), "");
        assert_eq!(
            escalation_problem("our site is down, escalate"),
            "our site is down, escalate"
        );
    }

    #[test]
    fn subjects_are_one_short_capitalized_line() {
        assert_eq!(
            subject_from("our RDS database is down. Since 10:00").as_deref(),
            Some("Our RDS database is down")
        );
        let long = "word ".repeat(60);
        let subject = subject_from(&long).unwrap();
        assert!(subject.chars().count() <= 101 && subject.ends_with('…'));
        assert_eq!(subject_from("  ...  "), None);
    }

    #[test]
    fn a_dot_inside_a_word_does_not_end_the_subject() {
        assert_eq!(
            subject_from("our t3.medium instance is down").as_deref(),
            Some("Our t3.medium instance is down")
        );
        assert_eq!(
            subject_from("app.example.com is down for everyone. Since 9").as_deref(),
            Some("App.example.com is down for everyone")
        );
        assert_eq!(subject_from("db is down... since 10").as_deref(), Some("Db is down"));
    }

    #[test]
    fn a_first_word_longer_than_a_subject_is_cut() {
        let word = "x".repeat(120);
        let subject = subject_from(&format!("{word} is down")).unwrap();
        assert_eq!(subject.chars().count(), SUBJECT_CHARS);
        assert!(subject.starts_with("Xxx") && subject.ends_with('…'));
        let exact = "y".repeat(SUBJECT_CHARS);
        assert_eq!(subject_from(&exact).unwrap().chars().count(), SUBJECT_CHARS);
    }
}
