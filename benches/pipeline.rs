//! A scope answer end to end, Inbound → Reply (classification, the scope
//! service, reply building and Discord-limit fitting), and ticket creations
//! per second on SQLite in WAL mode with synchronous = NORMAL and, when
//! `PLATFORM_DESK_BENCH_POSTGRES` names a PostgreSQL server
//! (`postgres://user@host:port`, no database; a new database is made on it),
//! on PostgreSQL with the server's settings; a warm spend
//! answer; and the steady-state cost of an AWS Health poll and of an outage
//! answer with 200 known events.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::sync::Arc;

use async_trait::async_trait;
use platform_desk::app::App;
use platform_desk::aws::accounts::NoAccounts;
use platform_desk::aws::billing::{Billing, CostLine, CostQuery, CostReport, Forecast};
use platform_desk::aws::health::{Health, HealthEvent};
use platform_desk::aws::{AwsError, AwsServices};
use platform_desk::clock::SystemClock;
use platform_desk::config::Config;
use platform_desk::domain::{Role, Severity};
use platform_desk::inbound::{Actor, Inbound};
use platform_desk::store::tickets::ActorRef;
use platform_desk::store::{CaseState, NewTicket, Store};

fn actor() -> Actor {
    Actor {
        user_id: "1001".into(),
        display_name: "bench".into(),
        role: Role::Customer,
        role_ids: Vec::new(),
        guild_id: Some("1".into()),
        channel_id: Some("2".into()),
    }
}

/// A one-thread runtime, a temporary directory, and the default
/// configuration with its database in that directory.
fn setup(database: &str) -> (tokio::runtime::Runtime, tempfile::TempDir, Config) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.database.url = format!("sqlite://{}", dir.path().join(database).display());
    (runtime, dir, config)
}

fn scope_answer_end_to_end(c: &mut Criterion) {
    let (runtime, _dir, config) = setup("bench.db");
    let app = runtime.block_on(App::build(config)).unwrap();

    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(1));
    for (name, text) in [
        (
            "scope_free_text",
            "Can you install the latest security patches on our Linux instances?",
        ),
        ("scope_slash", "/scope question:\"is IAM in scope?\""),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(app.handle(Inbound::text(actor(), std::hint::black_box(text)))))
        });
    }
    group.finish();
}

const CONCURRENT_CREATORS: usize = 32;

fn ticket_creations(c: &mut Criterion) {
    let (runtime, _dir, config) = setup("tickets.db");
    ticket_creations_on(c, "store", &runtime, &config.database.url);
    if let Some(server) = std::env::var("PLATFORM_DESK_BENCH_POSTGRES")
        .ok()
        .filter(|url| !url.trim().is_empty())
    {
        let url = runtime.block_on(new_postgres_database(server.trim().trim_end_matches('/')));
        ticket_creations_on(c, "store_postgres", &runtime, &url);
    }
}

/// Makes an empty database on a PostgreSQL server; its URL.
async fn new_postgres_database(server: &str) -> String {
    use sqlx::{Connection, Executor};
    let name = format!("pd_bench_{}_{}", std::process::id(), fastrand::u32(..));
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("the PostgreSQL server named by PLATFORM_DESK_BENCH_POSTGRES");
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    format!("{server}/{name}")
}

fn ticket_creations_on(c: &mut Criterion, group_name: &str, runtime: &tokio::runtime::Runtime, url: &str) {
    let store = runtime.block_on(Store::open(url)).unwrap();
    let ticket = NewTicket {
        subject: "EC2 status checks failing".into(),
        description: "Instance i-0abc fails system status checks since 10:42 UTC.".into(),
        severity: Severity::High,
        customer: Some("acme".into()),
        account_id: Some("123456789012".parse().unwrap()),
        aws_service: Some("ec2".into()),
        opened_by: ActorRef {
            id: "1001".into(),
            name: "bench".into(),
            role: Role::Engineer,
        },
        guild_id: None,
        channel_id: None,
        case_state: CaseState::Pending,
    };

    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(1));
    group.bench_function("open_ticket", |b| {
        b.iter(|| {
            runtime
                .block_on(store.open_ticket(&ticket, time::OffsetDateTime::now_utc()))
                .unwrap()
        })
    });
    // Thirty-two creators at once, as a busy desk or several instances
    // would: each iteration opens 32 tickets concurrently and waits for all.
    group.throughput(Throughput::Elements(CONCURRENT_CREATORS as u64));
    group.bench_function("open_ticket_32_concurrent", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let creations =
                    (0..CONCURRENT_CREATORS).map(|_| store.open_ticket(&ticket, time::OffsetDateTime::now_utc()));
                for created in futures_util::future::join_all(creations).await {
                    created.unwrap();
                }
            })
        })
    });
    group.finish();
}

/// Thirty days of costs for three accounts and eight services; only its first
/// answer is ever fetched, the benchmark measures the cached path.
struct MonthOfCosts;

#[async_trait]
impl Billing for MonthOfCosts {
    async fn cost_and_usage(&self, query: &CostQuery) -> Result<CostReport, AwsError> {
        let mut lines = Vec::new();
        let mut day = query.start;
        while day < query.end {
            for account in ["111111111111", "222222222222", "333333333333"] {
                for service in 0..8 {
                    lines.push(CostLine {
                        date: day,
                        account: account.into(),
                        service: format!("Service {service}"),
                        amount: 10.0 + f64::from(service),
                    });
                }
            }
            day = day.next_day().unwrap();
        }
        Ok(CostReport {
            lines,
            unit: "USD".into(),
            estimated_days: vec![],
            requests: 1,
        })
    }
    async fn forecast(&self, _: &CostQuery) -> Result<Forecast, AwsError> {
        Err(AwsError::Rejected("DataUnavailableException".into()))
    }
}

fn warm_spend_answer(c: &mut Criterion) {
    let (runtime, _dir, config) = setup("spend.db");
    let aws = AwsServices {
        billing: Arc::new(MonthOfCosts),
        accounts: Arc::new(NoAccounts),
        ..AwsServices::unconfigured()
    };
    let app = runtime
        .block_on(App::build_with(config, aws, Arc::new(SystemClock)))
        .unwrap();
    let mut engineer = actor();
    engineer.role = Role::Engineer;
    let ask = || Inbound::text(engineer.clone(), "how much have we spent this month?");
    // The first answer fills the cache; every one after is warm.
    let first = runtime.block_on(app.handle(ask()));
    assert!(serde_json::to_string(&first.reply.embeds).unwrap().contains("USD"));

    let mut group = c.benchmark_group("spend");
    group.throughput(Throughput::Elements(1));
    group.bench_function("warm_month_to_date", |b| b.iter(|| runtime.block_on(app.handle(ask()))));
    group.finish();
}

/// 200 Health events, unchanged from one poll to the next.
struct SteadyHealth;

fn steady_events() -> Vec<HealthEvent> {
    (0..200)
        .map(|n| HealthEvent {
            arn: format!("arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/{n}"),
            service: "EC2".into(),
            event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
            region: "us-east-1".into(),
            status: "open".into(),
            public: true,
            start: Some(time::macros::datetime!(2026-11-29 08:00 UTC)),
            end: None,
            last_updated: Some(time::macros::datetime!(2026-11-29 08:00 UTC) + time::Duration::seconds(n)),
            description: None,
            affected_accounts: Default::default(),
        })
        .collect()
}

#[async_trait]
impl Health for SteadyHealth {
    async fn issues(&self) -> Result<Vec<HealthEvent>, AwsError> {
        Ok(steady_events())
    }
    async fn complete(&self, events: &mut [HealthEvent]) -> Result<(), AwsError> {
        for event in events {
            event.description = Some("Elevated error rates for EC2 APIs in US-EAST-1.".into());
        }
        Ok(())
    }
}

fn outages(c: &mut Criterion) {
    let (runtime, _dir, mut config) = setup("outages.db");
    config.aws.enabled = Some(true);
    let aws = AwsServices {
        health: Arc::new(SteadyHealth),
        ..AwsServices::unconfigured()
    };
    let app = runtime
        .block_on(App::build_with(config, aws, Arc::new(SystemClock)))
        .unwrap();
    let poller = app.health_poller().unwrap();
    runtime.block_on(poller.poll_once()).unwrap();

    let mut group = c.benchmark_group("outages");
    group.throughput(Throughput::Elements(1));
    group.bench_function("health_poll_200_unchanged_events", |b| {
        b.iter(|| runtime.block_on(poller.poll_once()).unwrap())
    });
    group.bench_function("status_answer_200_open_outages", |b| {
        b.iter(|| runtime.block_on(app.handle(Inbound::text(actor(), std::hint::black_box("is AWS down right now?")))))
    });
    group.finish();
}

criterion_group!(
    benches,
    scope_answer_end_to_end,
    ticket_creations,
    warm_spend_answer,
    outages
);
criterion_main!(benches);
