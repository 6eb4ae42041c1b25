//! Interaction latency through the fake Discord: from INTERACTION_CREATE
//! sent on the gateway to the callback received over REST, for scope
//! questions, one at a time and under a burst of 200 interactions a second;
//! and the idle memory of `platform-desk run`.
//!
//! Criterion measures the mean of one round trip; the percentiles are
//! printed by the runs below it (`cargo bench --bench discord`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake_discord::FakeDiscord;
use criterion::{Criterion, criterion_group, criterion_main};
use platform_desk::app::App;
use platform_desk::config::{Config, Secret};

fn question(d: &FakeDiscord, id: u64) -> String {
    let id = format!("{}", 3_000_000_000_000_000_000u64 + id);
    d.slash_command(
        &id,
        "scope",
        serde_json::json!([{"name": "question", "type": 3, "value": "is patching in scope?"}]),
        "2000000000000000001",
        &[],
    );
    id
}

async fn answered(d: &FakeDiscord, id: &str) -> Duration {
    loop {
        if let Some(latency) = d.callback_latency(id) {
            return latency;
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

/// True under `cargo bench` (which passes `--bench`), false under `cargo test`.
fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(what: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    println!(
        "{what}: {} interactions, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
}

fn interaction_latency(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let discord = runtime.block_on(async {
        let discord = FakeDiscord::start().await;
        let mut config = Config::default();
        config.database.url = format!("sqlite://{}", dir.path().join("bench.db").display());
        config.discord.api_proxy = Some(discord.api.clone());
        let app = Arc::new(App::build(config).await.unwrap());
        tokio::spawn(async move {
            platform_desk::discord::run(app, &Secret::new("bench-token"), std::future::pending())
                .await
                .unwrap();
        });
        discord.wait_until_ready().await;
        discord
    });
    let mut next = 0u64;

    c.bench_function("discord/scope_interaction_round_trip", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    next += 1;
                    let id = question(&discord, next);
                    total += answered(&discord, &id).await;
                }
                total
            })
        })
    });

    // The percentile runs take seconds: only under `cargo bench`, not when
    // the test suite runs each benchmark once.
    if !benchmarking() {
        return;
    }
    runtime.block_on(async {
        let mut sequential = Vec::new();
        for _ in 0..1_000 {
            next += 1;
            let id = question(&discord, next);
            sequential.push(answered(&discord, &id).await);
        }
        report("sequential scope questions", sequential);

        // 200 interactions a second for five seconds, not waiting for answers.
        let mut ids = Vec::new();
        let start = Instant::now();
        for i in 0..1_000u32 {
            let due = start + Duration::from_millis(5) * i;
            tokio::time::sleep_until(due.into()).await;
            next += 1;
            ids.push(question(&discord, next));
        }
        let mut burst = Vec::new();
        for id in &ids {
            burst.push(answered(&discord, id).await);
        }
        report("scope questions at 200 per second", burst);
    });
}

/// Resident memory of `platform-desk run`, connected and idle.
fn idle_memory(_: &mut Criterion) {
    if !benchmarking() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let discord = FakeDiscord::start().await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bot-config.toml"),
            format!("[discord]\napi_proxy = \"{}\"\n", discord.api),
        )
        .unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_platform-desk"))
            .arg("run")
            .current_dir(dir.path())
            .env("DISCORD_TOKEN", "bench-token")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_PROFILE")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        discord.wait_until_ready().await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
        let rss = status
            .lines()
            .find(|l| l.starts_with("VmRSS"))
            .unwrap_or("VmRSS: unknown")
            .to_owned();
        println!("idle `platform-desk run` (connected, release build): {rss}");
        let _ = child.kill();
        let _ = child.wait();
    });
}

criterion_group!(benches, interaction_latency, idle_memory);
criterion_main!(benches);
