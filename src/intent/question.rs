//! What counts as a question or request to the bot, decided on the words of
//! a message (after abbreviations are expanded: "u" is "you", "pls" is
//! "please"). A message *asks* when any of its sentences:
//!
//! 1. ends with a question mark;
//! 2. opens, after greetings and names of the bot or the team ("hi team,",
//!    "hey support", "bot,"), with an interrogative (what, how, who, where,
//!    when, why, which, whose, whom), with an auxiliary verb that starts a
//!    yes/no question (is, are, do, does, can, could, would, will, should,
//!    has, have...) unless "not" follows it ("can't log in" is a complaint),
//!    or with "any" ("any news on #45");
//! 3. opens with a request: "please", "need", "want", "i need", "we'd like",
//!    "looking for", "wondering", "let me know", "tell me"...;
//! 4. opens with an imperative verb from the bot's work ("open a case",
//!    "list my tickets", "forecast the bill", "restart nginx");
//!
//! or when "please" appears anywhere, or an auxiliary followed by "you" or
//! someone called on ("..., can you check", "..., can someone look",
//! "..., does anyone know"). Anything else is a statement.
//!
//! A message is *to others* when it calls on people rather than the bot:
//! "anyone", "someone", "everyone", "folks", "y'all", or an @-mention of a
//! person; only the @-mention says for sure that it is meant for someone
//! else ("can someone look at our bill" in a support channel is meant for
//! the desk).

use crate::language::Lexicon;
use crate::language::lexicon::{QUESTION_MARK, SENTENCE_END, StemId, is_word};
use crate::language::tokens::Special;

/// The form of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Question,
    Request,
    Statement,
}

/// How a message is put, and to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    pub form: Form,
    /// It calls on other people ("anyone", "@maria").
    pub to_others: bool,
    /// It mentions a person ("@maria"): meant for them, not the desk.
    pub to_a_person: bool,
}

impl Address {
    /// A question or a request, as opposed to a statement.
    pub fn asks(&self) -> bool {
        self.form != Form::Statement
    }
}

/// Words a sentence may open with before what it asks: greetings, the names
/// people give the bot or the team, and fillers.
const OPENERS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "heya",
    "hiya",
    "yo",
    "dear",
    "team",
    "guys",
    "all",
    "bot",
    "platform",
    "desk",
    "platform-desk",
    "support",
    "morning",
    "good",
    "afternoon",
    "evening",
    "ok",
    "okay",
    "so",
    "also",
    "btw",
    "and",
    "but",
    "sorry",
    "quick",
    "question",
    "hmm",
    "well",
    "namaste",
    "hola",
    "bonjour",
    "hallo",
    "guten",
    "tag",
    "konnichiwa",
    "there",
    "again",
    "one",
    "more",
    "thing",
    "then",
    "now",
    "ah",
    "oh",
    "folks",
];

const INTERROGATIVES: &[&str] = &["what", "how", "who", "where", "when", "why", "which", "whose", "whom"];

const AUXILIARIES: &[&str] = &[
    "is", "are", "am", "was", "were", "do", "does", "did", "can", "could", "would", "will", "should", "shall", "may",
    "might", "has", "have", "had", "any",
];

/// Openings of a request: a word, or a subject and a word ("i need").
const REQUESTS: &[&str] = &[
    "please",
    "need",
    "want",
    "like",
    "looking",
    "wondering",
    "wonder",
    "require",
    "requesting",
    "request",
    "let",
    "tell",
    "show",
    "give",
    "send",
    "help",
    "mind",
];

const SUBJECTS: &[&str] = &["i", "we", "id", "my", "our"];

/// Verbs people use to tell the bot what to do.
const IMPERATIVES: &[&str] = &[
    "open",
    "raise",
    "create",
    "file",
    "log",
    "lodge",
    "submit",
    "escalate",
    "list",
    "check",
    "get",
    "pull",
    "share",
    "estimate",
    "forecast",
    "project",
    "predict",
    "explain",
    "close",
    "resolve",
    "reopen",
    "approve",
    "review",
    "fix",
    "restart",
    "reboot",
    "patch",
    "install",
    "update",
    "upgrade",
    "delete",
    "remove",
    "add",
    "grant",
    "set",
    "setup",
    "configure",
    "deploy",
    "redeploy",
    "migrate",
    "build",
    "write",
    "run",
    "rdp",
    "ssh",
    "tune",
    "monitor",
    "watch",
    "find",
    "look",
    "investigate",
    "call",
    "contact",
    "confirm",
    "break",
    "reset",
    "enable",
    "provide",
    "apply",
    "terminate",
    "resize",
    "change",
    "move",
    "make",
    "draft",
    "do",
    "report",
    "assign",
    "ping",
    "page",
    "kick",
    "push",
    "loop",
    "clean",
    "stop",
    "start",
    "shut",
    "tear",
    "rebuild",
    "re-architect",
    "rearchitect",
    "predict",
    "calculate",
    "compute",
    "sum",
    "total",
    "breakdown",
    "compare",
];

/// Words in a request that make it one for the bot anywhere in a message.
const POLITE: &[&str] = &["please"];
const YOU: &[&str] = &["you"];

const OTHERS: &[&str] = &[
    "anyone",
    "anybody",
    "someone",
    "somebody",
    "everyone",
    "everybody",
    "folks",
    "yall",
];

/// The question words, resolved to stems of one lexicon.
#[derive(Debug, Clone)]
pub struct QuestionWords {
    /// Bit flags per stem id (see the constants below), so that a word's
    /// part in a question is one load.
    flags: Vec<u16>,
    not: Option<StemId>,
    person: StemId,
}

const OPENER: u16 = 1;
const INTERROGATIVE: u16 = 1 << 1;
const AUXILIARY: u16 = 1 << 2;
const REQUEST: u16 = 1 << 3;
const SUBJECT: u16 = 1 << 4;
const IMPERATIVE: u16 = 1 << 5;
const POLITENESS: u16 = 1 << 6;
const OTHER_PEOPLE: u16 = 1 << 7;
/// Whom an auxiliary asks when it comes before them: "you", "someone".
const ASKED: u16 = 1 << 8;
/// "to", as in "need someone to".
const TO: u16 = 1 << 9;
/// Someone mentioned with `@`.
const PERSON: u16 = 1 << 10;

impl QuestionWords {
    /// Every word the definition uses, for the lexicon to learn.
    pub fn vocabulary() -> impl Iterator<Item = &'static str> {
        [
            OPENERS,
            INTERROGATIVES,
            AUXILIARIES,
            REQUESTS,
            SUBJECTS,
            IMPERATIVES,
            POLITE,
            YOU,
            OTHERS,
            &["not", "to"],
        ]
        .into_iter()
        .flatten()
        .copied()
    }

    /// The question words of `lexicon`, with `work_verbs` (the policy's
    /// hands-on verbs) also read as imperatives.
    pub fn new(lexicon: &Lexicon, work_verbs: &[StemId]) -> Self {
        let mut flags = vec![0u16; lexicon.stem_count()];
        for verb in work_verbs {
            if let Some(flag) = flags.get_mut(*verb as usize) {
                *flag |= IMPERATIVE;
            }
        }
        let mut mark = |words: &[&str], flag: u16| {
            for word in words {
                for id in lexicon.stems_of(word) {
                    flags[id as usize] |= flag;
                }
            }
        };
        mark(OPENERS, OPENER);
        mark(INTERROGATIVES, INTERROGATIVE);
        mark(AUXILIARIES, AUXILIARY);
        mark(REQUESTS, REQUEST);
        mark(SUBJECTS, SUBJECT);
        mark(IMPERATIVES, IMPERATIVE);
        mark(POLITE, POLITENESS);
        mark(OTHERS, OTHER_PEOPLE);
        mark(YOU, ASKED);
        mark(OTHERS, ASKED);
        if let Some(to) = lexicon.stems_of("to").first() {
            flags[*to as usize] |= TO;
        }
        let person = lexicon.special(Special::Person);
        flags[person as usize] |= PERSON;
        Self {
            flags,
            not: lexicon.stems_of("not").first().copied(),
            person,
        }
    }

    /// A greeting, a name for the bot or the team, or a filler that a
    /// sentence may open with.
    pub fn is_opener(&self, id: StemId) -> bool {
        self.has(id, OPENER) || id == self.person
    }

    fn has(&self, id: StemId, flag: u16) -> bool {
        self.flags_of(id) & flag != 0
    }

    /// The flags of a word; none for a break or an unknown word.
    #[inline]
    fn flags_of(&self, id: StemId) -> u16 {
        self.flags.get(id as usize).copied().unwrap_or(0)
    }

    /// How the analyzed message `words` is put.
    pub fn address(&self, words: &[StemId]) -> Address {
        let mut form = Form::Statement;
        let mut to_others = false;
        let mut to_a_person = false;
        // The flags of the word before (none after a break).
        let mut previous = 0;
        let mut starts_sentence = true;
        for (index, &word) in words.iter().enumerate() {
            let flags = self.flags_of(word);
            if word == QUESTION_MARK {
                form = Form::Question;
            }
            to_others |= flags & (PERSON | OTHER_PEOPLE) != 0;
            to_a_person |= flags & PERSON != 0;
            if form == Form::Statement {
                if flags & POLITENESS != 0 {
                    form = Form::Request;
                } else if previous & AUXILIARY != 0 && flags & ASKED != 0 {
                    form = Form::Question;
                } else if previous & REQUEST != 0
                    && flags & ASKED != 0
                    // "..., need someone to roll out the release", "want you to"
                    && words.get(index + 1).is_some_and(|next| self.has(*next, TO))
                {
                    form = Form::Request;
                } else if starts_sentence {
                    form = self.sentence_form(&words[index..]);
                }
            }
            previous = flags;
            starts_sentence = !is_word(word);
        }
        Address {
            form,
            to_others,
            to_a_person,
        }
    }

    /// The form of the sentence starting at `sentence[0]`, from its opening.
    fn sentence_form(&self, sentence: &[StemId]) -> Form {
        let end = sentence
            .iter()
            .position(|w| *w == SENTENCE_END || *w == QUESTION_MARK)
            .unwrap_or(sentence.len());
        let sentence = &sentence[..end];
        let start = sentence
            .iter()
            .position(|w| !self.has(*w, OPENER) && *w != self.person)
            .unwrap_or(sentence.len());
        let Some(&first) = sentence.get(start) else {
            return Form::Statement;
        };
        let second = sentence.get(start + 1).copied();
        if self.has(first, INTERROGATIVE) {
            return Form::Question;
        }
        if self.has(first, AUXILIARY) {
            return if second.is_some() && second == self.not {
                Form::Statement
            } else {
                Form::Question
            };
        }
        if self.has(first, REQUEST) || self.has(first, IMPERATIVE) {
            return Form::Request;
        }
        // "anybody know if...", "anyone else seeing errors" (not "morning
        // everyone")
        if self.has(first, OTHER_PEOPLE) && second.is_some() {
            return Form::Question;
        }
        if self.has(first, SUBJECT) && second.is_some_and(|w| self.has(w, REQUEST)) {
            return Form::Request;
        }
        // "i would like", "we would need"
        if self.has(first, SUBJECT)
            && second.is_some_and(|w| self.has(w, AUXILIARY))
            && sentence.get(start + 2).is_some_and(|w| self.has(*w, REQUEST))
        {
            return Form::Request;
        }
        Form::Statement
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, PolicyMatcher};

    fn address(text: &str) -> Address {
        let policy = Policy::embedded_default().unwrap();
        let matcher = PolicyMatcher::with_words(&policy, []).unwrap();
        let words = matcher.read(&crate::text::normalize(text)).words;
        QuestionWords::new(matcher.lexicon(), matcher.work_verbs()).address(&words)
    }

    #[test]
    fn a_question_mark_makes_a_question() {
        assert_eq!(address("tier 1 support?").form, Form::Question);
        assert_eq!(address("our bill. so far?").form, Form::Question);
    }

    #[test]
    fn interrogative_and_auxiliary_openings_make_questions() {
        for text in [
            "what do we owe aws for november up to now",
            "how much did we spend",
            "is tier 1 tech support part of what we get",
            "would you tune our postgres queries",
            "any news on #4512",
            "r u guys covering patching",
            "hi team, where is the agent log",
            "hey support is aws down",
            "bot, can u list my tickets",
        ] {
            assert_eq!(address(text).form, Form::Question, "{text}");
        }
    }

    #[test]
    fn requests_and_imperatives_are_requests() {
        for text in [
            "pls send the eom estimate",
            "please open a case with aws",
            "i need the phone number for canada",
            "we would like a forecast for march",
            "open ticket: route 53 is not resolving",
            "list my open tickets",
            "forecast the bill for acct 123456789012",
            "looking for the incident email",
            "our db is down since 10. need someone on this",
            "hello team, our ec2 is stuck. please open case with aws",
            "switch off the test ec2s over the weekend",
            "kill the zombie instances, the invoice keeps growing",
        ] {
            assert_eq!(address(text).form, Form::Request, "{text}");
        }
    }

    #[test]
    fn can_you_anywhere_asks() {
        assert_eq!(address("our ec2 is stuck, can you check").form, Form::Question);
        assert_eq!(address("the new console users could u add them").form, Form::Question);
        assert_eq!(address("the site is slow, can someone look at it").form, Form::Question);
        assert_eq!(address("our bill doubled, does anyone know why").form, Form::Question);
        assert_eq!(
            address("anybody know if the s3 thing in virginia is fixed").form,
            Form::Question
        );
    }

    #[test]
    fn needing_someone_to_anywhere_requests() {
        assert_eq!(
            address("we are short staffed, need someone to roll out the release").form,
            Form::Request
        );
        assert_eq!(
            address("the bill is odd and i want you to explain it").form,
            Form::Request
        );
    }

    #[test]
    fn statements_are_neither() {
        for text in [
            "good morning everyone",
            "standup moved to 10:30",
            "lol the aws bill meeting ran long again",
            "can't log in to the console since this morning",
            "thanks, that fixed it",
            "the deploy went fine",
        ] {
            assert_eq!(address(text).form, Form::Statement, "{text}");
        }
    }

    #[test]
    fn calling_on_people_is_to_others() {
        assert!(address("anyone up for lunch").to_others);
        assert!(address("can someone review my PR").to_others);
        assert!(address("@maria can u check the bucket").to_others);
        assert!(address("<@123> can you check the bucket").to_others);
        assert!(!address("can you check the bucket").to_others);
        assert!(address("@maria can u check the bucket").to_a_person);
        assert!(!address("can someone look at our bill").to_a_person);
    }
}
