//! How the bot reads words, for every matcher that needs to: messages become
//! tokens ([`tokens`]), words become stems with abbreviations expanded and one
//! typo forgiven ([`lexicon`]), and vocabularies of words and phrases are
//! found on those stems ([`vocabulary`]); tables keyed by two neighbouring
//! stems serve both the vocabulary and the intent model ([`pairs`]). The policy's scope vocabulary, its
//! contact regions and troubleshooting topics, the intent model's concepts
//! and its features all read text through here, so they agree on what a word
//! is.

pub mod lexicon;
pub mod pairs;
pub mod tokens;
pub mod vocabulary;

pub use lexicon::{Lexicon, StemId};
pub use vocabulary::{TermError, Vocabulary};
