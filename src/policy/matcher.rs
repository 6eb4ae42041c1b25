//! The policy's vocabulary compiled for matching: which scope item a question
//! is about and what the verdict is, which region a contact question names,
//! and which troubleshooting topic fits.

use super::{Policy, Verdict};
use crate::text::{self, WeightedSet};

const KEYWORD_POINTS: f32 = 1.0;
const PHRASE_POINTS: f32 = 2.0;
/// An item needs this many points before the bot names it.
pub const ITEM_THRESHOLD: f32 = 2.0;
/// An in-scope item must beat every out-of-scope one by this much before the
/// answer is "in scope": the conservative margin of DESIGN.md §5.
const IN_SCOPE_MARGIN: f32 = 2.0;

/// What a scope vocabulary pattern counts towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeTarget {
    Item(usize),
    FreeOperatingSystem,
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
}

impl ScopeAssessment {
    /// True when some catalogue item was recognized with confidence.
    pub fn recognized(&self) -> bool {
        self.best_in_scope >= ITEM_THRESHOLD || self.best_out_of_scope >= ITEM_THRESHOLD
    }
}

/// All of the policy's vocabularies, compiled once.
#[derive(Debug, Clone)]
pub struct PolicyMatcher {
    verdicts: Vec<Verdict>,
    /// The scope vocabulary as compiled into `scope`, for callers that fold
    /// it into a larger set (the classifier does, to scan a message once).
    scope_vocabulary: Vec<(String, ScopeTarget, f32)>,
    scope: WeightedSet<ScopeTarget>,
    regions: WeightedSet<usize>,
    topics: WeightedSet<usize>,
    topic_count: usize,
}

impl PolicyMatcher {
    pub fn new(policy: &Policy) -> Result<Self, regex::Error> {
        let mut scope_patterns = Vec::new();
        for (index, item) in policy.scope.iter().enumerate() {
            let target = ScopeTarget::Item(index);
            let vocabulary = &item.vocabulary;
            scope_patterns.extend(
                vocabulary
                    .keywords
                    .iter()
                    .map(|k| (text::phrase_pattern(k), target, KEYWORD_POINTS)),
            );
            scope_patterns.extend(
                vocabulary
                    .phrases
                    .iter()
                    .map(|p| (text::phrase_pattern(p), target, PHRASE_POINTS)),
            );
            scope_patterns.extend(vocabulary.patterns.iter().map(|p| (p.clone(), target, PHRASE_POINTS)));
        }
        scope_patterns.extend(policy.notes.free_operating_system_names.iter().map(|name| {
            (
                text::phrase_pattern(name),
                ScopeTarget::FreeOperatingSystem,
                KEYWORD_POINTS,
            )
        }));
        let regions = policy.contacts.regions.iter().enumerate().flat_map(|(index, region)| {
            region
                .aliases
                .iter()
                .map(move |alias| (text::phrase_pattern(alias), index, 1.0))
        });
        let topics = policy.troubleshooting.iter().enumerate().flat_map(|(index, topic)| {
            topic
                .keywords
                .iter()
                .map(move |k| (text::phrase_pattern(k), index, 1.0))
        });
        Ok(Self {
            verdicts: policy.scope.iter().map(|item| item.verdict).collect(),
            scope: WeightedSet::new(scope_patterns.iter().map(|(p, t, w)| (p.as_str(), *t, *w)))?,
            scope_vocabulary: scope_patterns,
            regions: WeightedSet::new(regions)?,
            topics: WeightedSet::new(topics)?,
            topic_count: policy.troubleshooting.len(),
        })
    }

    /// Decides the verdict for a question already folded by `text::normalize`.
    pub fn assess_scope(&self, normalized: &str) -> ScopeAssessment {
        self.assess_hits(self.scope.matches(normalized))
    }

    /// The scope vocabulary: `(pattern, target, weight)`.
    pub fn scope_vocabulary(&self) -> &[(String, ScopeTarget, f32)] {
        &self.scope_vocabulary
    }

    /// Decides the verdict from vocabulary hits found by any set compiled
    /// from [`Self::scope_vocabulary`].
    pub fn assess_hits(&self, hits: impl Iterator<Item = (ScopeTarget, f32)>) -> ScopeAssessment {
        let mut points = vec![0.0f32; self.verdicts.len()];
        let mut mentions_free_operating_system = false;
        for (target, weight) in hits {
            match target {
                ScopeTarget::Item(index) => points[index] += weight,
                ScopeTarget::FreeOperatingSystem => mentions_free_operating_system = true,
            }
        }
        let best_of = |verdict: Verdict| {
            points
                .iter()
                .enumerate()
                .filter(|(index, _)| self.verdicts[*index] == verdict)
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
            if in_points >= out_points + IN_SCOPE_MARGIN {
                // Strong evidence both ways: let an engineer decide.
                (Verdict::Unclear, None)
            } else {
                (Verdict::OutOfScope, best_out.map(|(i, _)| i))
            }
        } else if in_points >= ITEM_THRESHOLD && in_points >= out_points + IN_SCOPE_MARGIN {
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
        }
    }

    /// Indexes into `Policy::contacts.regions` of the regions a message names,
    /// in policy order.
    pub fn regions_named(&self, normalized: &str) -> Vec<usize> {
        let mut found: Vec<usize> = self.regions.matches(normalized).map(|(index, _)| index).collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Indexes into `Policy::troubleshooting` of the topics that fit best,
    /// best first; empty when nothing fits.
    pub fn best_topics(&self, normalized: &str) -> Vec<usize> {
        let mut points = vec![0.0f32; self.topic_count];
        for (index, weight) in self.topics.matches(normalized) {
            points[index] += weight;
        }
        let top = points.iter().copied().fold(0.0f32, f32::max);
        if top <= 0.0 {
            return Vec::new();
        }
        let mut best: Vec<usize> = (0..self.topic_count).filter(|&i| points[i] >= top - 0.5).collect();
        best.sort_by(|a, b| points[*b].total_cmp(&points[*a]));
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;

    fn matcher() -> (Policy, PolicyMatcher) {
        let policy = Policy::embedded_default().unwrap();
        let matcher = PolicyMatcher::new(&policy).unwrap();
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
}
