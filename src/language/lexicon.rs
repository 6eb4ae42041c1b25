//! Words to stems. A word is read in this order: chat abbreviations are
//! expanded ("acct" → "account", "u" → "you", "mtd" → "month to date"); a
//! word seen before is looked up; a new word is stemmed with the Snowball
//! English stemmer (configure, configured and configuration all read as
//! "configur"); and a new word of five letters or more that is one typo
//! (a letter added, missing, changed or two swapped) away from exactly one
//! known stem reads as that stem.
//!
//! Every stem has a dense id, so the vocabularies and the intent model index
//! plain vectors by it. The lexicon is built once, from the policy's
//! vocabulary and the words the intent model was trained on, and shared.

use std::borrow::Cow;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;

use super::tokens::{Special, Token, plain_word_end, token_at, tokenize};

/// A stem's id: an index into [`Lexicon::stem`].
pub type StemId = u32;

/// A word the lexicon does not know.
pub const UNKNOWN: StemId = u32::MAX - 2;
/// The end of a sentence or clause (`.`, `!`, `;`, `:`).
pub const SENTENCE_END: StemId = u32::MAX - 1;
/// A question mark, which also ends a sentence.
pub const QUESTION_MARK: StemId = u32::MAX;

/// Whether an analyzed position is a word (known or not) rather than a break.
pub fn is_word(id: StemId) -> bool {
    id < SENTENCE_END
}

/// Whether an analyzed position is a known stem.
pub fn is_stem(id: StemId) -> bool {
    id < UNKNOWN
}

/// Words shorter than this are never corrected: too many short words are one
/// letter away from each other.
const MIN_TYPO_LEN: usize = 5;
/// A changed letter is forgiven only in words at least this long: shorter
/// real words are often one letter from another ("speed" and "spend", "cost"
/// and "cast"), while a letter missing, doubled or two swapped ("acount",
/// "accuont") is a typo at any length from [`MIN_TYPO_LEN`].
const MIN_SUBSTITUTION_LEN: usize = 7;
const MAX_TYPO_LEN: usize = 24;

/// Chat abbreviations and contractions typed without their apostrophe, and
/// what they stand for.
#[rustfmt::skip]
pub const ABBREVIATIONS: &[(&str, &str)] = &[
    ("u", "you"), ("ya", "you"), ("yu", "you"), ("ur", "your"), ("yr", "your"), ("r", "are"),
    ("pls", "please"), ("plz", "please"), ("plse", "please"), ("pleae", "please"), ("kindly", "please"),
    ("thx", "thanks"), ("thnx", "thanks"), ("tnx", "thanks"), ("thanx", "thanks"), ("ty", "thank you"),
    ("acct", "account"), ("accts", "accounts"), ("acc", "account"), ("accs", "accounts"),
    ("accnt", "account"), ("acnt", "account"),
    ("mtd", "month to date"), ("ytd", "year to date"), ("eom", "end of month"), ("eod", "end of day"),
    ("rn", "right now"), ("atm", "at the moment"), ("asap", "as soon as possible"),
    ("db", "database"), ("dbs", "databases"), ("prod", "production"), ("k8s", "kubernetes"),
    ("w/", "with"), ("b/c", "because"), ("bc", "because"), ("cuz", "because"), ("coz", "because"),
    ("idk", "i do not know"), ("dunno", "do not know"), ("wat", "what"), ("wot", "what"),
    ("whats", "what is"), ("whos", "who is"), ("wheres", "where is"), ("hows", "how is"),
    ("thats", "that is"), ("theres", "there is"), ("im", "i am"), ("ive", "i have"),
    ("youre", "you are"), ("weve", "we have"), ("dont", "do not"), ("doesnt", "does not"),
    ("didnt", "did not"), ("cant", "can not"), ("cannot", "can not"), ("wont", "will not"),
    ("isnt", "is not"), ("arent", "are not"), ("wasnt", "was not"), ("havent", "have not"),
    ("wanna", "want to"), ("gonna", "going to"), ("gotta", "got to"), ("lemme", "let me"),
    ("gimme", "give me"), ("kinda", "kind of"), ("sorta", "sort of"),
    ("cud", "could"), ("wud", "would"), ("shud", "should"),
    ("tkt", "ticket"), ("tkts", "tickets"), ("tix", "tickets"), ("num", "number"), ("nr", "number"),
    ("info", "information"), ("infos", "information"), ("config", "configuration"), ("cfg", "configuration"),
    ("configs", "configurations"), ("env", "environment"), ("envs", "environments"),
    ("mgmt", "management"), ("mgr", "manager"), ("msg", "message"), ("perms", "permissions"),
    ("perm", "permission"), ("q", "question"), ("qs", "questions"), ("abt", "about"), ("bout", "about"),
    ("thru", "through"), ("tho", "though"), ("ppl", "people"), ("sth", "something"), ("smth", "something"),
    ("b4", "before"), ("2day", "today"), ("tmrw", "tomorrow"), ("wknd", "weekend"),
    ("mo", "month"), ("mth", "month"), ("mnth", "month"), ("dept", "department"),
    ("est", "estimate"), ("proj", "projected"), ("fcst", "forecast"), ("sev", "severity"),
    ("svc", "service"), ("svcs", "services"), ("amzn", "amazon"), ("e-mail", "email"),
    ("re-open", "reopen"), ("set-up", "setup"), ("appr", "approve"),
    ("vol", "volume"), ("vols", "volumes"), ("sg", "security group"), ("sgs", "security groups"),
    ("tf", "terraform"), ("cf", "cloudformation"), ("lb", "load balancer"),
];

/// What a surface word reads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Stem(StemId),
    /// An abbreviation: an index into `Lexicon::expansions`.
    Expansion(u32),
}

/// A key of one to sixteen bytes, read as integers: up to eight bytes in
/// `low` (zero beyond the key), longer keys as their first and last eight
/// bytes (overlapping), with the length, which makes the reading unique.
/// Building one is a couple of loads, not a copy. Keys never hold a zero
/// byte (those go to the map's ordinary hash map), so that a short key is
/// told by `low` alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Key {
    low: u64,
    high: u64,
    len: u32,
}

impl Key {
    fn of(text: &str) -> Option<Key> {
        if text.contains('\0') {
            return None;
        }
        Key::at(text.as_bytes(), 0, text.len())
    }

    /// The key of the `len` bytes of `bytes` from `start` (which hold no
    /// zero byte): up to eight bytes in `low`, up to sixteen as the first
    /// and the last eight. Two loads from the message itself, except in its
    /// last eight bytes.
    #[inline(always)]
    fn at(bytes: &[u8], start: usize, len: usize) -> Option<Key> {
        let load8 = |at: usize| match bytes.get(at..at + 8) {
            Some(eight) => u64::from_le_bytes(eight.try_into().expect("eight bytes")),
            None => {
                let mut padded = [0u8; 8];
                let rest = &bytes[at..];
                padded[..rest.len()].copy_from_slice(rest);
                u64::from_le_bytes(padded)
            }
        };
        let (low, high) = match len {
            0 => return None,
            1..=7 => (load8(start) & ((1u64 << (8 * len)) - 1), 0),
            8 => (load8(start), 0),
            9..=16 => (load8(start), load8(start + len - 8)),
            _ => return None,
        };
        Some(Key {
            low,
            high,
            len: len as u32,
        })
    }

    fn is_short(&self) -> bool {
        self.len <= 8
    }
}

/// What an open-addressing table is keyed by: a key that is never zero
/// ([`Default`] marks an empty slot), with its hash.
trait SlotKey: Copy + Eq + Default {
    fn hash(&self) -> u64;
}

/// A key of up to eight bytes, zero-padded.
impl SlotKey for u64 {
    #[inline(always)]
    fn hash(&self) -> u64 {
        self.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

impl SlotKey for Key {
    #[inline(always)]
    fn hash(&self) -> u64 {
        (self.low ^ self.high.rotate_left(29) ^ u64::from(self.len)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// Open addressing with linear probing, each slot holding its key and value
/// side by side and the table at most half full: a lookup, found or not,
/// nearly always reads one cache line.
struct Table<K, V> {
    /// The capacity is a power of two.
    slots: Vec<(K, Option<V>)>,
    used: usize,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            used: 0,
        }
    }
}

impl<K: SlotKey, V> Table<K, V> {
    #[inline(always)]
    fn slot(&self, key: K) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut index = (key.hash() >> (64 - self.slots.len().trailing_zeros())) as usize;
        loop {
            let here = self.slots[index].0;
            if here == key {
                return Some(index);
            }
            if here == K::default() {
                return None;
            }
            index = (index + 1) & mask;
        }
    }

    #[inline(always)]
    fn get(&self, key: K) -> Option<&V> {
        self.slot(key).and_then(|i| self.slots[i].1.as_ref())
    }

    fn get_mut(&mut self, key: K) -> Option<&mut V> {
        self.slot(key).and_then(|i| self.slots[i].1.as_mut())
    }

    /// Inserts or replaces; true when the key is new.
    fn insert(&mut self, key: K, value: V) -> bool {
        if let Some(index) = self.slot(key) {
            self.slots[index].1 = Some(value);
            return false;
        }
        if (self.used + 1) * 2 > self.slots.len() {
            self.grow();
        }
        self.place(key, Some(value));
        self.used += 1;
        true
    }

    fn place(&mut self, key: K, value: Option<V>) {
        let mask = self.slots.len() - 1;
        let mut index = (key.hash() >> (64 - self.slots.len().trailing_zeros())) as usize;
        while self.slots[index].0 != K::default() {
            index = (index + 1) & mask;
        }
        self.slots[index] = (key, value);
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, (0..capacity).map(|_| (K::default(), None)).collect());
        for (key, value) in old {
            if key != K::default() {
                self.place(key, value);
            }
        }
    }
}

/// A map keyed by short strings, built for lookups: keys of up to eight
/// bytes (most words) in a table of one integer per key, keys of up to
/// sixteen in a table of [`Key`]s, longer ones in an ordinary hash map.
struct PackedMap<V> {
    short: Table<u64, V>,
    medium: Table<Key, V>,
    long: FxHashMap<Box<str>, V>,
    /// Every short and medium key's text, for iteration.
    texts: Vec<Box<str>>,
}

impl<V> Default for PackedMap<V> {
    fn default() -> Self {
        Self {
            short: Table::default(),
            medium: Table::default(),
            long: FxHashMap::default(),
            texts: Vec::new(),
        }
    }
}

impl<V> PackedMap<V> {
    #[inline(always)]
    fn get_key(&self, key: &Key) -> Option<&V> {
        if key.is_short() {
            self.short.get(key.low)
        } else {
            self.medium.get(*key)
        }
    }

    fn get(&self, text: &str) -> Option<&V> {
        match Key::of(text) {
            Some(key) => self.get_key(&key),
            None => self.long.get(text),
        }
    }

    fn get_mut(&mut self, text: &str) -> Option<&mut V> {
        match Key::of(text) {
            Some(key) if key.is_short() => self.short.get_mut(key.low),
            Some(key) => self.medium.get_mut(key),
            None => self.long.get_mut(text),
        }
    }

    fn contains_key(&self, text: &str) -> bool {
        self.get(text).is_some()
    }

    fn insert(&mut self, text: &str, value: V) {
        let fresh = match Key::of(text) {
            Some(key) if key.is_short() => self.short.insert(key.low, value),
            Some(key) => self.medium.insert(key, value),
            None => {
                self.long.insert(text.into(), value);
                return;
            }
        };
        if fresh {
            self.texts.push(text.into());
        }
    }

    fn len(&self) -> usize {
        self.short.used + self.medium.used + self.long.len()
    }

    fn clear(&mut self) {
        *self = Self::default();
    }

    /// Every key and value, in no particular order.
    fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        let short = self
            .texts
            .iter()
            .filter_map(|text| self.get(text).map(|value| (&**text, value)));
        let long = self.long.iter().map(|(key, value)| (&**key, value));
        short.chain(long)
    }
}

/// The lexicon: known words and stems, the stemmer, and the index that
/// forgives one typo.
pub struct Lexicon {
    stemmer: Stemmer,
    /// Every surface word seen, and every abbreviation, in one map so that a
    /// word costs one lookup.
    words: PackedMap<Entry>,
    stems: Vec<Box<str>>,
    stem_ids: PackedMap<StemId>,
    /// A known word with one letter deleted → the known words it came from
    /// (indexes into `typo_words`).
    deletions: PackedMap<Vec<u32>>,
    typo_words: Vec<(Box<str>, StemId)>,
    /// What abbreviations stand for (see [`Entry::Expansion`]).
    expansions: Vec<Box<[StemId]>>,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("words", &self.words.len())
            .field("stems", &self.stems.len())
            .finish()
    }
}

impl Default for Lexicon {
    fn default() -> Self {
        Self::new()
    }
}

impl Lexicon {
    /// An empty lexicon knowing only the specials (`<account>`, `<region>`...).
    pub fn new() -> Self {
        let mut lexicon = Self {
            stemmer: Stemmer::create(Algorithm::English),
            words: PackedMap::default(),
            stems: Vec::new(),
            stem_ids: PackedMap::default(),
            deletions: PackedMap::default(),
            typo_words: Vec::new(),
            expansions: Vec::new(),
        };
        for special in Special::ALL {
            lexicon.intern_stem(special.name());
        }
        // What the abbreviations stand for is always known.
        for (abbreviation, expansion) in ABBREVIATIONS {
            let mut stems = Vec::new();
            for word in expansion.split(' ') {
                lexicon.learn_word(word);
                if let Some(Entry::Stem(id)) = lexicon.words.get(word) {
                    stems.push(*id);
                }
            }
            let index = lexicon.expansions.len() as u32;
            lexicon.expansions.push(stems.into_boxed_slice());
            lexicon.words.insert(abbreviation, Entry::Expansion(index));
        }
        lexicon
    }

    /// The id of a special token.
    pub fn special(&self, special: Special) -> StemId {
        Special::ALL
            .iter()
            .position(|s| *s == special)
            .expect("every special is interned") as StemId
    }

    pub fn stem(&self, id: StemId) -> &str {
        &self.stems[id as usize]
    }

    pub fn stem_id(&self, stem: &str) -> Option<StemId> {
        self.stem_ids.get(stem).copied()
    }

    pub fn stem_count(&self) -> usize {
        self.stems.len()
    }

    /// The stem of one word as the Snowball stemmer gives it.
    pub fn stem_of<'a>(&self, word: &'a str) -> Cow<'a, str> {
        self.stemmer.stem(word)
    }

    /// Surface words known (not abbreviations), with their stems, sorted.
    pub fn words(&self) -> Vec<(String, StemId)> {
        let mut words: Vec<(String, StemId)> = self
            .words
            .iter()
            .filter_map(|(w, entry)| match entry {
                Entry::Stem(id) => Some((w.to_owned(), *id)),
                Entry::Expansion(_) => None,
            })
            .collect();
        words.sort();
        words
    }

    fn intern_stem(&mut self, stem: &str) -> StemId {
        if let Some(id) = self.stem_ids.get(stem) {
            return *id;
        }
        let id = self.stems.len() as StemId;
        assert!(id < UNKNOWN, "too many stems");
        self.stems.push(stem.into());
        self.stem_ids.insert(stem, id);
        id
    }

    /// Learns every word of a text, so that later analyses know them.
    /// Call [`Self::finish`] after the last one.
    pub fn learn_text(&mut self, text: &str) {
        let normalized = crate::text::normalize(text);
        let mut words: Vec<String> = Vec::new();
        tokenize(&normalized, |token| {
            if let Token::Word(word) = token {
                words.push(word.into_owned());
            }
        });
        for word in words {
            self.learn_word(&word);
        }
    }

    /// Learns a surface word given with its stem (as the intent model lists
    /// the words it was trained on).
    pub fn learn_word_with_stem(&mut self, word: &str, stem: &str) {
        let id = self.intern_stem(stem);
        if !self.words.contains_key(word) {
            self.words.insert(word, Entry::Stem(id));
        }
    }

    fn learn_word(&mut self, word: &str) {
        if self.words.contains_key(word) {
            return;
        }
        if word.contains(['-', '&', '_', '/']) {
            let joined: String = word.chars().filter(|c| !matches!(c, '-' | '&' | '_' | '/')).collect();
            if self.words.contains_key(joined.as_str()) {
                return;
            }
            for part in word.split(['-', '&', '_', '/']).filter(|p| !p.is_empty()) {
                self.learn_word(part);
            }
            return;
        }
        let stem = self.stemmer.stem(word).into_owned();
        let id = self.intern_stem(&stem);
        self.words.insert(word, Entry::Stem(id));
    }

    /// Learns the words of a corpus, most frequent first, and reads a rare
    /// word one typo away from a word at least three times as frequent as
    /// that word ("biling" as "billing"), so that typos in the corpus do not
    /// become words of their own. Words the lexicon already knows (the
    /// policy's vocabulary) count as frequent.
    pub fn learn_corpus<'t>(&mut self, texts: impl IntoIterator<Item = &'t str>) {
        const KNOWN_WORD_COUNT: usize = 10;
        let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for text in texts {
            let normalized = crate::text::normalize(text);
            tokenize(&normalized, |token| {
                if let Token::Word(word) = token {
                    *counts.entry(word.into_owned()).or_default() += 1;
                }
            });
        }
        let mut by_stem: Vec<usize> = vec![KNOWN_WORD_COUNT; self.stem_count()];
        let mut words: Vec<(String, usize)> = counts.into_iter().collect();
        words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        self.finish();
        for (word, count) in words {
            if self.words.contains_key(&word) {
                continue;
            }
            if let Some(stem) = self.corrected(&word)
                && by_stem
                    .get(stem as usize)
                    .is_some_and(|frequent| *frequent >= 3 * count)
            {
                self.words.insert(&word, Entry::Stem(stem));
                continue;
            }
            self.learn_word(&word);
            let mut ids = Vec::new();
            self.push_known(&word, &mut ids);
            for id in ids {
                if by_stem.len() <= id as usize {
                    by_stem.resize(id as usize + 1, 0);
                }
                by_stem[id as usize] += count;
                if typo_candidate(&word) {
                    self.index_typo_word(&word, id);
                }
            }
        }
    }

    /// Builds the typo index over the words learned so far.
    pub fn finish(&mut self) {
        self.typo_words.clear();
        self.deletions.clear();
        let words: Vec<(String, StemId)> = self.words().into_iter().filter(|(w, _)| typo_candidate(w)).collect();
        for (word, id) in words {
            self.index_typo_word(&word, id);
        }
    }

    fn index_typo_word(&mut self, word: &str, id: StemId) {
        let index = self.typo_words.len() as u32;
        self.typo_words.push((word.into(), id));
        let mut buffer = [0u8; MAX_TYPO_LEN];
        for skip in 0..word.len() {
            let deleted = delete_at(word, skip, &mut buffer);
            match self.deletions.get_mut(deleted) {
                Some(entry) if !entry.contains(&index) => entry.push(index),
                Some(_) => {}
                None => self.deletions.insert(deleted, vec![index]),
            }
        }
    }

    /// The known stems of a word or phrase (folded first; breaks and words
    /// the lexicon does not know dropped): how vocabularies and word lists
    /// are read.
    pub fn stems_of(&self, text: &str) -> Vec<StemId> {
        let mut ids = Vec::new();
        self.analyze(&crate::text::normalize(text), &mut ids);
        ids.retain(|id| is_stem(*id));
        ids
    }

    /// Reads a normalized message into stem ids, with [`UNKNOWN`] for words
    /// the lexicon cannot place and [`SENTENCE_END`] / [`QUESTION_MARK`] for
    /// the breaks. Commas are dropped.
    pub fn analyze(&self, normalized: &str, out: &mut Vec<StemId>) {
        let bytes = normalized.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // Nearly every word is plain letters: read it and look it up in
            // one go, straight from the message's bytes.
            if bytes[i].is_ascii_lowercase()
                && let Some(end) = plain_word_end(bytes, i)
            {
                let key = Key::at(bytes, i, end - i).expect("one to sixteen letters");
                if !self.push_entry(self.words.get_key(&key), out) {
                    self.analyze_unknown(&normalized[i..end], out);
                }
                // The space between two words, without a round through `token_at`.
                i = end + usize::from(bytes.get(end) == Some(&b' '));
                continue;
            }
            i = token_at(normalized, i, &mut |token| self.analyze_token(token, out));
        }
    }

    fn analyze_token(&self, token: Token<'_>, out: &mut Vec<StemId>) {
        match token {
            Token::Word(word) => self.analyze_word(&word, out),
            Token::Special(special) => out.push(self.special(special)),
            Token::Comma => {}
            Token::SentenceEnd => {
                if out.last().is_some_and(|last| is_word(*last)) {
                    out.push(SENTENCE_END)
                }
            }
            Token::QuestionMark => match out.last_mut() {
                Some(last) if *last == SENTENCE_END => *last = QUESTION_MARK,
                Some(last) if *last == QUESTION_MARK => {}
                _ => out.push(QUESTION_MARK),
            },
        }
    }

    fn analyze_word(&self, word: &str, out: &mut Vec<StemId>) {
        if self.push_known(word, out) {
            return;
        }
        if word.contains(['-', '&', '_', '/']) {
            let joined: String = word.chars().filter(|c| !matches!(c, '-' | '&' | '_' | '/')).collect();
            if self.push_known(&joined, out) {
                return;
            }
            for part in word.split(['-', '&', '_', '/']).filter(|p| !p.is_empty()) {
                self.analyze_word(part, out);
            }
            return;
        }
        self.analyze_unknown(word, out);
    }

    /// A word of one part that is not a known word: its stem when that is
    /// known ("configuring"), else the stem a typo away, else [`UNKNOWN`].
    fn analyze_unknown(&self, word: &str, out: &mut Vec<StemId>) {
        let stem = self.stemmer.stem(word);
        if let Some(id) = self.stem_ids.get(&stem) {
            out.push(*id);
            return;
        }
        out.push(self.corrected(word).unwrap_or(UNKNOWN));
    }

    /// Pushes the stems of a known word or abbreviation; false when unknown.
    fn push_known(&self, word: &str, out: &mut Vec<StemId>) -> bool {
        self.push_entry(self.words.get(word), out)
    }

    #[inline]
    fn push_entry(&self, entry: Option<&Entry>, out: &mut Vec<StemId>) -> bool {
        match entry {
            Some(Entry::Stem(id)) => out.push(*id),
            Some(Entry::Expansion(index)) => out.extend_from_slice(&self.expansions[*index as usize]),
            None => return false,
        }
        true
    }

    /// The stem of the one known word a typo away from `word`, if exactly one
    /// stem is that close.
    pub fn corrected(&self, word: &str) -> Option<StemId> {
        if !typo_candidate(word) {
            return None;
        }
        let mut candidates = Candidates::default();
        // `word` lost a letter: it is a deletion of a known word.
        if let Some(indexes) = self.deletions.get(word) {
            for index in indexes {
                let (known, id) = &self.typo_words[*index as usize];
                candidates.offer(one_edit_apart(word, known), *id);
            }
        }
        let mut buffer = [0u8; MAX_TYPO_LEN];
        for skip in 0..word.len() {
            let deleted = delete_at(word, skip, &mut buffer);
            // `word` has a changed letter or two swapped: both lose the same one.
            if let Some(indexes) = self.deletions.get(deleted) {
                for index in indexes {
                    let (known, id) = &self.typo_words[*index as usize];
                    candidates.offer(one_edit_apart(word, known), *id);
                }
            }
            // `word` has an extra letter.
            if let Some(Entry::Stem(id)) = self.words.get(deleted) {
                candidates.offer(typo_candidate(deleted), *id);
            }
        }
        candidates.only()
    }
}

/// The stems a typo could stand for.
#[derive(Default)]
struct Candidates {
    found: Option<StemId>,
    ambiguous: bool,
}

impl Candidates {
    fn offer(&mut self, close: bool, id: StemId) {
        if !close {
            return;
        }
        match self.found {
            None => self.found = Some(id),
            Some(existing) if existing != id => self.ambiguous = true,
            Some(_) => {}
        }
    }

    fn only(self) -> Option<StemId> {
        if self.ambiguous { None } else { self.found }
    }
}

fn typo_candidate(word: &str) -> bool {
    (MIN_TYPO_LEN..=MAX_TYPO_LEN).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_lowercase())
}

/// `word` without its byte at `skip`, in `buffer`. Only called on ASCII words
/// no longer than the buffer.
fn delete_at<'b>(word: &str, skip: usize, buffer: &'b mut [u8; MAX_TYPO_LEN]) -> &'b str {
    let bytes = word.as_bytes();
    let len = bytes.len() - 1;
    buffer[..skip].copy_from_slice(&bytes[..skip]);
    buffer[skip..len].copy_from_slice(&bytes[skip + 1..]);
    std::str::from_utf8(&buffer[..len]).expect("ASCII stays ASCII")
}

/// Whether the typo `a` is one forgivable edit from the known word `b`: a
/// letter inserted, deleted or two neighbours swapped, or (in longer words)
/// one letter changed; never the first letter, which people rarely get
/// wrong and which tells many real words apart ("willing", "billing").
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b || a.first() != b.first() {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let long_enough = a.len() >= MIN_SUBSTITUTION_LEN;
    let (a, b) = (&a[prefix..], &b[prefix..]);
    match a.len() as isize - b.len() as isize {
        0 => (long_enough && a[1..] == b[1..]) || (a.len() >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..]),
        1 => a[1..] == *b,
        -1 => *a == b[1..],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon(words: &str) -> Lexicon {
        let mut lexicon = Lexicon::new();
        lexicon.learn_text(words);
        lexicon.finish();
        lexicon
    }

    fn read(lexicon: &Lexicon, text: &str) -> Vec<String> {
        let mut ids = Vec::new();
        lexicon.analyze(&crate::text::normalize(text), &mut ids);
        ids.into_iter()
            .map(|id| match id {
                UNKNOWN => "?unknown".to_owned(),
                SENTENCE_END => ".".to_owned(),
                QUESTION_MARK => "?".to_owned(),
                id => lexicon.stem(id).to_owned(),
            })
            .collect()
    }

    #[test]
    fn inflections_meet_at_their_stem() {
        let lexicon = lexicon("configure tune");
        assert_eq!(
            read(&lexicon, "configured configuration configuring tuning tuned"),
            ["configur", "configur", "configur", "tune", "tune"]
        );
    }

    #[test]
    fn abbreviations_are_expanded() {
        let lexicon = lexicon("you please account month to date what is");
        assert_eq!(
            read(&lexicon, "u pls acct mtd"),
            ["you", "pleas", "account", "month", "to", "date"]
        );
        assert_eq!(read(&lexicon, "what's"), ["what", "is"]);
    }

    #[test]
    fn one_typo_on_a_longer_word_is_forgiven() {
        let lexicon = lexicon("account billing receive");
        assert_eq!(read(&lexicon, "acount"), ["account"]);
        assert_eq!(read(&lexicon, "biling"), ["bill"]);
        assert_eq!(read(&lexicon, "recieve"), ["receiv"]);
        assert_eq!(read(&lexicon, "accounnt"), ["account"]);
        assert_eq!(read(&lexicon, "accuont"), ["account"]);
    }

    #[test]
    fn short_words_and_two_typos_are_not_guessed() {
        let lexicon = lexicon("cost account");
        assert_eq!(read(&lexicon, "cast"), ["?unknown"]);
        assert_eq!(read(&lexicon, "akount"), ["?unknown"]);
    }

    #[test]
    fn a_typo_close_to_two_different_stems_is_not_guessed() {
        let lexicon = lexicon("contract contrast");
        assert_eq!(read(&lexicon, "contraxt"), ["?unknown"]);
        assert_eq!(read(&lexicon, "contrac"), ["contract"]);
    }

    #[test]
    fn hyphenated_words_are_joined_when_known_and_split_otherwise() {
        let lexicon = lexicon("signup month to date");
        assert_eq!(read(&lexicon, "sign-up"), ["signup"]);
        assert_eq!(read(&lexicon, "month-to-date"), ["month", "to", "date"]);
    }

    #[test]
    fn breaks_are_kept_once_and_commas_dropped() {
        let lexicon = lexicon("hello team help");
        assert_eq!(
            read(&lexicon, "hello, team. help?!"),
            ["hello", "team", ".", "help", "?"]
        );
    }

    #[test]
    fn a_rare_typo_in_a_corpus_reads_as_the_frequent_word() {
        let mut lexicon = Lexicon::new();
        lexicon.learn_corpus([
            "billing question",
            "billing again",
            "the billing page",
            "biling help",
            "lunch",
            "launch",
        ]);
        lexicon.finish();
        assert_eq!(read(&lexicon, "biling"), ["bill"]);
        assert_eq!(read(&lexicon, "lunch"), ["lunch"]);
        assert_eq!(read(&lexicon, "launch"), ["launch"]);
    }

    #[test]
    fn edit_distance_one_is_exact() {
        assert!(one_edit_apart("account", "acount"));
        assert!(one_edit_apart("account", "accuont"));
        assert!(one_edit_apart("account", "accounts"));
        assert!(one_edit_apart("account", "accourt"));
        assert!(!one_edit_apart("speed", "spend"));
        assert!(!one_edit_apart("willing", "billing"));
        assert!(one_edit_apart("sepnd", "spend"));
        assert!(!one_edit_apart("account", "account"));
        assert!(!one_edit_apart("abcd", "bcda"));
        assert!(!one_edit_apart("account", "acuont"));
    }
}
