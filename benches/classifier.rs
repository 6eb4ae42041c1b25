//! Classifier throughput: messages per second over a corpus of realistic chat
//! messages (the phrase tables in tests/fixtures), on one thread.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use platform_desk::intent::Classifier;
use platform_desk::policy::{Policy, PolicyMatcher};

fn corpus() -> Vec<String> {
    let mut messages = Vec::new();
    for name in ["intents-dev.tsv", "intents-holdout.tsv", "intents-fresh.tsv"] {
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
