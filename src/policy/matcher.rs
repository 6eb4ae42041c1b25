//! The policy's vocabulary compiled for matching, on word stems: which scope
//! item a question is about and what the verdict is, which concepts it
//! names (for the intent classifier), which region a contact question names,
//! and which troubleshooting topic fits.

use std::sync::Arc;

use super::{MAX_SCOPE_ITEMS, Policy, Verdict};
use crate::language::lexicon::{self, StemId};
use crate::language::vocabulary::GAP_WORDS;
use crate::language::{Lexicon, TermError, Vocabulary};

const KEYWORD_POINTS: f32 = 1.0;
const PHRASE_POINTS: f32 = 2.0;
/// An item needs this many points before the bot names it.
pub const ITEM_THRESHOLD: f32 = 2.0;
/// An in-scope item must beat every out-of-scope one by this much before the
/// answer is "in scope": the conservative margin of DESIGN.md §5.
const IN_SCOPE_MARGIN: f32 = 2.0;

/// What a term of the policy's vocabulary counts towards: a scope item, the
/// free-OS note, a concept, a contact region or a troubleshooting topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Item(usize),
    FreeOperatingSystem,
    /// A verb of hands-on work, whatever follows it.
    HandsOnVerb,
    /// A verb of hands-on work when an object follows a few words after it.
    HandsOnVerbWithObject,
    HandsOnObject,
    Concept(usize),
    Region(usize),
    Topic(usize),
}

/// The verdict for one question, with the evidence behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeAssessment {
    pub verdict: Verdict,
    /// Index into `Policy::scope` of the item the verdict rests on.
    pub item: Option<usize>,
    /// Points of the best in-scope and out-of-scope items.
    pub best_in_scope: f32,
    pub best_out_of_scope: f32,
    /// The best in-scope and out-of-scope items, when any word of theirs matched.
    pub best_in_scope_item: Option<usize>,
    pub best_out_of_scope_item: Option<usize>,
    /// The question names a free operating system (Debian, Ubuntu...).
    pub mentions_free_operating_system: bool,
    /// The question asks for hands-on work on the customer's resources.
    pub names_hands_on_work: bool,
}

impl ScopeAssessment {
    /// True when some catalogue item was recognized with confidence.
    pub fn recognized(&self) -> bool {
        self.best_in_scope >= ITEM_THRESHOLD || self.best_out_of_scope >= ITEM_THRESHOLD
    }

    /// True when any word of any scope item was found.
    pub fn touched(&self) -> bool {
        self.best_in_scope > 0.0 || self.best_out_of_scope > 0.0
    }
}

/// One message as the policy's vocabulary reads it.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The message's words as stem ids, with breaks (see `language::lexicon`).
    pub words: Vec<StemId>,
    pub scope: ScopeAssessment,
    /// Bit `i` is set when concept `i` of the policy was named.
    pub concepts: u64,
}

/// A vocabulary term that cannot be compiled, named with where it is.
#[derive(Debug, thiserror::Error)]
#[error("{place}: term {term:?} {error}")]
pub struct VocabularyError {
    pub place: String,
    pub term: String,
    pub error: TermError,
}

/// A term listed both for an in-scope and an out-of-scope item (after
/// stemming), which `check-config` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub term: String,
    pub in_scope: Vec<String>,
    pub out_of_scope: Vec<String>,
}

/// All of the policy's vocabularies, compiled once and cheap to clone.
#[derive(Debug, Clone)]
pub struct PolicyMatcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    lexicon: Lexicon,
    vocabulary: Vocabulary<Target>,
    verdicts: Vec<Verdict>,
    region_count: usize,
    topic_count: usize,
    /// Bit set of the concepts marked `on_topic`.
    on_topic: u64,
    concept_ids: Vec<String>,
    overlaps: Vec<Overlap>,
    /// The first stems of the hands-on verbs: a sentence opening with one
    /// is a request.
    work_verbs: Vec<StemId>,
    /// Stems of [`DETERMINERS`].
    determiners: Vec<StemId>,
}

/// Words after which a hands-on verb is a noun ("the deploy role", "our
/// rebuild plan", "a restart button").
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "our", "my", "your", "their", "this", "that", "these", "those",
];

impl PolicyMatcher {
    /// Compiles the policy's vocabulary, with a lexicon that also knows the
    /// words the embedded intent model was trained on.
    pub fn new(policy: &Policy) -> Result<Self, VocabularyError> {
        Self::with_words(policy, crate::intent::model::embedded().words())
    }

    /// Compiles the policy's vocabulary with a lexicon that also knows
    /// `words`, given as `(surface, stem)` (the trainer passes none: it
    /// learns the corpus' words itself).
    pub fn with_words<'a>(
        policy: &Policy,
        words: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, VocabularyError> {
        Self::with_lexicon(policy, |lexicon| {
            for (word, stem) in words {
                lexicon.learn_word_with_stem(word, stem);
            }
        })
    }

    /// Compiles the policy's vocabulary after `prepare` has taught the
    /// lexicon whatever else it must know.
    pub fn with_lexicon(policy: &Policy, prepare: impl FnOnce(&mut Lexicon)) -> Result<Self, VocabularyError> {
        // The policy's words and the question words first, so a corpus
        // learned in `prepare` has them to read its typos against.
        let mut lexicon = Lexicon::new();
        for word in crate::intent::question::QuestionWords::vocabulary().chain(DETERMINERS.iter().copied()) {
            lexicon.learn_text(word);
        }
        let terms = terms_of(policy);
        for (_, term, _, _) in &terms {
            lexicon.learn_text(term);
        }
        prepare(&mut lexicon);
        lexicon.finish();
        let vocabulary = Vocabulary::new(
            &lexicon,
            terms
                .iter()
                .map(|(_, term, target, weight)| (term.as_str(), *target, *weight)),
        )
        .map_err(|(term, error)| VocabularyError {
            place: terms
                .iter()
                .find(|(_, t, _, _)| *t == term)
                .map(|(place, _, _, _)| place.clone())
                .unwrap_or_default(),
            term,
            error,
        })?;
        let on_topic = policy
            .concepts
            .iter()
            .enumerate()
            .filter(|(_, c)| c.on_topic)
            .fold(0u64, |bits, (i, _)| bits | 1 << i);
        let overlaps = overlaps(policy, &lexicon);
        let mut work_verbs: Vec<StemId> = policy
            .hands_on
            .verbs
            .iter()
            .chain(&policy.hands_on.verbs_with_object)
            .filter_map(|verb| lexicon.stems_of(verb).first().copied())
            .collect();
        work_verbs.sort_unstable();
        work_verbs.dedup();
        let determiners = DETERMINERS
            .iter()
            .filter_map(|word| lexicon.stems_of(word).first().copied())
            .collect();
        Ok(Self {
            inner: Arc::new(Inner {
                verdicts: policy.scope.iter().map(|item| item.verdict).collect(),
                region_count: policy.contacts.regions.len(),
                topic_count: policy.troubleshooting.len(),
                on_topic,
                concept_ids: policy.concepts.iter().map(|c| c.id.clone()).collect(),
                overlaps,
                work_verbs,
                determiners,
                lexicon,
                vocabulary,
            }),
        })
    }

    pub fn lexicon(&self) -> &Lexicon {
        &self.inner.lexicon
    }

    /// The policy's concept ids, in order (bit `i` of [`Reading::concepts`]).
    pub fn concept_ids(&self) -> &[String] {
        &self.inner.concept_ids
    }

    /// The concepts that make a question one for the support desk.
    pub fn on_topic_concepts(&self) -> u64 {
        self.inner.on_topic
    }

    /// The first stems of the hands-on verbs ("delete", "scale"...).
    pub fn work_verbs(&self) -> &[StemId] {
        &self.inner.work_verbs
    }

    /// Terms listed for both an in-scope and an out-of-scope item.
    pub fn overlaps(&self) -> &[Overlap] {
        &self.inner.overlaps
    }

    /// Reads a message already folded by `text::normalize`.
    pub fn read(&self, normalized: &str) -> Reading {
        let mut words = Vec::with_capacity(normalized.len() / 4 + 4);
        self.inner.lexicon.analyze(normalized, &mut words);
        let mut points = [0.0f32; MAX_SCOPE_ITEMS];
        // The items given points, so that only they are compared.
        let mut touched = 0u64;
        let mut concepts = 0u64;
        let mut free_os = false;
        let mut verb_ends = [0usize; 8];
        let mut verbs = 0;
        let mut hands_on = false;
        self.inner
            .vocabulary
            .find_all(&words, |target, weight, span, first| match target {
                _ if !first && !matches!(target, Target::HandsOnVerbWithObject | Target::HandsOnObject) => {}
                Target::Item(index) => {
                    points[index] += weight;
                    touched |= 1 << index;
                }
                Target::FreeOperatingSystem => free_os = true,
                // "the deploy role", "our rebuild plan": a noun, not work asked for.
                Target::HandsOnVerb => hands_on |= !(span.start > 0 && self.is_determiner(words[span.start - 1])),
                Target::HandsOnVerbWithObject => {
                    if verbs < verb_ends.len() {
                        verb_ends[verbs] = span.end;
                        verbs += 1;
                    }
                }
                Target::HandsOnObject => {
                    // Objects are found in order, after the verbs that start before them.
                    hands_on |= verb_ends[..verbs].iter().any(|end| {
                        *end <= span.start
                            && span.start - end <= GAP_WORDS as usize
                            && words[*end..span.start].iter().all(|w| lexicon::is_word(*w))
                    });
                }
                Target::Concept(index) => concepts |= 1 << index,
                Target::Region(_) | Target::Topic(_) => {}
            });
        let scope = self.assess(&points, touched, free_os, hands_on);
        Reading { words, scope, concepts }
    }

    /// "the", "our"...: what makes the next word a noun ("the deploy role").
    fn is_determiner(&self, word: StemId) -> bool {
        self.inner.determiners.contains(&word)
    }

    /// Decides the verdict for a question already folded by `text::normalize`.
    pub fn assess_scope(&self, normalized: &str) -> ScopeAssessment {
        self.read(normalized).scope
    }

    fn assess(
        &self,
        points: &[f32],
        touched: u64,
        mentions_free_operating_system: bool,
        names_hands_on_work: bool,
    ) -> ScopeAssessment {
        let verdicts = &self.inner.verdicts;
        let mut bits = touched;
        let items = std::iter::from_fn(move || {
            let index = bits.trailing_zeros() as usize;
            bits &= bits.wrapping_sub(1);
            (index < 64).then_some(index)
        });
        let best_of = |verdict: Verdict| {
            items
                .clone()
                .filter(|index| verdicts[*index] == verdict)
                .map(|index| (index, &points[index]))
                .fold(None, |best: Option<(usize, f32)>, (index, &p)| match best {
                    Some((_, best_points)) if best_points >= p => best,
                    _ if p > 0.0 => Some((index, p)),
                    _ => best,
                })
        };
        let best_in = best_of(Verdict::InScope);
        let best_out = best_of(Verdict::OutOfScope);
        let in_points = best_in.map_or(0.0, |(_, p)| p);
        let out_points = best_out.map_or(0.0, |(_, p)| p);

        let (verdict, item) = if out_points >= ITEM_THRESHOLD {
            if in_points >= out_points + IN_SCOPE_MARGIN && !names_hands_on_work {
                // Strong evidence both ways: let an engineer decide. Not when
                // hands-on work is asked for: then the out-of-scope item
                // names the work ("apply the review's changes yourselves").
                (Verdict::Unclear, None)
            } else {
                (Verdict::OutOfScope, best_out.map(|(i, _)| i))
            }
        } else if in_points >= ITEM_THRESHOLD && in_points >= out_points + IN_SCOPE_MARGIN && !names_hands_on_work {
            (Verdict::InScope, best_in.map(|(i, _)| i))
        } else {
            (Verdict::Unclear, None)
        };
        ScopeAssessment {
            verdict,
            item,
            best_in_scope: in_points,
            best_out_of_scope: out_points,
            best_in_scope_item: best_in.map(|(i, _)| i),
            best_out_of_scope_item: best_out.map(|(i, _)| i),
            mentions_free_operating_system,
            names_hands_on_work,
        }
    }

    /// Indexes into `Policy::contacts.regions` of the regions a message names,
    /// in policy order.
    pub fn regions_named(&self, normalized: &str) -> Vec<usize> {
        let mut words = Vec::new();
        self.inner.lexicon.analyze(normalized, &mut words);
        let mut found = Vec::new();
        self.inner.vocabulary.find(&words, |target, _, _| {
            if let Target::Region(index) = target {
                found.push(index);
            }
        });
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Indexes into `Policy::troubleshooting` of the topics that fit best,
    /// best first; empty when nothing fits.
    pub fn best_topics(&self, normalized: &str) -> Vec<usize> {
        let mut words = Vec::new();
        self.inner.lexicon.analyze(normalized, &mut words);
        let mut points = vec![0.0f32; self.inner.topic_count];
        self.inner.vocabulary.find(&words, |target, weight, _| {
            if let Target::Topic(index) = target {
                points[index] += weight;
            }
        });
        let top = points.iter().copied().fold(0.0f32, f32::max);
        if top <= 0.0 {
            return Vec::new();
        }
        let mut best: Vec<usize> = (0..self.inner.topic_count)
            .filter(|&i| points[i] >= top - 0.5)
            .collect();
        best.sort_by(|a, b| points[*b].total_cmp(&points[*a]));
        best
    }

    /// How many contact regions the policy has.
    pub fn region_count(&self) -> usize {
        self.inner.region_count
    }
}

/// Every term of the policy: `(where it is, term, target, weight)`.
fn terms_of(policy: &Policy) -> Vec<(String, String, Target, f32)> {
    let mut terms = Vec::new();
    for (index, item) in policy.scope.iter().enumerate() {
        let target = Target::Item(index);
        let place = |list: &str| format!("scope item {:?}, {list}", item.id);
        terms.extend(
            item.vocabulary
                .keywords
                .iter()
                .map(|k| (place("keywords"), k.clone(), target, KEYWORD_POINTS)),
        );
        terms.extend(
            item.vocabulary
                .phrases
                .iter()
                .map(|p| (place("phrases"), p.clone(), target, PHRASE_POINTS)),
        );
    }
    terms.extend(policy.notes.free_operating_system_names.iter().map(|name| {
        (
            "notes.free_operating_system_names".to_owned(),
            name.clone(),
            Target::FreeOperatingSystem,
            KEYWORD_POINTS,
        )
    }));
    // Hands-on work: a verb alone, or a verb, up to four words and an object
    // (see `read`).
    terms.extend(
        policy
            .hands_on
            .verbs
            .iter()
            .map(|v| ("hands_on.verbs".to_owned(), v.clone(), Target::HandsOnVerb, 1.0)),
    );
    terms.extend(policy.hands_on.verbs_with_object.iter().map(|v| {
        (
            "hands_on.verbs_with_object".to_owned(),
            v.clone(),
            Target::HandsOnVerbWithObject,
            1.0,
        )
    }));
    terms.extend(
        policy
            .hands_on
            .objects
            .iter()
            .map(|o| ("hands_on.objects".to_owned(), o.clone(), Target::HandsOnObject, 1.0)),
    );
    for (index, concept) in policy.concepts.iter().enumerate() {
        terms.extend(concept.words.iter().map(|w| {
            (
                format!("concept {:?}", concept.id),
                w.clone(),
                Target::Concept(index),
                1.0,
            )
        }));
    }
    for (index, region) in policy.contacts.regions.iter().enumerate() {
        terms.extend(region.aliases.iter().map(|a| {
            (
                format!("region {:?}, aliases", region.id),
                a.clone(),
                Target::Region(index),
                1.0,
            )
        }));
    }
    for (index, topic) in policy.troubleshooting.iter().enumerate() {
        terms.extend(topic.keywords.iter().map(|k| {
            (
                format!("troubleshooting topic {:?}, keywords", topic.id),
                k.clone(),
                Target::Topic(index),
                1.0,
            )
        }));
    }
    terms
}

/// Scope terms that read the same (word by word, on stems, with each choice
/// of an `a|b` word and `*` gaps taken as written) for an in-scope and an
/// out-of-scope item, named as first written.
fn overlaps(policy: &Policy, lexicon: &Lexicon) -> Vec<Overlap> {
    use std::collections::BTreeMap;
    // reading → (term as written, in-scope items, out-of-scope items)
    let mut by_reading: BTreeMap<String, (String, Vec<String>, Vec<String>)> = BTreeMap::new();
    for item in &policy.scope {
        for term in item.vocabulary.keywords.iter().chain(&item.vocabulary.phrases) {
            for reading in readings(lexicon, term) {
                let entry = by_reading
                    .entry(reading)
                    .or_insert_with(|| (term.clone(), Vec::new(), Vec::new()));
                let list = if item.verdict == Verdict::InScope {
                    &mut entry.1
                } else {
                    &mut entry.2
                };
                if !list.contains(&item.id) {
                    list.push(item.id.clone());
                }
            }
        }
    }
    let mut overlaps: Vec<Overlap> = Vec::new();
    for (_, (term, in_scope, out_of_scope)) in by_reading {
        if in_scope.is_empty() || out_of_scope.is_empty() || overlaps.iter().any(|o| o.term == term) {
            continue;
        }
        overlaps.push(Overlap {
            term,
            in_scope,
            out_of_scope,
        });
    }
    overlaps
}

/// Every way a term reads: its `a|b` choices expanded (at most 64 ways),
/// stems joined by spaces, gaps as `*`.
fn readings(lexicon: &Lexicon, term: &str) -> Vec<String> {
    let mut readings = vec![String::new()];
    for piece in term.split_whitespace() {
        let choices: Vec<String> = if piece == "*" {
            vec!["*".to_owned()]
        } else {
            piece
                .split('|')
                .map(|choice| {
                    let stems: Vec<&str> = lexicon
                        .stems_of(choice)
                        .into_iter()
                        .map(|id| lexicon.stem(id))
                        .collect();
                    stems.join(" ")
                })
                .collect()
        };
        if readings.len() * choices.len() > 64 {
            return readings;
        }
        readings = readings
            .iter()
            .flat_map(|so_far| {
                choices.iter().map(move |choice| {
                    if so_far.is_empty() {
                        choice.clone()
                    } else {
                        format!("{so_far} {choice}")
                    }
                })
            })
            .collect();
    }
    readings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;

    fn matcher() -> (Policy, PolicyMatcher) {
        let policy = Policy::embedded_default().unwrap();
        let matcher = PolicyMatcher::with_words(&policy, []).unwrap();
        (policy, matcher)
    }

    fn assess(question: &str) -> (Verdict, Option<String>) {
        let (policy, matcher) = matcher();
        let assessment = matcher.assess_scope(&normalize(question));
        (assessment.verdict, assessment.item.map(|i| policy.scope[i].id.clone()))
    }

    #[test]
    fn named_items_get_their_verdicts() {
        let cases = [
            ("is IAM in scope?", Verdict::InScope, Some("iam-policies")),
            (
                "can you create console users for us",
                Verdict::InScope,
                Some("console-users"),
            ),
            ("is patching in scope?", Verdict::OutOfScope, Some("patching")),
            (
                "can you RDP into our server",
                Verdict::OutOfScope,
                Some("remote-administration"),
            ),
            (
                "do you handle change approvals",
                Verdict::OutOfScope,
                Some("change-management"),
            ),
            (
                "an account CAM does not optimize",
                Verdict::OutOfScope,
                Some("unoptimized-accounts"),
            ),
            ("can you build our ci/cd pipeline", Verdict::Unclear, None),
        ];
        for (question, verdict, item) in cases {
            assert_eq!(assess(question), (verdict, item.map(str::to_owned)), "{question}");
        }
    }

    #[test]
    fn inflections_and_typos_find_the_same_item() {
        assert_eq!(
            assess("could you review how our ec2 instances are configured").0,
            Verdict::InScope
        );
        assert_eq!(assess("do you do patchs for windows").0, Verdict::OutOfScope);
        assert_eq!(
            assess("can somebody ssh-ing into the box and fix nginx").1.as_deref(),
            Some("remote-administration")
        );
    }

    #[test]
    fn hands_on_work_is_out_of_scope_whatever_the_motive() {
        let (verdict, item) = assess("delete the unused resources and re-architect the network so the bill goes down");
        assert_eq!(verdict, Verdict::OutOfScope);
        assert_eq!(item.as_deref(), Some("change-management"));
        for question in [
            "our bill is too high, can you switch off the servers we are not using",
            "pls shut down the idle ec2s so we save money",
            "need someone to roll out the new release friday night",
        ] {
            assert_eq!(assess(question).0, Verdict::OutOfScope, "{question}");
        }
    }

    #[test]
    fn a_hands_on_verb_used_as_a_noun_is_not_work_asked_for() {
        assert_eq!(
            assess("our iam policy for the deploy role looks too broad, can you review it").0,
            Verdict::InScope
        );
        assert_eq!(assess("please deploy the new iam policy").0, Verdict::Unclear);
    }

    #[test]
    fn out_of_scope_work_wins_over_in_scope_words_in_the_same_question() {
        let (verdict, item) = assess("can you patch the servers of our new console users?");
        assert_eq!(verdict, Verdict::OutOfScope);
        assert_eq!(item.as_deref(), Some("patching"));
    }

    #[test]
    fn a_single_weak_word_is_not_enough_for_in_scope() {
        assert_eq!(assess("do you do console stuff?").0, Verdict::Unclear);
    }

    #[test]
    fn free_operating_systems_are_noticed() {
        let (_, matcher) = matcher();
        assert!(
            matcher
                .assess_scope(&normalize("IAM roles on our Ubuntu hosts"))
                .mentions_free_operating_system
        );
        assert!(
            !matcher
                .assess_scope(&normalize("IAM roles on our Windows hosts"))
                .mentions_free_operating_system
        );
    }

    #[test]
    fn concepts_are_read_as_bits() {
        let (policy, matcher) = matcher();
        let money = policy.concepts.iter().position(|c| c.id == "money").unwrap();
        let reading = matcher.read(&normalize("what do we owe aws so far"));
        assert_ne!(reading.concepts & 1 << money, 0);
        assert_ne!(matcher.on_topic_concepts() & 1 << money, 0);
    }

    #[test]
    fn regions_are_found_by_alias() {
        let (policy, matcher) = matcher();
        let names = |text: &str| -> Vec<String> {
            matcher
                .regions_named(&normalize(text))
                .into_iter()
                .map(|i| policy.contacts.regions[i].id.clone())
                .collect()
        };
        assert_eq!(names("who do I call in Canada?"), vec!["canada"]);
        assert_eq!(names("support in Asia Pacific"), vec!["apac"]);
        assert_eq!(names("an emergency in Europe"), vec!["emea"]);
        assert_eq!(names("a critical outage in the US"), vec!["us"]);
        assert_eq!(names("can you help us?"), Vec::<String>::new());
    }

    #[test]
    fn troubleshooting_topics_are_ranked() {
        let (policy, matcher) = matcher();
        let ids = |text: &str| -> Vec<String> {
            matcher
                .best_topics(&normalize(text))
                .into_iter()
                .map(|i| policy.troubleshooting[i].id.clone())
                .collect()
        };
        assert_eq!(
            ids("where is the agent log on a Windows machine?"),
            vec!["agent-log-windows"]
        );
        assert_eq!(ids("where do I find agent logs on linux?"), vec!["agent-log-linux"]);
        assert_eq!(ids("my box failed to deploy"), vec!["box-errors"]);
        assert!(ids("hello there").is_empty());
    }

    #[test]
    fn terms_on_both_sides_of_the_policy_are_reported() {
        let policy = Policy::embedded_default().unwrap();
        let text = crate::policy::DEFAULT_POLICY_TOML.replacen(
            "keywords = [\"hotfix\"",
            "keywords = [\"billing\", \"hotfix\"",
            1,
        );
        let edited = Policy::from_toml_str(&text, "edited").unwrap();
        let overlaps = PolicyMatcher::with_words(&edited, []).unwrap().overlaps().to_vec();
        assert!(
            overlaps.iter().any(|o| o.term == "billing"
                && o.in_scope.contains(&"billing".to_owned())
                && o.out_of_scope.contains(&"patching".to_owned())),
            "{overlaps:?}"
        );
        // A choice or a gap does not hide an overlap.
        let text = crate::policy::DEFAULT_POLICY_TOML.replacen(
            "keywords = [\"hotfix\"",
            "keywords = [\"bill|invoice\", \"review * bill|invoice\", \"hotfix\"",
            1,
        );
        let edited = Policy::from_toml_str(&text, "edited").unwrap();
        let overlaps = PolicyMatcher::with_words(&edited, []).unwrap().overlaps().to_vec();
        assert!(overlaps.iter().any(|o| o.term == "invoice"), "{overlaps:?}");
        assert!(PolicyMatcher::with_words(&policy, []).unwrap().overlaps().is_empty());
    }
}
