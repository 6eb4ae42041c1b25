//! Fits the intent model to the labelled corpus and writes it where the
//! binary embeds it. Run from the repository's root:
//!
//! ```sh
//! cargo run --release --example train-classifier            # writes src/intent/model.tsv
//! cargo run --release --example train-classifier -- --cv 5  # 5-fold cross-validation on the training tables only
//! cargo run --release --example train-classifier -- --eval tests/fixtures/intents-dev.tsv
//! cargo run --release --example train-classifier -- --verdicts   # scope verdicts on the training tables
//! cargo run --release --example train-classifier -- --explain "is patching in scope?"
//! ```
//!
//! Options for tuning (with `--cv`): `--epochs N`, `--learning-rate X`,
//! `--l2 X`, `--min-pair-count N`. The held-out split
//! (`tests/fixtures/corpus/test.tsv`) is never read here.

use std::process::ExitCode;

use platform_desk::intent::training::{self, Example, Options};
use platform_desk::intent::{Classifier, IntentKind};
use platform_desk::policy::{Policy, Verdict};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("train-classifier: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options::default();
    let mut folds = None;
    let mut eval = None;
    let mut verdicts = false;
    let mut explain = None;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--cv" => folds = Some(value()?.parse::<usize>().map_err(|e| e.to_string())?),
            "--eval" => eval = Some(value()?),
            "--verdicts" => verdicts = true,
            "--explain" => explain = Some(value()?),
            "--epochs" => options.epochs = value()?.parse().map_err(|e| format!("--epochs: {e}"))?,
            "--learning-rate" => {
                options.learning_rate = value()?.parse().map_err(|e| format!("--learning-rate: {e}"))?
            }
            "--l2" => options.l2 = value()?.parse().map_err(|e| format!("--l2: {e}"))?,
            "--min-pair-count" => {
                options.min_pair_count = value()?.parse().map_err(|e| format!("--min-pair-count: {e}"))?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let policy = Policy::embedded_default().map_err(|e| e.to_string())?;
    let examples = training::training_examples(env!("CARGO_MANIFEST_DIR"))?;

    if let Some(text) = explain {
        let matcher = platform_desk::policy::PolicyMatcher::new(&policy).map_err(|e| e.to_string())?;
        let reading = matcher.read(&platform_desk::text::normalize(&text));
        let lexicon = matcher.lexicon();
        let words: Vec<String> = reading
            .words
            .iter()
            .map(|id| match *id {
                id if platform_desk::language::lexicon::is_stem(id) => lexicon.stem(id).to_owned(),
                platform_desk::language::lexicon::UNKNOWN => "?".to_owned(),
                _ => "|".to_owned(),
            })
            .collect();
        println!("words:    {}", words.join(" "));
        let scope = &reading.scope;
        let title = |i: Option<usize>| i.map_or("-".to_owned(), |i| policy.scope[i].id.clone());
        println!(
            "scope:    {} (in {} {}, out {} {}, hands-on {})",
            scope.verdict.as_str(),
            scope.best_in_scope,
            title(scope.best_in_scope_item),
            scope.best_out_of_scope,
            title(scope.best_out_of_scope_item),
            scope.names_hands_on_work
        );
        let concepts: Vec<&str> = matcher
            .concept_ids()
            .iter()
            .enumerate()
            .filter(|(i, _)| reading.concepts & 1 << i != 0)
            .map(|(_, c)| c.as_str())
            .collect();
        println!("concepts: {}", concepts.join(" "));
        let classification = Classifier::new(matcher).classify(&text);
        println!(
            "intent:   {} ({:.2}{}), {:?}",
            classification.kind,
            classification.score,
            if classification.rescued { ", rescued" } else { "" },
            classification.address
        );
        return Ok(());
    }
    if verdicts {
        let classifier =
            Classifier::new(platform_desk::policy::PolicyMatcher::new(&policy).map_err(|e| e.to_string())?);
        let cases: Vec<&Example> = examples.iter().filter(|e| !e.verdicts.is_empty()).collect();
        let mut right = 0;
        let mut unsafe_answers = 0;
        for case in &cases {
            let verdict = classifier.assess_scope(&case.text).verdict;
            if case.verdicts.contains(&verdict) {
                right += 1;
            } else {
                if verdict == Verdict::InScope {
                    unsafe_answers += 1;
                }
                let expected: Vec<&str> = case.verdicts.iter().map(|v| v.as_str()).collect();
                println!("  {:>24} -> {:<12} {}", expected.join("|"), verdict.as_str(), case.text);
            }
        }
        println!(
            "scope verdicts on the training tables: {right}/{} right, {unsafe_answers} in_scope for out-of-scope work",
            cases.len()
        );
        return Ok(());
    }
    if let Some(path) = eval {
        let table = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let cases = training::read_examples(&table).map_err(|e| format!("{path}: {e}"))?;
        let model = training::train(&policy, &examples, &options).map_err(|e| e.to_string())?;
        let classifier = Classifier::with_model(&policy, &model).map_err(|e| e.to_string())?;
        let predicted: Vec<IntentKind> = cases.iter().map(|c| classifier.classify(&c.text).kind).collect();
        report(&path, &cases, &predicted);
        return Ok(());
    }
    if let Some(folds) = folds {
        let predicted = training::cross_validate(&policy, &examples, folds, &options).map_err(|e| e.to_string())?;
        report(
            &format!("{folds}-fold cross-validation, {options:?}"),
            &examples,
            &predicted,
        );
        return Ok(());
    }
    let model = training::train(&policy, &examples, &options).map_err(|e| e.to_string())?;
    let text = training::with_provenance(model, examples.len(), &options).render();
    let path = format!("{}/src/intent/model.tsv", env!("CARGO_MANIFEST_DIR"));
    std::fs::write(&path, &text).map_err(|e| format!("{path}: {e}"))?;
    eprintln!(
        "wrote {path} ({} bytes, trained on {} messages)",
        text.len(),
        examples.len()
    );
    Ok(())
}

fn report(what: &str, cases: &[Example], predicted: &[IntentKind]) {
    let right = cases.iter().zip(predicted).filter(|(c, p)| c.kind == **p).count();
    let silent = cases
        .iter()
        .zip(predicted)
        .filter(|(c, p)| c.kind != IntentKind::None && **p == IntentKind::None)
        .count();
    println!(
        "{what}: {right}/{} intents ({:.1}%), {silent} questions left silent",
        cases.len(),
        100.0 * right as f64 / cases.len() as f64
    );
    for (case, p) in cases.iter().zip(predicted) {
        if case.kind != *p {
            println!("  {:>12} -> {:<12} {}", case.kind.as_str(), p.as_str(), case.text);
        }
    }
}
