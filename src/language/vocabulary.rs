//! Vocabularies matched on stems. A term is one or more words, read through
//! the same lexicon as messages (so "configure" also finds "configured" and
//! "configuration", and "acct" finds "account"), with two additions:
//!
//! - `*` stands for up to four words in between: `restart * server` finds
//!   "restart the web server" and "restart our two prod servers";
//! - `a|b|c` is one word among several: `delete|terminate * instance`;
//! - `<region>`, `<account>`, `<money>`... stand for the specials that
//!   the tokenizer recognizes by their shape.
//!
//! A term never spans two sentences. Each term counts once per message.

use super::lexicon::{Lexicon, StemId, is_word};
use super::pairs::PairTable;
use super::tokens::Special;

/// How many words `*` may stand for.
pub const GAP_WORDS: u8 = 4;

/// A term that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    #[error("is empty")]
    Empty,
    #[error("starts or ends with `*`: a gap must stand between two words")]
    GapAtEdge,
    #[error("has two `*` in a row")]
    DoubleGap,
    #[error("has an empty alternative around `|`")]
    EmptyAlternative,
    #[error(
        "names {0}, which is not one of <account>, <ticket>, <region>, <number>, <money>, <path>, <email>, <resource>, <person>"
    )]
    UnknownSpecial(String),
    #[error("has the alternative {0:?}, which reads as more than one word")]
    AlternativeOfSeveralWords(String),
    #[error("must be lower-case ASCII (messages are folded to lower case before matching)")]
    NotLowerCase,
}

/// Checks a term's syntax, without a lexicon (policy validation uses it to
/// name the line of a bad term).
pub fn check_term(term: &str) -> Result<(), TermError> {
    if term.chars().any(|c| c.is_uppercase()) || !term.is_ascii() {
        return Err(TermError::NotLowerCase);
    }
    let pieces: Vec<&str> = term.split_whitespace().collect();
    if pieces.is_empty() {
        return Err(TermError::Empty);
    }
    if pieces.first() == Some(&"*") || pieces.last() == Some(&"*") {
        return Err(TermError::GapAtEdge);
    }
    if pieces.windows(2).any(|w| w[0] == "*" && w[1] == "*") {
        return Err(TermError::DoubleGap);
    }
    for piece in &pieces {
        if piece.contains('|') && piece.split('|').any(str::is_empty) {
            return Err(TermError::EmptyAlternative);
        }
        for alternative in piece.split('|') {
            if alternative.starts_with('<') && Special::from_name(alternative).is_none() {
                return Err(TermError::UnknownSpecial(alternative.to_owned()));
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
enum Slot {
    /// One word, any of these stems (sorted).
    Word(Vec<StemId>),
    /// Up to this many words of the same sentence.
    Gap(u8),
}

#[derive(Debug, Clone)]
struct Term<T> {
    slots: Vec<Slot>,
    target: T,
    weight: f32,
}

/// Terms compiled against one lexicon, indexed by their first word.
#[derive(Debug, Clone)]
pub struct Vocabulary<T> {
    terms: Vec<Term<T>>,
    /// Stem id `s` → the terms that start with it and whose second slot, if
    /// any, is not one given word: `starts[offsets[s]..offsets[s + 1]]`.
    offsets: Vec<u32>,
    starts: Vec<Start<T>>,
    /// Two stems → the terms that start with these two words:
    /// `pair_starts[begin..end]`. One lookup per place in a message, found
    /// or (nearly always) not.
    pairs: PairTable<(u32, u32)>,
    pair_starts: Vec<Start<T>>,
}

/// A term that may start at a word, with what its next word must be, so
/// that most candidates are settled without looking at the term itself.
///
/// A start carries its term's target and weight, so that a term of one or
/// two words is found without reading the term.
#[derive(Debug, Clone, Copy)]
struct Start<T> {
    term: u32,
    /// [`ALONE`], [`ANY`], or the one stem the next word must be.
    next: StemId,
    /// Whether more slots follow the second word.
    longer: bool,
    weight: f32,
    target: T,
}

/// The term is this one word.
const ALONE: StemId = u32::MAX;
/// The next slot is a gap or a choice: match the whole term.
const ANY: StemId = u32::MAX - 1;

impl<T: Copy + PartialEq> Vocabulary<T> {
    /// Compiles `(term, target, weight)` triples. Every word of every term
    /// must have been learned by the lexicon (see [`Lexicon::learn_text`]).
    /// Terms that read the same for the same target ("user" and "users")
    /// count once, with the higher weight.
    pub fn new<'t>(
        lexicon: &Lexicon,
        terms: impl IntoIterator<Item = (&'t str, T, f32)>,
    ) -> Result<Self, (String, TermError)> {
        let mut compiled = Vec::new();
        let mut by_first = vec![Vec::new(); lexicon.stem_count()];
        for (term, target, weight) in terms {
            let slots = compile(lexicon, term).map_err(|e| (term.to_owned(), e))?;
            if let Some(same) = compiled
                .iter_mut()
                .find(|known: &&mut Term<T>| known.target == target && known.slots == slots)
            {
                same.weight = same.weight.max(weight);
                continue;
            }
            let index = compiled.len() as u32;
            if let Some(Slot::Word(firsts)) = slots.first() {
                for first in firsts {
                    let list: &mut Vec<u32> = &mut by_first[*first as usize];
                    if !list.contains(&index) {
                        list.push(index);
                    }
                }
            }
            compiled.push(Term { slots, target, weight });
        }
        let mut offsets = Vec::with_capacity(by_first.len() + 1);
        let mut starts = Vec::new();
        // (first, next, term), in term order within each pair.
        let mut by_pair: Vec<(StemId, StemId, Start<T>)> = Vec::new();
        for (first, list) in by_first.iter().enumerate() {
            offsets.push(starts.len() as u32);
            for &term in list {
                let compiled = &compiled[term as usize];
                let start = Start {
                    term,
                    next: match compiled.slots.get(1) {
                        None => ALONE,
                        Some(Slot::Word(stems)) if stems.len() == 1 => stems[0],
                        Some(_) => ANY,
                    },
                    longer: compiled.slots.len() > 2,
                    weight: compiled.weight,
                    target: compiled.target,
                };
                match start.next {
                    ALONE | ANY => starts.push(start),
                    next => by_pair.push((first as StemId, next, start)),
                }
            }
        }
        offsets.push(starts.len() as u32);
        by_pair.sort_by_key(|(first, next, start)| (*first, *next, start.term));
        let mut pair_starts = Vec::with_capacity(by_pair.len());
        let mut ranges = Vec::new();
        for group in by_pair.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let begin = pair_starts.len() as u32;
            pair_starts.extend(group.iter().map(|(_, _, start)| *start));
            ranges.push((group[0].0, group[0].1, (begin, pair_starts.len() as u32)));
        }
        Ok(Self {
            terms: compiled,
            offsets,
            starts,
            pairs: PairTable::new(&ranges),
            pair_starts,
        })
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Calls `hit` for each term found in `words` (as analyzed by the same
    /// lexicon), once per place, in the order of their first words, with
    /// where it was found and whether this is the term's first place in the
    /// message (a term counts once; where it is may matter more than once).
    pub fn find_all(&self, words: &[StemId], mut hit: impl FnMut(T, f32, std::ops::Range<usize>, bool)) {
        let mut found = Found::new();
        for (position, &word) in words.iter().enumerate() {
            let Some(&first) = self.offsets.get(word as usize) else {
                continue;
            };
            let last = self.offsets[word as usize + 1];
            for start in &self.starts[first as usize..last as usize] {
                let end = match start.next {
                    ALONE => position + 1,
                    _ => match match_end(&self.terms[start.term as usize].slots[1..], words, position + 1) {
                        Some(end) => end,
                        None => continue,
                    },
                };
                hit(start.target, start.weight, position..end, found.insert(start.term));
            }
            let Some((begin, end)) = words.get(position + 1).and_then(|next| self.pairs.get(word, *next)) else {
                continue;
            };
            for start in &self.pair_starts[begin as usize..end as usize] {
                let end = if start.longer {
                    match match_end(&self.terms[start.term as usize].slots[2..], words, position + 2) {
                        Some(end) => end,
                        None => continue,
                    }
                } else {
                    position + 2
                };
                hit(start.target, start.weight, position..end, found.insert(start.term));
            }
        }
    }
}

impl<T: Copy + PartialEq> Vocabulary<T> {
    /// Calls `hit` once for each term found in `words`, at its first place.
    pub fn find(&self, words: &[StemId], mut hit: impl FnMut(T, f32, std::ops::Range<usize>)) {
        self.find_all(words, |target, weight, span, first| {
            if first {
                hit(target, weight, span);
            }
        });
    }
}

/// The terms already found in one message: a short list on the stack (a
/// message finds a handful), spilling to the heap for long ones, behind a
/// 64-bit filter so that a term found for the first time (nearly every
/// one) is told apart without a scan.
struct Found {
    filter: u64,
    inline: [u32; 32],
    len: usize,
    more: Vec<u32>,
}

impl Found {
    fn new() -> Self {
        Self {
            filter: 0,
            inline: [0; 32],
            len: 0,
            more: Vec::new(),
        }
    }

    /// Adds a term; false when it was already there.
    #[inline(always)]
    fn insert(&mut self, index: u32) -> bool {
        let bit = 1u64 << (index % 64);
        if self.filter & bit != 0 && self.contains(index) {
            return false;
        }
        self.filter |= bit;
        if self.len < self.inline.len() {
            self.inline[self.len] = index;
            self.len += 1;
        } else {
            self.more.push(index);
        }
        true
    }

    #[cold]
    fn contains(&self, index: u32) -> bool {
        self.inline[..self.len].contains(&index) || self.more.contains(&index)
    }
}

fn compile(lexicon: &Lexicon, term: &str) -> Result<Vec<Slot>, TermError> {
    check_term(term)?;
    let mut slots = Vec::new();
    for piece in term.split_whitespace() {
        if piece == "*" {
            slots.push(Slot::Gap(GAP_WORDS));
            continue;
        }
        if piece.contains('|') {
            let mut stems = Vec::new();
            for alternative in piece.split('|') {
                match read(lexicon, alternative).as_slice() {
                    [one] => stems.push(*one),
                    _ => return Err(TermError::AlternativeOfSeveralWords(alternative.to_owned())),
                }
            }
            stems.sort_unstable();
            stems.dedup();
            slots.push(Slot::Word(stems));
            continue;
        }
        slots.extend(read(lexicon, piece).into_iter().map(|stem| Slot::Word(vec![stem])));
    }
    match (slots.first(), slots.last()) {
        (Some(Slot::Word(_)), Some(Slot::Word(_))) => Ok(slots),
        (None, _) => Err(TermError::Empty),
        _ => Err(TermError::GapAtEdge),
    }
}

/// The stems of one piece of a term: a special, or words read as messages
/// are read (breaks and unknown words dropped).
fn read(lexicon: &Lexicon, piece: &str) -> Vec<StemId> {
    if let Some(special) = Special::from_name(piece) {
        return vec![lexicon.special(special)];
    }
    lexicon.stems_of(piece)
}

/// Where the rest of a term ends when its slots match from `position`.
fn match_end(slots: &[Slot], words: &[StemId], position: usize) -> Option<usize> {
    let Some((slot, rest)) = slots.split_first() else {
        return Some(position);
    };
    match slot {
        Slot::Word(stems) => {
            if words.get(position).is_some_and(|w| one_of(stems, *w)) {
                match_end(rest, words, position + 1)
            } else {
                None
            }
        }
        Slot::Gap(max) => {
            // A word always follows a gap (`check_term`): look for it in the
            // next few words of the sentence, and match the rest from there.
            let Some((Slot::Word(next), after)) = rest.split_first() else {
                return None;
            };
            for at in position..=position + *max as usize {
                let word = *words.get(at)?;
                if one_of(next, word)
                    && let Some(end) = match_end(after, words, at + 1)
                {
                    return Some(end);
                }
                if !is_word(word) {
                    return None;
                }
            }
            None
        }
    }
}

fn one_of(sorted: &[StemId], word: StemId) -> bool {
    if sorted.len() <= 8 {
        sorted.contains(&word)
    } else {
        sorted.binary_search(&word).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary(terms: &[&str]) -> (Lexicon, Vocabulary<usize>) {
        let mut lexicon = Lexicon::new();
        for term in terms {
            lexicon.learn_text(term);
        }
        lexicon.learn_text("the our two prod web please and a it is server");
        lexicon.finish();
        let vocabulary = Vocabulary::new(&lexicon, terms.iter().enumerate().map(|(i, t)| (*t, i, 1.0))).unwrap();
        (lexicon, vocabulary)
    }

    fn found(terms: &[&str], message: &str) -> Vec<usize> {
        let (lexicon, vocabulary) = vocabulary(terms);
        let mut words = Vec::new();
        lexicon.analyze(&crate::text::normalize(message), &mut words);
        let mut hits = Vec::new();
        vocabulary.find(&words, |target, _, _| hits.push(target));
        hits
    }

    #[test]
    fn terms_match_on_stems() {
        assert_eq!(
            found(&["configuration review"], "can you review our configs"),
            Vec::<usize>::new()
        );
        assert_eq!(found(&["review * configuration"], "can you review our configs"), [0]);
        assert_eq!(found(&["tune"], "tuning queries"), [0]);
    }

    #[test]
    fn gaps_stand_for_up_to_four_words_of_one_sentence() {
        let terms = ["restart * server"];
        assert_eq!(found(&terms, "restart the server"), [0]);
        assert_eq!(found(&terms, "restart our two prod web servers"), [0]);
        assert_eq!(
            found(&terms, "restart our two prod web please servers"),
            Vec::<usize>::new()
        );
        assert_eq!(found(&terms, "restart it. the server"), Vec::<usize>::new());
        assert_eq!(found(&terms, "restart server"), [0]);
    }

    #[test]
    fn alternatives_and_specials_match() {
        let terms = ["delete|terminate * instance", "account <account>"];
        assert_eq!(found(&terms, "please terminate the instances"), [0]);
        assert_eq!(found(&terms, "acct 1234-5678-9012"), [1]);
    }

    #[test]
    fn each_term_counts_once() {
        assert_eq!(found(&["bill"], "bill bill bill"), [0]);
    }

    #[test]
    fn terms_that_read_the_same_count_once_with_the_higher_weight() {
        let mut lexicon = Lexicon::new();
        lexicon.learn_text("user users");
        lexicon.finish();
        let vocabulary = Vocabulary::new(&lexicon, [("user", 0, 1.0), ("users", 0, 2.0), ("users", 1, 1.0)]).unwrap();
        assert_eq!(vocabulary.len(), 2);
        let mut words = Vec::new();
        lexicon.analyze("user", &mut words);
        let mut hits = Vec::new();
        vocabulary.find(&words, |target, weight, _| hits.push((target, weight)));
        assert_eq!(hits, [(0, 2.0), (1, 1.0)]);
    }

    #[test]
    fn bad_terms_are_refused_with_a_reason() {
        assert_eq!(check_term("* server"), Err(TermError::GapAtEdge));
        assert_eq!(check_term("a * * b"), Err(TermError::DoubleGap));
        assert_eq!(check_term("a||b"), Err(TermError::EmptyAlternative));
        assert_eq!(
            check_term("<acount>"),
            Err(TermError::UnknownSpecial("<acount>".into()))
        );
        assert_eq!(check_term("Server"), Err(TermError::NotLowerCase));
        assert_eq!(check_term("   "), Err(TermError::Empty));
        let mut lexicon = Lexicon::new();
        lexicon.learn_text("month to date spend");
        lexicon.finish();
        assert!(matches!(
            Vocabulary::new(&lexicon, [("mtd|spend", 0, 1.0)]),
            Err((_, TermError::AlternativeOfSeveralWords(_)))
        ));
    }
}
