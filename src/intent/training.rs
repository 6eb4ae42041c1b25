//! Fitting the intent model to a labelled corpus: multinomial logistic
//! regression over the features of [`super::features`], trained by
//! stochastic gradient descent with AdaGrad steps and L2 regularization, in
//! a fixed order from a fixed seed, so the same corpus always gives the same
//! model, byte for byte. Used by `examples/train-classifier.rs` and by the
//! test that checks the committed model is what the corpus gives.

use std::collections::BTreeMap;

use super::features::{self, Feature};
use super::model::{CLASSES, FeatureKey, IntentModel, probabilities};
use super::question::QuestionWords;
use super::{Classifier, IntentKind};
use crate::policy::{Policy, PolicyMatcher, Verdict, VocabularyError};
use crate::text;

/// The tables the model is fitted to, relative to the repository's root:
/// the training part of the corpus and our older phrase tables. The
/// corpus' held-out part (`tests/fixtures/corpus/test.tsv`) and the product
/// owner's development set (`tests/fixtures/intents-dev.tsv`) are not among
/// them.
pub const TRAINING_TABLES: &[&str] = &[
    "tests/fixtures/corpus/train.tsv",
    "tests/fixtures/intents-holdout.tsv",
    "tests/fixtures/intents-fresh.tsv",
    "tests/fixtures/intents-outage.tsv",
];

/// Reads every training table under `root`.
pub fn training_examples(root: &str) -> Result<Vec<Example>, String> {
    let mut examples = Vec::new();
    for table in TRAINING_TABLES {
        let path = format!("{root}/{table}");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        examples.extend(read_examples(&text).map_err(|e| format!("{path}: {e}"))?);
    }
    Ok(examples)
}

/// The model with comments saying where it came from and how to remake it.
pub fn with_provenance(mut model: IntentModel, trained_on: usize, options: &Options) -> IntentModel {
    model.comments = vec![
        "platform-desk intent model: weights of a multinomial logistic regression.".to_owned(),
        format!(
            "Fitted to {trained_on} labelled messages ({}).",
            TRAINING_TABLES.join(", ")
        ),
        format!(
            "Options: {} epochs, learning rate {}, L2 {}, pairs seen in at least {} messages, seed {}.",
            options.epochs, options.learning_rate, options.l2, options.min_pair_count, options.seed
        ),
        "Do not edit: remake it with `cargo run --release --example train-classifier`.".to_owned(),
    ];
    model
}

/// One labelled message.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub kind: IntentKind,
    /// For scope questions, the acceptable verdicts.
    pub verdicts: Vec<Verdict>,
}

/// Reads a corpus table (`text<TAB>intent<TAB>verdicts`, `#` comments).
pub fn read_examples(table: &str) -> Result<Vec<Example>, String> {
    table
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(index, line)| {
            let mut columns = line.split('\t');
            let text = columns.next().unwrap_or_default();
            let intent = columns.next().ok_or(format!("line {}: no intent column", index + 1))?;
            let kind = IntentKind::ALL
                .into_iter()
                .find(|k| k.as_str() == intent)
                .ok_or(format!("line {}: unknown intent {intent:?}", index + 1))?;
            let verdicts = match columns.next().unwrap_or("-") {
                "-" => Vec::new(),
                list => list
                    .split('|')
                    .map(|v| {
                        [Verdict::InScope, Verdict::OutOfScope, Verdict::Unclear]
                            .into_iter()
                            .find(|known| known.as_str() == v)
                            .ok_or(format!("line {}: unknown verdict {v:?}", index + 1))
                    })
                    .collect::<Result<_, _>>()?,
            };
            Ok(Example {
                text: text.to_owned(),
                kind,
                verdicts,
            })
        })
        .collect()
}

/// How the model is fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    /// A pair of stems must be seen in this many messages to be a feature.
    pub min_pair_count: usize,
    /// Rows whose every weight is below this are left out of the file.
    pub prune_below: f32,
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            epochs: 20,
            learning_rate: 0.1,
            l2: 0.001,
            min_pair_count: 2,
            prune_below: 0.001,
            seed: 20_261_129,
        }
    }
}

/// Fits a model to `examples`, reading them with `policy`'s vocabulary.
pub fn train(policy: &Policy, examples: &[Example], options: &Options) -> Result<IntentModel, VocabularyError> {
    let matcher = PolicyMatcher::with_lexicon(policy, |lexicon| {
        lexicon.learn_corpus(examples.iter().map(|e| e.text.as_str()));
    })?;
    let questions = QuestionWords::new(matcher.lexicon(), matcher.work_verbs());
    let keyed: Vec<Vec<FeatureKey>> = examples
        .iter()
        .map(|example| {
            let reading = matcher.read(&text::normalize(&example.text));
            let address = questions.address(&reading.words);
            let mut keys = Vec::new();
            features::extract(&reading, address, &questions, &mut |feature: Feature| {
                keys.push(FeatureKey::of(feature, matcher.lexicon(), matcher.concept_ids()));
            });
            keys
        })
        .collect();

    // Which features to keep: pairs seen in enough messages, everything else.
    let mut seen_in: BTreeMap<&FeatureKey, usize> = BTreeMap::new();
    for keys in &keyed {
        let mut distinct: Vec<&FeatureKey> = keys.iter().collect();
        distinct.sort();
        distinct.dedup();
        for key in distinct {
            *seen_in.entry(key).or_default() += 1;
        }
    }
    let index: BTreeMap<&FeatureKey, usize> = seen_in
        .into_iter()
        .filter(|(key, count)| !matches!(key, FeatureKey::Pair(..)) || *count >= options.min_pair_count)
        .map(|(key, _)| key)
        .enumerate()
        .map(|(i, key)| (key, i))
        .collect();
    let rows: Vec<Vec<usize>> = keyed
        .iter()
        .map(|keys| keys.iter().filter_map(|k| index.get(k).copied()).collect())
        .collect();

    let mut weights = vec![[0.0f32; CLASSES]; index.len()];
    let mut squared = vec![[0.0f32; CLASSES]; index.len()];
    let mut bias = [0.0f32; CLASSES];
    let mut bias_squared = [0.0f32; CLASSES];
    let mut rng = fastrand::Rng::with_seed(options.seed);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    const EPSILON: f32 = 1e-6;
    for _ in 0..options.epochs {
        rng.shuffle(&mut order);
        for &e in &order {
            let mut scores = bias;
            for &f in &rows[e] {
                for (score, w) in scores.iter_mut().zip(&weights[f]) {
                    *score += w;
                }
            }
            let p = probabilities(&scores);
            let truth = examples[e].kind as usize;
            for class in 0..CLASSES {
                let error = p[class] - if class == truth { 1.0 } else { 0.0 };
                bias_squared[class] += error * error;
                bias[class] -= options.learning_rate * error / (bias_squared[class].sqrt() + EPSILON);
                for &f in &rows[e] {
                    let gradient = error + options.l2 * weights[f][class];
                    squared[f][class] += gradient * gradient;
                    weights[f][class] -= options.learning_rate * gradient / (squared[f][class].sqrt() + EPSILON);
                }
            }
        }
    }

    let mut model = IntentModel {
        comments: Vec::new(),
        bias,
        rows: Vec::new(),
        words: Vec::new(),
    };
    for (key, i) in &index {
        if weights[*i].iter().any(|w| w.abs() >= options.prune_below) {
            model.rows.push(((*key).clone(), weights[*i]));
        }
    }
    model.words = matcher
        .lexicon()
        .words()
        .into_iter()
        .map(|(word, stem)| (word, matcher.lexicon().stem(stem).to_owned()))
        .collect();
    // What is written is what runs: round-trip through the file format.
    Ok(IntentModel::parse(&model.render()).expect("a rendered model parses"))
}

/// Each example's intent when the model is fitted without it: `folds`-fold
/// cross-validation, the folds taken round-robin in corpus order.
pub fn cross_validate(
    policy: &Policy,
    examples: &[Example],
    folds: usize,
    options: &Options,
) -> Result<Vec<IntentKind>, VocabularyError> {
    let mut predicted = vec![IntentKind::None; examples.len()];
    for fold in 0..folds {
        let training: Vec<Example> = examples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != fold)
            .map(|(_, e)| e.clone())
            .collect();
        let model = train(policy, &training, options)?;
        let classifier = Classifier::with_model(policy, &model)?;
        for (i, example) in examples.iter().enumerate().filter(|(i, _)| i % folds == fold) {
            predicted[i] = classifier.classify(&example.text).kind;
        }
    }
    Ok(predicted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples() -> Vec<Example> {
        read_examples(
            "how much did we spend\tspend\t-\n\
             what did we spend so far\tspend\t-\n\
             what will the bill be at month end\testimate\t-\n\
             forecast for the end of the month\testimate\t-\n\
             good morning all\tnone\t-\n\
             lunch anyone\tnone\t-\n",
        )
        .unwrap()
    }

    #[test]
    fn training_twice_gives_the_same_model() {
        let policy = Policy::embedded_default().unwrap();
        let options = Options::default();
        let first = train(&policy, &examples(), &options).unwrap().render();
        let second = train(&policy, &examples(), &options).unwrap().render();
        assert_eq!(first, second);
    }

    #[test]
    fn a_trained_model_learns_its_examples() {
        let policy = Policy::embedded_default().unwrap();
        let model = train(&policy, &examples(), &Options::default()).unwrap();
        let classifier = Classifier::with_model(&policy, &model).unwrap();
        assert_eq!(classifier.classify("how much did we spend").kind, IntentKind::Spend);
        assert_eq!(
            classifier.classify("forecast for the end of the month").kind,
            IntentKind::Estimate
        );
    }

    #[test]
    fn a_bad_table_line_is_reported() {
        assert!(read_examples("text only\n").unwrap_err().contains("line 1"));
        assert!(read_examples("x\tnope\t-\n").unwrap_err().contains("nope"));
    }
}
