//! The classifier and scope verdicts, table-tested against the phrase sets in
//! `tests/fixtures/`: the product owner's development set and our own
//! held-out phrasings. Thresholds are the issue's: at least 90% of intents and
//! of scope verdicts right, and never `in_scope` for out-of-scope work.

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
    intents_right: usize,
    verdicts_right: usize,
    verdicts_total: usize,
    dangerous: Vec<String>,
    misses: Vec<String>,
}

fn score(cases: &[Case]) -> Score {
    let classifier = classifier();
    let mut s = Score {
        intents_right: 0,
        verdicts_right: 0,
        verdicts_total: 0,
        dangerous: vec![],
        misses: vec![],
    };
    for case in cases {
        let c = classifier.classify(&case.text);
        let intent_ok = c.kind.as_str() == case.intent;
        if intent_ok {
            s.intents_right += 1;
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
            if verdict == Some("in_scope") && !case.verdicts.iter().any(|v| v == "in_scope") {
                s.dangerous.push(format!("line {}: {:?}", case.line, case.text));
            }
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

fn check(name: &str) {
    let cases = load(name);
    assert!(cases.len() >= 30, "{name} has too few cases");
    let s = score(&cases);
    let intent_rate = s.intents_right as f64 / cases.len() as f64;
    let verdict_rate = s.verdicts_right as f64 / s.verdicts_total.max(1) as f64;
    eprintln!(
        "{name}: intents {}/{} ({:.1}%), verdicts {}/{} ({:.1}%)\n  {}",
        s.intents_right,
        cases.len(),
        intent_rate * 100.0,
        s.verdicts_right,
        s.verdicts_total,
        verdict_rate * 100.0,
        s.misses.join("\n  ")
    );
    assert!(
        s.dangerous.is_empty(),
        "out-of-scope work answered in_scope: {:#?}",
        s.dangerous
    );
    assert!(
        intent_rate >= 0.9,
        "intent accuracy {intent_rate:.3} below 0.9: {:#?}",
        s.misses
    );
    assert!(
        verdict_rate >= 0.9,
        "verdict accuracy {verdict_rate:.3} below 0.9: {:#?}",
        s.misses
    );
}

#[test]
fn the_development_set_is_classified_well_enough() {
    check("intents-dev.tsv");
}

#[test]
fn our_held_out_phrasings_are_classified_well_enough() {
    check("intents-holdout.tsv");
}

#[test]
fn a_second_set_of_fresh_phrasings_is_classified_well_enough() {
    check("intents-fresh.tsv");
}

#[test]
fn outage_phrasings_are_all_classified() {
    let cases = load("intents-outage.tsv");
    assert!(cases.len() >= 10);
    let s = score(&cases);
    assert_eq!(s.intents_right, cases.len(), "{:#?}", s.misses);
}

#[test]
fn every_expected_intent_name_is_a_real_intent() {
    let names: Vec<&str> = IntentKind::ALL.iter().map(|k| k.as_str()).collect();
    for name in [
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
