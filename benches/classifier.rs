//! Classifier throughput: messages per second over the labelled corpus and
//! the other phrase tables in tests/fixtures, on one thread; and the cost
//! of one hostile 20,000-character message.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use platform_desk::intent::Classifier;
use platform_desk::policy::{Policy, PolicyMatcher};

fn corpus() -> Vec<String> {
    let mut messages = Vec::new();
    for name in [
        "corpus/train.tsv",
        "corpus/test.tsv",
        "intents-dev.tsv",
        "intents-holdout.tsv",
        "intents-fresh.tsv",
        "intents-outage.tsv",
    ] {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("fixture");
        messages.extend(
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .filter_map(|l| l.split('\t').next())
                .map(str::to_owned),
        );
    }
    messages
}

fn classifier_throughput(c: &mut Criterion) {
    let policy = Policy::embedded_default().unwrap();
    let classifier = Classifier::new(PolicyMatcher::new(&policy).unwrap());
    let messages = corpus();

    let mut group = c.benchmark_group("classifier");
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            for message in &messages {
                std::hint::black_box(classifier.classify(std::hint::black_box(message)));
            }
        })
    });
    group.finish();

    // Where the time goes: folding the text, reading it through the policy's
    // vocabulary (tokens, stems, terms), and the whole classification.
    let matcher = classifier.policy_matcher().clone();
    let normalized: Vec<String> = messages.iter().map(|m| platform_desk::text::normalize(m)).collect();
    let mut group = c.benchmark_group("classifier_stages");
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.bench_function("normalize", |b| {
        b.iter(|| {
            for message in &messages {
                std::hint::black_box(platform_desk::text::normalize(std::hint::black_box(message)));
            }
        })
    });
    group.bench_function("analyze", |b| {
        let mut words = Vec::new();
        b.iter(|| {
            for message in &normalized {
                words.clear();
                matcher.lexicon().analyze(std::hint::black_box(message), &mut words);
                std::hint::black_box(&words);
            }
        })
    });
    group.bench_function("tokenize", |b| {
        b.iter(|| {
            let mut n = 0;
            for message in &normalized {
                platform_desk::language::tokens::tokenize(std::hint::black_box(message), |_| n += 1);
            }
            std::hint::black_box(n)
        })
    });
    group.bench_function("read", |b| {
        b.iter(|| {
            for message in &normalized {
                std::hint::black_box(matcher.read(std::hint::black_box(message)));
            }
        })
    });
    group.finish();

    let long = "is patching in scope? ".repeat(1000);
    let mut group = c.benchmark_group("classifier_hostile");
    group.throughput(Throughput::Elements(1));
    group.bench_function("20k_chars", |b| {
        b.iter(|| classifier.classify(std::hint::black_box(&long)))
    });
    group.finish();
}

criterion_group!(benches, classifier_throughput);
criterion_main!(benches);
