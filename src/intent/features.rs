//! The features the intent model scores, extracted from a message as the
//! policy's vocabulary read it. The same extraction serves the trainer
//! (which names each feature) and the classifier (which looks up its
//! weights), so the two can never disagree.
//!
//! - every known stem (`w`), and every pair of neighbouring stems in one
//!   sentence (`b`), so "how much" and "end month" are features of their own;
//! - the first stem of each sentence (`s`), which tells "open a case" from
//!   "who opens cases";
//! - each concept of the policy named (`c`): money, the end of the month, a
//!   phone call... so words never seen in training still count when the
//!   policy's vocabulary knows them;
//! - the message's form and the scope vocabulary's evidence (`f`).

use super::question::{Address, Form, QuestionWords};
use crate::language::lexicon::{StemId, is_stem, is_word};
use crate::policy::{ITEM_THRESHOLD, Reading};

/// Features that do not depend on words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fixed {
    /// A question or request.
    Asks,
    /// A question mark.
    QuestionMark,
    /// Calls on other people.
    ToOthers,
    /// An in-scope item of the policy recognized.
    InScopeItem,
    /// An out-of-scope item of the policy recognized.
    OutOfScopeItem,
    /// Some scope vocabulary, not enough to name an item.
    ScopeWords,
    /// More than twenty words.
    Long,
}

impl Fixed {
    pub const ALL: [Fixed; 7] = [
        Fixed::Asks,
        Fixed::QuestionMark,
        Fixed::ToOthers,
        Fixed::InScopeItem,
        Fixed::OutOfScopeItem,
        Fixed::ScopeWords,
        Fixed::Long,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fixed::Asks => "asks",
            Fixed::QuestionMark => "question-mark",
            Fixed::ToOthers => "to-others",
            Fixed::InScopeItem => "in-scope-item",
            Fixed::OutOfScopeItem => "out-of-scope-item",
            Fixed::ScopeWords => "scope-words",
            Fixed::Long => "long",
        }
    }

    pub fn from_name(name: &str) -> Option<Fixed> {
        Fixed::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// One feature of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    Word(StemId),
    Pair(StemId, StemId),
    Opener(StemId),
    /// Index into the policy's concepts.
    Concept(usize),
    Fixed(Fixed),
}

const LONG_MESSAGE_WORDS: usize = 20;

/// What receives the features of a message, in order: the trainer names
/// them (any closure), the classifier adds their weights
/// ([`super::model::Scoring`], whose method is always inlined, so that the
/// scores stay in registers).
pub trait FeatureSink {
    fn feature(&mut self, feature: Feature);
}

impl<F: FnMut(Feature)> FeatureSink for F {
    #[inline(always)]
    fn feature(&mut self, feature: Feature) {
        self(feature)
    }
}

/// Gives `sink` each feature of a message, and gives it back. The greetings
/// and names a sentence opens with ("hey support,", "bot", "hi team") are
/// skipped: they say whom the message is for, not what it asks.
///
/// The sink is taken by value so that, inlined, its state (the classifier's
/// sixteen scores) lives in registers for the whole message rather than
/// behind a pointer.
#[inline(always)]
pub fn extract<S: FeatureSink>(reading: &Reading, address: Address, questions: &QuestionWords, mut sink: S) -> S {
    let mut previous: Option<StemId> = None;
    let mut sentence_start = true;
    let mut word_count = 0;
    for &word in &reading.words {
        if !is_word(word) {
            previous = None;
            sentence_start = true;
            continue;
        }
        word_count += 1;
        if sentence_start && questions.is_opener(word) {
            continue;
        }
        if is_stem(word) {
            sink.feature(Feature::Word(word));
            if let Some(before) = previous {
                sink.feature(Feature::Pair(before, word));
            }
            if sentence_start {
                sink.feature(Feature::Opener(word));
            }
            previous = Some(word);
        } else {
            previous = None;
        }
        sentence_start = false;
    }
    let mut concepts = reading.concepts;
    while concepts != 0 {
        let index = concepts.trailing_zeros() as usize;
        sink.feature(Feature::Concept(index));
        concepts &= concepts - 1;
    }
    if address.form != Form::Statement {
        sink.feature(Feature::Fixed(Fixed::Asks));
    }
    if reading.words.contains(&crate::language::lexicon::QUESTION_MARK) {
        sink.feature(Feature::Fixed(Fixed::QuestionMark));
    }
    if address.to_others {
        sink.feature(Feature::Fixed(Fixed::ToOthers));
    }
    let scope = &reading.scope;
    if scope.best_in_scope >= ITEM_THRESHOLD {
        sink.feature(Feature::Fixed(Fixed::InScopeItem));
    }
    if scope.best_out_of_scope >= ITEM_THRESHOLD {
        sink.feature(Feature::Fixed(Fixed::OutOfScopeItem));
    }
    if scope.touched() && !scope.recognized() {
        sink.feature(Feature::Fixed(Fixed::ScopeWords));
    }
    if word_count > LONG_MESSAGE_WORDS {
        sink.feature(Feature::Fixed(Fixed::Long));
    }
    sink
}
