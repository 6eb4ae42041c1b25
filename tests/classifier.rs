//! The classifier and scope verdicts, table-tested against the phrase sets in
//! `tests/fixtures/`: the held-out fifth of the labelled corpus (never used
//! for fitting or tuning), the product owner's development set, and the
//! tables the model is fitted to. Out-of-scope work is never answered
//! `in_scope`, and no question for the desk is left silent, on any table.

use platform_desk::intent::training::{self, Options, read_examples};
use platform_desk::intent::{Classifier, IntentKind};
use platform_desk::policy::{Policy, PolicyMatcher, Verdict};

struct Case {
    line: usize,
    text: String,
    intent: String,
    verdicts: Vec<String>,
}

fn load(name: &str) -> Vec<Case> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 3, "{name}:{}: expected 3 tab-separated columns", i + 1);
            Case {
                line: i + 1,
                text: cols[0].to_owned(),
                intent: cols[1].to_owned(),
                verdicts: if cols[2] == "-" {
                    vec![]
                } else {
                    cols[2].split('|').map(str::to_owned).collect()
                },
            }
        })
        .collect()
}

fn classifier() -> Classifier {
    let policy = Policy::embedded_default().unwrap();
    Classifier::new(PolicyMatcher::new(&policy).unwrap())
}

struct Score {
    cases: usize,
    intents_right: usize,
    verdicts_right: usize,
    verdicts_total: usize,
    dangerous: Vec<String>,
    silent: Vec<String>,
    misses: Vec<String>,
}

fn score(cases: &[Case]) -> Score {
    let classifier = classifier();
    let mut s = Score {
        cases: cases.len(),
        intents_right: 0,
        verdicts_right: 0,
        verdicts_total: 0,
        dangerous: vec![],
        silent: vec![],
        misses: vec![],
    };
    for case in cases {
        let c = classifier.classify(&case.text);
        let intent_ok = c.kind.as_str() == case.intent;
        if intent_ok {
            s.intents_right += 1;
        }
        if c.kind == IntentKind::None && case.intent != "none" {
            s.silent.push(format!("line {}: {:?}", case.line, case.text));
        }
        let verdict = c.verdict().map(Verdict::as_str);
        if !case.verdicts.is_empty() {
            s.verdicts_total += 1;
            if verdict.is_some_and(|v| case.verdicts.iter().any(|e| e == v)) {
                s.verdicts_right += 1;
            } else {
                s.misses.push(format!(
                    "line {}: {:?}: verdict {:?}, expected {:?}",
                    case.line, case.text, verdict, case.verdicts
                ));
            }
        }
        // Out-of-scope work answered in scope, whatever intent it was labelled.
        let unsafe_answer = verdict == Some("in_scope")
            && (case.verdicts.iter().any(|v| v == "out_of_scope") && !case.verdicts.iter().any(|v| v == "in_scope"));
        if unsafe_answer {
            s.dangerous.push(format!("line {}: {:?}", case.line, case.text));
        }
        if !intent_ok {
            s.misses.push(format!(
                "line {}: {:?}: intent {}, expected {}",
                case.line, case.text, c.kind, case.intent
            ));
        }
    }
    s
}

impl Score {
    fn intent_rate(&self) -> f64 {
        self.intents_right as f64 / self.cases as f64
    }

    fn verdict_rate(&self) -> f64 {
        if self.verdicts_total == 0 {
            return 1.0;
        }
        self.verdicts_right as f64 / self.verdicts_total as f64
    }

    fn report(&self, name: &str) {
        eprintln!(
            "{name}: intents {}/{} ({:.1}%), verdicts {}/{} ({:.1}%), silent {}, unsafe {}\n  {}",
            self.intents_right,
            self.cases,
            self.intent_rate() * 100.0,
            self.verdicts_right,
            self.verdicts_total,
            self.verdict_rate() * 100.0,
            self.silent.len(),
            self.dangerous.len(),
            self.misses.join("\n  ")
        );
    }
}

/// Scores a table and holds it to the floors given, and to the two promises
/// that hold everywhere: no unsafe in-scope answer, no silent question.
fn check(name: &str, min_intents: f64, min_verdicts: f64) {
    let cases = load(name);
    assert!(cases.len() >= 10, "{name} has too few cases");
    let s = score(&cases);
    s.report(name);
    assert!(
        s.dangerous.is_empty(),
        "{name}: out-of-scope work answered in_scope: {:#?}",
        s.dangerous
    );
    assert!(s.silent.is_empty(), "{name}: questions left silent: {:#?}", s.silent);
    assert!(
        s.intent_rate() >= min_intents,
        "{name}: intent accuracy {:.3} below {min_intents}: {:#?}",
        s.intent_rate(),
        s.misses
    );
    assert!(
        s.verdict_rate() >= min_verdicts,
        "{name}: verdict accuracy {:.3} below {min_verdicts}: {:#?}",
        s.verdict_rate(),
        s.misses
    );
}

/// The first run on this split, before anything was tuned on it, was
/// 129/136 intents (94.9%) and 39/45 verdicts (86.7%), with no question left
/// silent and no unsafe answer (see the README). Those are its floors: it is
/// never tuned on, so it can only tell whether later work made it worse.
#[test]
fn the_held_out_fifth_of_the_corpus_is_classified_well() {
    check("corpus/test.tsv", 0.94, 0.86);
}

/// A second held-out set, written after the classifier was tuned. Its
/// first run: 151/158 intents (95.6%), 48/52 verdicts (92.3%), no unsafe
/// answer, one question left silent ("..., can someone ... speed it up":
/// "someone" blocked the answer and "speed" was read as a typo of "spend").
/// Both causes were fixed in general (only an @-mention of a person now
/// says a question is not for the desk; a changed letter is forgiven only
/// in words of seven letters or more), so the floors hold it to no silence.
/// Widening hands-on work after an outside review found unsafe answers
/// ("nuke the load balancers, our bill is too high") turned one in-scope
/// review into "unclear" here (a role named "app-deployer" reads as
/// "deploy"): the safe direction, hence a verdict floor of 90%.
#[test]
fn the_second_held_out_set_is_classified_well() {
    check("corpus/fresh.tsv", 0.95, 0.90);
}

/// A third held-out set, written on 2026-11-29 by two more writers and
/// committed before its first run: 195/200 intents (97.5%), 60/70 verdicts
/// (85.7%), no unsafe answer, one question left silent ("..., need someone
/// to roll out the new release ...": a request after a comma). Fixed in
/// general, not per sentence: "need/want someone|you to" asks anywhere in a
/// message; a hands-on verb after "the", "our"... is a noun ("the deploy
/// role"); looking at or over a setup is a configuration review; shutting
/// down, switching off, downsizing and rolling out are changes. After them:
/// 197/200 and 67/70, and no other table moved.
#[test]
fn the_third_held_out_set_is_classified_well() {
    check("corpus/third.tsv", 0.97, 0.95);
}

#[test]
fn the_development_set_is_classified_well() {
    check("intents-dev.tsv", 0.95, 0.95);
}

#[test]
fn the_tables_the_model_was_fitted_to_are_classified_well() {
    for name in [
        "corpus/train.tsv",
        "intents-holdout.tsv",
        "intents-fresh.tsv",
        "intents-outage.tsv",
    ] {
        check(name, 0.95, 0.95);
    }
}

#[test]
fn every_expected_intent_name_is_a_real_intent() {
    let names: Vec<&str> = IntentKind::ALL.iter().map(|k| k.as_str()).collect();
    for name in [
        "corpus/train.tsv",
        "corpus/test.tsv",
        "corpus/fresh.tsv",
        "corpus/third.tsv",
        "intents-dev.tsv",
        "intents-holdout.tsv",
        "intents-fresh.tsv",
        "intents-outage.tsv",
    ] {
        for case in load(name) {
            assert!(
                names.contains(&case.intent.as_str()),
                "{name}:{}: {}",
                case.line,
                case.intent
            );
        }
    }
}

#[test]
fn the_committed_model_is_what_the_trainer_makes_of_the_corpus() {
    let policy = Policy::embedded_default().unwrap();
    let examples = training::training_examples(env!("CARGO_MANIFEST_DIR")).unwrap();
    let options = Options::default();
    let model = training::train(&policy, &examples, &options).unwrap();
    let rendered = training::with_provenance(model, examples.len(), &options).render();
    let committed = platform_desk::intent::model::EMBEDDED_MODEL;
    assert!(
        rendered == committed,
        "src/intent/model.tsv is not what the corpus gives: run `cargo run --release --example train-classifier` and commit the result"
    );
}

#[test]
fn the_held_out_split_is_not_among_the_training_tables() {
    for table in training::TRAINING_TABLES {
        assert!(!table.contains("test.tsv") && !table.contains("intents-dev"), "{table}");
    }
    let train = read_examples(
        &std::fs::read_to_string(format!(
            "{}/tests/fixtures/corpus/train.tsv",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    for case in load("corpus/test.tsv").into_iter().chain(load("corpus/third.tsv")) {
        assert!(
            !train.iter().any(|t| t.text.eq_ignore_ascii_case(&case.text)),
            "{:?} is both held out and trained on",
            case.text
        );
    }
}

/// The figures the README states for today are the figures measured: each
/// row's counts are checked against a fresh run of its tables.
#[test]
fn the_readme_states_todays_figures() {
    let readme = std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let rows: [(&str, &[&str]); 5] = [
        ("`corpus/test.tsv` today", &["corpus/test.tsv"]),
        (
            "`corpus/third.tsv` after the causes of its misses were fixed in general",
            &["corpus/third.tsv"],
        ),
        ("`corpus/fresh.tsv` today", &["corpus/fresh.tsv"]),
        ("`intents-dev.tsv` (development set)", &["intents-dev.tsv"]),
        (
            "the tables the model was fitted to",
            &[
                "corpus/train.tsv",
                "intents-holdout.tsv",
                "intents-fresh.tsv",
                "intents-outage.tsv",
            ],
        ),
    ];
    for (label, tables) in rows {
        let cases: Vec<Case> = tables.iter().flat_map(|t| load(t)).collect();
        let s = score(&cases);
        let expected = format!(
            "| {} | {} ({:.1}%) | {}/{} ({:.1}%) | {} | {} |",
            s.cases,
            s.intents_right,
            s.intent_rate() * 100.0,
            s.verdicts_right,
            s.verdicts_total,
            s.verdict_rate() * 100.0,
            s.silent.len(),
            s.dangerous.len()
        )
        .replace("(100.0%)", "(100%)");
        let line = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {label}")))
            .unwrap_or_else(|| panic!("the README has no row for {label}"));
        assert!(line.ends_with(&expected), "README: {line}\nmeasured: {expected}");
    }
}
