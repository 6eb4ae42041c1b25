//! The intent model: a linear model (multinomial logistic regression) over
//! the features of [`super::features`], with one weight per feature and
//! intent. Its weights are learned from the labelled corpus by
//! `cargo run --release --example train-classifier` and committed as data
//! (`model.tsv`, embedded in the binary); nobody sets them by hand.
//!
//! The file is plain text, one row per feature:
//!
//! ```text
//! classes<TAB>scope escalate spend estimate contact outage troubleshoot ticket help none
//! bias<TAB>w1 w2 ... w10
//! w configur<TAB>...      a stem
//! b how much<TAB>...      two neighbouring stems
//! s open<TAB>...          the first stem of a sentence
//! c money<TAB>...         a concept of the policy
//! f asks<TAB>...          a fixed feature
//! =<TAB>configured<TAB>configur   a word the model was trained on, with its stem
//! ```

use std::sync::LazyLock;

use super::IntentKind;
use super::features::{Feature, FeatureSink, Fixed};
use crate::language::Lexicon;
use crate::language::lexicon::StemId;
use crate::language::pairs::PairTable;

/// The number of intents the model scores.
pub const CLASSES: usize = IntentKind::ALL.len();

/// The model shipped in the binary.
pub const EMBEDDED_MODEL: &str = include_str!("model.tsv");

static EMBEDDED: LazyLock<IntentModel> =
    LazyLock::new(|| IntentModel::parse(EMBEDDED_MODEL).expect("the embedded intent model is well formed"));

/// The model shipped in the binary, parsed once.
pub fn embedded() -> &'static IntentModel {
    &EMBEDDED
}

/// A feature as the model file names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeatureKey {
    Word(String),
    Pair(String, String),
    Opener(String),
    Concept(String),
    Fixed(Fixed),
}

impl FeatureKey {
    /// The key of a feature extracted with `lexicon` and the policy's
    /// concept ids.
    pub fn of(feature: Feature, lexicon: &Lexicon, concepts: &[String]) -> Self {
        match feature {
            Feature::Word(w) => FeatureKey::Word(lexicon.stem(w).to_owned()),
            Feature::Pair(a, b) => FeatureKey::Pair(lexicon.stem(a).to_owned(), lexicon.stem(b).to_owned()),
            Feature::Opener(w) => FeatureKey::Opener(lexicon.stem(w).to_owned()),
            Feature::Concept(i) => FeatureKey::Concept(concepts[i].clone()),
            Feature::Fixed(f) => FeatureKey::Fixed(f),
        }
    }

    fn render(&self) -> String {
        match self {
            FeatureKey::Word(w) => format!("w {w}"),
            FeatureKey::Pair(a, b) => format!("b {a} {b}"),
            FeatureKey::Opener(w) => format!("s {w}"),
            FeatureKey::Concept(c) => format!("c {c}"),
            FeatureKey::Fixed(f) => format!("f {}", f.name()),
        }
    }

    fn parse(text: &str) -> Option<Self> {
        let (kind, rest) = text.split_once(' ')?;
        Some(match kind {
            "w" => FeatureKey::Word(rest.to_owned()),
            "b" => {
                let (a, b) = rest.split_once(' ')?;
                FeatureKey::Pair(a.to_owned(), b.to_owned())
            }
            "s" => FeatureKey::Opener(rest.to_owned()),
            "c" => FeatureKey::Concept(rest.to_owned()),
            "f" => FeatureKey::Fixed(Fixed::from_name(rest)?),
            _ => return None,
        })
    }
}

/// The model as written in its file.
#[derive(Debug, Clone, Default)]
pub struct IntentModel {
    pub comments: Vec<String>,
    pub bias: [f32; CLASSES],
    pub rows: Vec<(FeatureKey, [f32; CLASSES])>,
    /// Words seen in training, with their stems.
    pub words: Vec<(String, String)>,
}

/// A model file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("intent model, line {line}: {message}")]
pub struct ModelError {
    pub line: usize,
    pub message: String,
}

impl IntentModel {
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        let mut model = IntentModel::default();
        let mut saw_classes = false;
        for (index, line) in text.lines().enumerate() {
            let error = |message: &str| ModelError {
                line: index + 1,
                message: message.to_owned(),
            };
            if let Some(comment) = line.strip_prefix('#') {
                model.comments.push(comment.trim().to_owned());
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let (key, value) = line.split_once('\t').ok_or_else(|| error("expected a tab"))?;
            match key {
                "classes" => {
                    let names: Vec<&str> = value.split(' ').collect();
                    let expected: Vec<&str> = IntentKind::ALL.iter().map(|k| k.as_str()).collect();
                    if names != expected {
                        return Err(error("the classes are not this build's intents, in order"));
                    }
                    saw_classes = true;
                }
                "bias" => model.bias = weights(value).ok_or_else(|| error("expected one weight per class"))?,
                "=" => {
                    let (word, stem) = value
                        .split_once('\t')
                        .ok_or_else(|| error("expected a word and its stem"))?;
                    model.words.push((word.to_owned(), stem.to_owned()));
                }
                _ => {
                    let feature = FeatureKey::parse(key).ok_or_else(|| error("unknown feature"))?;
                    let weights = weights(value).ok_or_else(|| error("expected one weight per class"))?;
                    model.rows.push((feature, weights));
                }
            }
        }
        if !saw_classes {
            return Err(ModelError {
                line: 1,
                message: "no classes line".to_owned(),
            });
        }
        Ok(model)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for comment in &self.comments {
            out.push_str(&format!("# {comment}\n"));
        }
        let classes: Vec<&str> = IntentKind::ALL.iter().map(|k| k.as_str()).collect();
        out.push_str(&format!("classes\t{}\n", classes.join(" ")));
        out.push_str(&format!("bias\t{}\n", render_weights(&self.bias)));
        for (key, weights) in &self.rows {
            out.push_str(&format!("{}\t{}\n", key.render(), render_weights(weights)));
        }
        for (word, stem) in &self.words {
            out.push_str(&format!("=\t{word}\t{stem}\n"));
        }
        out
    }

    /// The words seen in training, with their stems, for the lexicon.
    pub fn words(&self) -> impl Iterator<Item = (&str, &str)> {
        self.words.iter().map(|(w, s)| (w.as_str(), s.as_str()))
    }
}

fn weights(text: &str) -> Option<[f32; CLASSES]> {
    let mut out = [0.0f32; CLASSES];
    let mut parts = text.split(' ');
    for slot in &mut out {
        *slot = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// Weights as written: four decimals, zeros short.
pub fn render_weights(weights: &[f32; CLASSES]) -> String {
    weights
        .iter()
        .map(|w| {
            let rounded = (w * 10_000.0).round() / 10_000.0;
            if rounded == 0.0 {
                "0".to_owned()
            } else {
                format!("{rounded}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

const NO_ROW: u32 = u32::MAX;

/// Rows are padded to this many lanes, so adding one is a few vector
/// instructions.
const LANES: usize = 16;

/// Scores being summed, in fixed point, padded like the rows.
pub type Scores = [i32; LANES];

/// One row of weights in fixed point, as wide as the sums and aligned to a
/// cache line: a message's row is one line read and four vector additions,
/// with nothing to widen.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Row([i32; LANES]);

/// The model's weights indexed for one lexicon, for scoring at speed.
/// Weights are kept in fixed point with one scale for the whole model
/// (`scale` × 32,767 is the largest weight, so that a sum of a message's
/// weights never overflows): the error is under a ten thousandth, finer than
/// the file's four decimals.
#[derive(Debug, Clone)]
pub struct CompiledModel {
    bias: Scores,
    scale: f32,
    weights: Vec<Row>,
    /// Stem id → row of its word feature.
    word_rows: Vec<u32>,
    opener_rows: Vec<u32>,
    /// Two neighbouring stems → the row of their pair feature.
    pairs: PairTable<u32>,
    /// Policy concept index → row.
    concept_rows: Vec<u32>,
    fixed_rows: [u32; Fixed::ALL.len()],
}

impl CompiledModel {
    /// Indexes the model's rows by the stem ids of `lexicon` and the
    /// policy's `concepts`. Rows for stems or concepts they do not know are
    /// dropped (an operator may remove a concept).
    pub fn new(model: &IntentModel, lexicon: &Lexicon, concepts: &[String]) -> Self {
        let mut pair_rows: Vec<(StemId, StemId, u32)> = Vec::new();
        let mut pairs_seen = rustc_hash::FxHashSet::default();
        let largest = model
            .rows
            .iter()
            .flat_map(|(_, weights)| weights.iter())
            .chain(&model.bias)
            .fold(0.0f32, |largest, w| largest.max(w.abs()))
            .max(1e-6);
        let scale = largest / f32::from(i16::MAX);
        let fixed = |weights: &[f32; CLASSES]| {
            let mut row = [0i32; LANES];
            for (lane, w) in row.iter_mut().zip(weights) {
                *lane = i32::from((w / scale).round() as i16);
            }
            Row(row)
        };
        let mut compiled = CompiledModel {
            bias: fixed(&model.bias).0,
            scale,
            weights: Vec::with_capacity(model.rows.len()),
            word_rows: vec![NO_ROW; lexicon.stem_count()],
            opener_rows: vec![NO_ROW; lexicon.stem_count()],
            pairs: PairTable::default(),
            concept_rows: vec![NO_ROW; concepts.len()],
            fixed_rows: [NO_ROW; Fixed::ALL.len()],
        };
        for (key, weights) in &model.rows {
            let row = compiled.weights.len() as u32;
            let placed = match key {
                FeatureKey::Word(stem) => place(&mut compiled.word_rows, lexicon.stem_id(stem), row),
                FeatureKey::Opener(stem) => place(&mut compiled.opener_rows, lexicon.stem_id(stem), row),
                FeatureKey::Pair(a, b) => match (lexicon.stem_id(a), lexicon.stem_id(b)) {
                    (Some(a), Some(b)) => {
                        let fresh = pairs_seen.insert((a, b));
                        if fresh {
                            pair_rows.push((a, b, row));
                        }
                        fresh
                    }
                    _ => false,
                },
                FeatureKey::Concept(id) => place(
                    &mut compiled.concept_rows,
                    concepts.iter().position(|c| c == id).map(|i| i as StemId),
                    row,
                ),
                FeatureKey::Fixed(fixed) => {
                    compiled.fixed_rows[*fixed as usize] = row;
                    true
                }
            };
            if placed {
                compiled.weights.push(fixed(weights));
            }
        }
        compiled.pairs = PairTable::new(&pair_rows);
        compiled
    }

    /// Scores for one message, starting from the bias: give it the
    /// message's features ([`super::features::extract`]).
    pub fn scoring(&self) -> Scoring<'_> {
        Scoring {
            model: self,
            scores: self.bias,
        }
    }

    /// Adds one feature's weights to `scores`.
    #[inline(always)]
    pub fn add(&self, feature: Feature, scores: &mut Scores) {
        let row = match feature {
            Feature::Word(w) => self.word_rows.get(w as usize).copied(),
            Feature::Opener(w) => self.opener_rows.get(w as usize).copied(),
            Feature::Pair(a, b) => self.pairs.get(a, b),
            Feature::Concept(i) => self.concept_rows.get(i).copied(),
            Feature::Fixed(f) => Some(self.fixed_rows[f as usize]),
        };
        if let Some(row) = row.filter(|r| *r != NO_ROW) {
            let weights = &self.weights[row as usize].0;
            for lane in 0..LANES {
                scores[lane] += weights[lane];
            }
        }
    }

    pub fn bias(&self) -> Scores {
        self.bias
    }

    /// The class scores out of summed fixed-point scores.
    pub fn classes(&self, scores: &Scores) -> [f32; CLASSES] {
        let mut out = [0.0; CLASSES];
        for (class, score) in out.iter_mut().zip(scores) {
            *class = *score as f32 * self.scale;
        }
        out
    }

    pub fn rows(&self) -> usize {
        self.weights.len()
    }
}

/// One message's scores as its features arrive.
pub struct Scoring<'m> {
    model: &'m CompiledModel,
    pub scores: Scores,
}

impl FeatureSink for Scoring<'_> {
    #[inline(always)]
    fn feature(&mut self, feature: Feature) {
        self.model.add(feature, &mut self.scores);
    }
}

fn place(rows: &mut [u32], id: Option<StemId>, row: u32) -> bool {
    match id.and_then(|id| rows.get_mut(id as usize)) {
        Some(slot) if *slot == NO_ROW => {
            *slot = row;
            true
        }
        _ => false,
    }
}

/// Probabilities from scores (softmax) with an approximate exponential
/// (relative error under a hundred thousandth): the classifier's, where ten calls of
/// the exact one cost as much as reading a short message. Training keeps the
/// exact [`probabilities`].
pub fn probabilities_fast(scores: &[f32; CLASSES]) -> [f32; CLASSES] {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    // Sixteen lanes (the padding's exponentials are computed and ignored):
    // a loop of fixed length over plain arithmetic runs in vector registers.
    let mut exponents = [0.0f32; LANES];
    for (x, s) in exponents.iter_mut().zip(scores) {
        *x = s - max;
    }
    for x in &mut exponents {
        *x = exp_of_negative(*x);
    }
    let scale = 1.0 / exponents[..CLASSES].iter().sum::<f32>();
    let mut out = [0.0f32; CLASSES];
    for (p, e) in out.iter_mut().zip(exponents) {
        *p = e * scale;
    }
    out
}

/// `e^x` for `x <= 0`, as `2^(x log2 e)`: the nearest power of two from the
/// exponent bits, times the Taylor series of `2^f` for the remaining
/// `|f| <= 1/2` to its seventh term. Below -87 it is 2^-126 (the smallest
/// normal number), which is zero next to the best class's 1. Only float and
/// integer additions, multiplications and a shift, so that a loop over the
/// classes runs in vector registers.
#[inline]
fn exp_of_negative(x: f32) -> f32 {
    const LN2: [f32; 7] = [
        1.0,
        std::f32::consts::LN_2,
        0.240_226_5,
        0.055_504_11,
        0.009_618_129,
        0.001_333_355_8,
        0.000_154_035_3,
    ];
    // Adding 1.5 * 2^23 rounds to the nearest integer, which the low bits
    // of the sum then hold (|t| < 2^22 here).
    const ROUNDING: f32 = 12_582_912.0;
    let t = x.max(-87.0) * std::f32::consts::LOG2_E;
    let rounded = t + ROUNDING;
    let nearest = rounded.to_bits() as i32 - ROUNDING.to_bits() as i32;
    let f = t - (rounded - ROUNDING);
    let fraction = LN2.iter().rev().fold(0.0, |sum, c| sum * f + c);
    f32::from_bits(((nearest + 127) as u32) << 23) * fraction
}

/// Probabilities from scores (softmax).
pub fn probabilities(scores: &[f32; CLASSES]) -> [f32; CLASSES] {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut out = [0.0f32; CLASSES];
    let mut total = 0.0;
    for (p, s) in out.iter_mut().zip(scores) {
        *p = (s - max).exp();
        total += *p;
    }
    for p in &mut out {
        *p /= total;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_survives_rendering_and_parsing() {
        let mut model = IntentModel::default();
        model.comments.push("test".into());
        model.bias[0] = 0.5;
        model
            .rows
            .push((FeatureKey::Pair("how".into(), "much".into()), [0.25; CLASSES]));
        model.rows.push((FeatureKey::Fixed(Fixed::Asks), [-1.0; CLASSES]));
        model.words.push(("configured".into(), "configur".into()));
        let text = model.render();
        let parsed = IntentModel::parse(&text).unwrap();
        assert_eq!(parsed.render(), text);
        assert_eq!(parsed.rows.len(), 2);
    }

    #[test]
    fn a_model_for_other_intents_is_refused() {
        let text = "classes\tscope spend\nbias\t0 0\n";
        assert!(IntentModel::parse(text).unwrap_err().to_string().contains("classes"));
    }

    #[test]
    fn the_embedded_model_parses() {
        assert!(!embedded().rows.is_empty());
        assert!(!embedded().words.is_empty());
    }

    #[test]
    fn the_fast_exponential_is_close_to_the_exact_one() {
        for i in 0..=100_000 {
            let x = -(i as f32) / 1000.0;
            let (fast, exact) = (exp_of_negative(x), x.exp());
            assert!((fast - exact).abs() <= exact * 1e-5 + 1e-37, "{x}: {fast} vs {exact}");
        }
        let scores = [1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -50.0];
        for (fast, exact) in probabilities_fast(&scores).iter().zip(probabilities(&scores)) {
            assert!((fast - exact).abs() < 1e-6);
        }
    }

    #[test]
    fn probabilities_sum_to_one() {
        let p = probabilities(&[1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -50.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(p[2] > p[1] && p[1] > p[0]);
    }
}
