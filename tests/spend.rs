//! Spend and estimates through the pipeline, with Cost Explorer and
//! Organizations replaced by counting in-memory fakes and time by a fixed
//! clock: right figures, private to their customer, cheap (cached across
//! restarts, one request for a burst), and month boundaries handled.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use common::fakes::{FakeClock, FakeSupport};
use platform_desk::answer::Answer;
use platform_desk::app::App;
use platform_desk::aws::accounts::{Accounts, OrgAccount};
use platform_desk::aws::billing::{Billing, CostLine, CostQuery, CostReport, Forecast};
use platform_desk::aws::{AwsError, AwsServices};
use platform_desk::config::{Config, CustomerConfig};
use platform_desk::domain::{AccountId, Role};
use platform_desk::inbound::{Actor, Inbound};
use platform_desk::intent::IntentKind;
use time::macros::{date, datetime};

#[derive(Default)]
struct FakeBilling {
    requests: AtomicUsize,
    forecasts: AtomicUsize,
    forecast_fails: bool,
    queries: std::sync::Mutex<Vec<CostQuery>>,
}

#[async_trait]
impl Billing for FakeBilling {
    async fn cost_and_usage(&self, query: &CostQuery) -> Result<CostReport, AwsError> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.queries.lock().unwrap().push(query.clone());
        // Slow enough that concurrent questions overlap.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let mut lines = Vec::new();
        let mut day = query.start;
        // 100.00 + 20.00 + 3.456 a day over the accounts asked for (or all).
        let accounts: Vec<String> = if query.accounts.is_empty() {
            vec!["111111111111".into(), "222222222222".into()]
        } else {
            query.accounts.iter().map(|a| a.as_str().to_owned()).collect()
        };
        while day < query.end {
            for account in &accounts {
                for (service, amount) in [("Amazon EC2", 100.0), ("Amazon S3", 20.0), ("AWS Lambda", 3.456)] {
                    lines.push(CostLine {
                        date: day,
                        account: account.clone(),
                        service: service.into(),
                        amount,
                    });
                }
            }
            day = day.next_day().unwrap();
        }
        Ok(CostReport {
            lines,
            unit: "USD".into(),
            estimated_days: vec![query.end.previous_day().unwrap()],
            requests: 1,
        })
    }

    async fn forecast(&self, _query: &CostQuery) -> Result<Forecast, AwsError> {
        self.forecasts.fetch_add(1, Ordering::SeqCst);
        if self.forecast_fails {
            return Err(AwsError::Rejected("DataUnavailableException: insufficient data".into()));
        }
        Ok(Forecast {
            mean: 500.0,
            low: Some(450.0),
            high: Some(560.0),
            unit: "USD".into(),
        })
    }
}

struct FakeAccounts;

#[async_trait]
impl Accounts for FakeAccounts {
    async fn list_accounts(&self) -> Result<Vec<OrgAccount>, AwsError> {
        Ok(vec![
            OrgAccount {
                id: "111111111111".into(),
                name: "acme-prod".into(),
                status: "ACTIVE".into(),
            },
            OrgAccount {
                id: "222222222222".into(),
                name: "globex-main".into(),
                status: "ACTIVE".into(),
            },
        ])
    }
    async fn tags(&self, account: &AccountId) -> Result<Vec<(String, String)>, AwsError> {
        Ok(if account.as_str() == "111111111111" {
            vec![("cam:optimized".into(), "true".into()), ("team".into(), "web".into())]
        } else {
            vec![("team".into(), "data".into())]
        })
    }
}

struct Harness {
    app: App,
    billing: Arc<FakeBilling>,
    dir: tempfile::TempDir,
}

fn config(dir: &tempfile::TempDir) -> Config {
    let mut config = Config::default();
    config.database.url = common::database::url(dir.path(), "t.db");
    config.customers = vec![
        CustomerConfig {
            name: "acme".into(),
            account_ids: vec!["111111111111".parse().unwrap()],
            guild_ids: vec!["500".into()],
            channel_ids: vec![],
            role_ids: vec![],
            user_ids: vec!["2001".into()],
        },
        CustomerConfig {
            name: "globex".into(),
            account_ids: vec!["222222222222".parse().unwrap()],
            guild_ids: vec![],
            channel_ids: vec![],
            role_ids: vec![],
            user_ids: vec!["3001".into()],
        },
    ];
    config
}

async fn app_with(dir: &tempfile::TempDir, billing: Arc<FakeBilling>, now: time::OffsetDateTime) -> App {
    let aws = AwsServices {
        cases: Arc::new(FakeSupport::default()),
        billing,
        accounts: Arc::new(FakeAccounts),
        ..AwsServices::unconfigured()
    };
    App::build_with(config(dir), aws, Arc::new(FakeClock::at(now)))
        .await
        .unwrap()
}

async fn harness_at(now: time::OffsetDateTime, forecast_fails: bool) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let billing = Arc::new(FakeBilling {
        forecast_fails,
        ..FakeBilling::default()
    });
    let app = app_with(&dir, billing.clone(), now).await;
    Harness { app, billing, dir }
}

fn person(user: &str, role: Role, guild: Option<&str>) -> Actor {
    Actor {
        user_id: user.into(),
        display_name: format!("user {user}"),
        role,
        role_ids: vec![],
        guild_id: guild.map(str::to_owned),
        channel_id: None,
    }
}

async fn ask(app: &App, actor: Actor, text: &str) -> Answer {
    let answer = app.handle(Inbound::text(actor, text)).await;
    assert!(answer.reply.limit_violations().is_empty());
    answer
}

fn text_of(answer: &Answer) -> String {
    serde_json::to_string(&answer.reply.embeds).unwrap()
}

const NOV_28: time::OffsetDateTime = datetime!(2026-11-28 10:00 UTC);

#[tokio::test]
async fn an_engineer_sees_the_month_to_date_total_by_account_and_service() {
    let h = harness_at(NOV_28, false).await;
    let answer = ask(
        &h.app,
        person("9001", Role::Engineer, None),
        "how much have we spent this month?",
    )
    .await;
    assert_eq!(answer.intent, IntentKind::Spend);
    let text = text_of(&answer);
    // 27 complete days × 2 accounts × 123.456
    assert!(text.contains("6,666.62 USD"), "{text}");
    assert!(text.contains("acme-prod (111111111111)"), "{text}");
    assert!(text.contains("Amazon EC2: 5,400.00 USD (81%)"), "{text}");
    assert!(text.contains("still estimated"), "{text}");
    assert!(text.contains("Cost Explorer requests this month: 1"), "{text}");
    let chart = &answer.reply.attachments[0];
    assert_eq!(chart.filename, "spend.png");
    assert_eq!(&chart.bytes[..4], b"\x89PNG");
    assert_eq!(
        answer.reply.embeds[0].image.as_ref().unwrap().url,
        "attachment://spend.png"
    );
    let query = h.billing.queries.lock().unwrap()[0].clone();
    assert_eq!((query.start, query.end), (date!(2026 - 11 - 01), date!(2026 - 11 - 28)));
    assert!(query.accounts.is_empty(), "engineers see every account");
}

#[tokio::test]
async fn a_customer_sees_only_their_accounts_and_privately_in_a_shared_channel() {
    let h = harness_at(NOV_28, false).await;
    let answer = ask(
        &h.app,
        person("2001", Role::Customer, Some("500")),
        "what did we spend so far this month?",
    )
    .await;
    assert!(answer.reply.ephemeral);
    let text = text_of(&answer);
    assert!(text.contains("3,333.31 USD"), "{text}");
    assert!(!text.contains("222222222222") && !text.contains("globex"), "{text}");
    assert!(
        !text.contains("requests this month"),
        "the request count is for engineers: {text}"
    );
    let query = h.billing.queries.lock().unwrap()[0].clone();
    assert_eq!(query.accounts, vec!["111111111111".parse::<AccountId>().unwrap()]);
}

#[tokio::test]
async fn an_unmapped_asker_gets_no_figures() {
    let h = harness_at(NOV_28, false).await;
    let answer = ask(
        &h.app,
        person("4242", Role::Customer, None),
        "how much have we spent this month?",
    )
    .await;
    assert!(!text_of(&answer).contains("USD"));
    assert_eq!(h.billing.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn another_customers_account_is_refused_like_an_unknown_one() {
    let h = harness_at(NOV_28, false).await;
    let theirs = ask(
        &h.app,
        person("2001", Role::Customer, None),
        "/spend account:222222222222",
    )
    .await;
    let unknown = ask(
        &h.app,
        person("2001", Role::Customer, None),
        "/spend account:999999999999",
    )
    .await;
    let message = |a: &Answer| a.reply.embeds[0].description.clone().unwrap();
    assert_eq!(
        message(&theirs).replace("222222222222", "X"),
        message(&unknown).replace("999999999999", "X")
    );
    assert_eq!(h.billing.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_estimate_adds_the_forecast_and_names_its_method() {
    let h = harness_at(NOV_28, false).await;
    let answer = ask(
        &h.app,
        person("9001", Role::Engineer, None),
        "what will our bill be at the end of the month?",
    )
    .await;
    assert_eq!(answer.intent, IntentKind::Estimate);
    let text = text_of(&answer);
    assert!(
        text.contains("7,166.62 USD"),
        "6,666.62 so far + 500.00 forecast: {text}"
    );
    assert!(text.contains("Method: forecast"), "{text}");
    assert!(text.contains("7,116.62 USD to 7,226.62 USD"), "{text}");
    assert_eq!(answer.reply.attachments[0].filename, "estimate.png");
}

#[tokio::test]
async fn without_a_forecast_the_estimate_falls_back_to_the_run_rate() {
    let h = harness_at(NOV_28, true).await;
    let answer = ask(&h.app, person("9001", Role::Engineer, None), "/estimate").await;
    let text = text_of(&answer);
    // 6,666.62 over 27 days × 30 days
    assert!(text.contains("7,407.36 USD"), "{text}");
    assert!(text.contains("Method: daily run-rate"), "{text}");
    assert!(text.contains("not enough data yet"), "{text}");
}

#[tokio::test]
async fn on_the_first_of_the_month_last_months_closing_figure_is_shown() {
    let h = harness_at(datetime!(2026-12-01 08:00 UTC), true).await;
    let answer = ask(
        &h.app,
        person("9001", Role::Engineer, None),
        "month to date cost for our accounts",
    )
    .await;
    let text = text_of(&answer);
    assert!(text.contains("November 2026 closed at 7,407.36 USD"), "30 days: {text}");
    assert!(text.contains("no complete day"), "{text}");
    let estimate = ask(&h.app, person("9001", Role::Engineer, None), "/estimate").await;
    assert!(
        text_of(&estimate).contains("can't estimate this month yet"),
        "{}",
        text_of(&estimate)
    );
}

#[tokio::test]
async fn a_leap_february_is_counted_to_the_29th() {
    let h = harness_at(datetime!(2028-02-29 12:00 UTC), true).await;
    let answer = ask(&h.app, person("9001", Role::Engineer, None), "/estimate").await;
    // 28 complete days so far; 29 days in the month.
    assert!(
        text_of(&answer).contains("over 28 complete days, times 29 days"),
        "{}",
        text_of(&answer)
    );
}

#[tokio::test]
async fn a_hundred_identical_questions_make_one_request_also_across_a_restart() {
    let h = harness_at(NOV_28, false).await;
    for _ in 0..100 {
        ask(
            &h.app,
            person("9001", Role::Engineer, None),
            "how much have we spent this month?",
        )
        .await;
    }
    assert_eq!(h.billing.requests.load(Ordering::SeqCst), 1);
    // A new process on the same database does not pay again.
    let restarted = app_with(&h.dir, h.billing.clone(), NOV_28 + time::Duration::minutes(30)).await;
    let answer = ask(
        &restarted,
        person("9001", Role::Engineer, None),
        "how much have we spent this month?",
    )
    .await;
    assert!(text_of(&answer).contains("(cached)"));
    assert_eq!(h.billing.requests.load(Ordering::SeqCst), 1);
    // Past the TTL it asks again.
    let later = app_with(&h.dir, h.billing.clone(), NOV_28 + time::Duration::minutes(61)).await;
    ask(
        &later,
        person("9001", Role::Engineer, None),
        "how much have we spent this month?",
    )
    .await;
    assert_eq!(h.billing.requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn fifty_concurrent_questions_make_one_request() {
    let h = harness_at(NOV_28, false).await;
    let app = Arc::new(h.app);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.handle(Inbound::text(
                person("9001", Role::Engineer, None),
                "how much have we spent this month?",
            ))
            .await
        }));
    }
    for task in tasks {
        assert!(text_of(&task.await.unwrap()).contains("6,666.62 USD"));
    }
    assert_eq!(h.billing.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn without_aws_spend_is_explained_not_faked() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::build_with(
        config(&dir),
        AwsServices::unconfigured(),
        Arc::new(FakeClock::at(NOV_28)),
    )
    .await
    .unwrap();
    let answer = ask(
        &app,
        person("9001", Role::Engineer, None),
        "how much have we spent this month?",
    )
    .await;
    assert!(text_of(&answer).contains("not connected"), "{}", text_of(&answer));
    assert!(!text_of(&answer).contains("USD"));
}

#[tokio::test]
async fn a_forecast_refusal_is_cached_like_an_answer() {
    let h = harness_at(NOV_28, true).await;
    for _ in 0..5 {
        ask(&h.app, person("9001", Role::Engineer, None), "/estimate").await;
    }
    assert_eq!(h.billing.forecasts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn account_coverage_follows_organizations_and_the_optimized_tag() {
    let h = harness_at(NOV_28, false).await;
    let engineer = || person("9001", Role::Engineer, None);
    let verdict = |a: &Answer| a.scope.clone().map(|s| (s.verdict.as_str().to_owned(), s.topic));
    let covered = ask(&h.app, engineer(), "is account 111111111111 covered?").await;
    assert_eq!(verdict(&covered), Some(("in_scope".into(), None)));
    // Engineers also see what the account's support plan allows.
    assert!(
        text_of(&covered).contains("cases of severity low, normal, high, urgent, critical"),
        "{}",
        text_of(&covered)
    );
    let untagged = ask(&h.app, engineer(), "is account 2222-2222-2222 covered by support?").await;
    assert_eq!(
        verdict(&untagged),
        Some(("out_of_scope".into(), Some("unoptimized-accounts".into())))
    );
    assert!(text_of(&untagged).contains("Managed Services"));
    let stranger = ask(&h.app, engineer(), "is account 999999999999 in scope?").await;
    assert_eq!(verdict(&stranger).unwrap().0, "out_of_scope");
    let nosy = ask(
        &h.app,
        person("2001", Role::Customer, None),
        "is account 222222222222 covered?",
    )
    .await;
    assert_eq!(verdict(&nosy), Some(("unclear".into(), None)));
    assert!(!text_of(&nosy).contains("globex"));
    let own = ask(
        &h.app,
        person("2001", Role::Customer, None),
        "is account 111111111111 covered?",
    )
    .await;
    assert_eq!(verdict(&own), Some(("in_scope".into(), None)));
    assert!(!text_of(&own).contains("AWS support plan"), "engineers only");
}

#[tokio::test]
async fn engineers_may_narrow_spend_to_one_customer() {
    let h = harness_at(NOV_28, false).await;
    let answer = ask(&h.app, person("9001", Role::Engineer, None), "/spend customer:globex").await;
    assert!(text_of(&answer).contains("globex-main"), "{}", text_of(&answer));
    assert!(!text_of(&answer).contains("acme-prod"));
    let query = h.billing.queries.lock().unwrap()[0].clone();
    assert_eq!(query.accounts, vec!["222222222222".parse::<AccountId>().unwrap()]);
    let nosy = ask(&h.app, person("2001", Role::Customer, None), "/spend customer:globex").await;
    assert!(text_of(&nosy).contains("Only support engineers"));
}

/// Two instances on one database (two caches acting as different holders),
/// asked the same question at the same time: one request for the fleet; the
/// other instance waits for its answer. When the fetching instance fails,
/// the other fetches instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_a_database_pay_for_one_request_per_query() {
    use platform_desk::service::cost_cache::CostCache;
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let store = platform_desk::store::Store::open(&common::database::url(dir.path(), "t.db"))
        .await
        .unwrap();
    let clock: Arc<dyn platform_desk::clock::Clock> = Arc::new(platform_desk::clock::SystemClock);
    let ttl = Duration::from_secs(3600);
    let a = Arc::new(CostCache::for_holder(
        store.clone(),
        clock.clone(),
        ttl,
        "instance-a".into(),
    ));
    let b = Arc::new(CostCache::for_holder(
        store.clone(),
        clock.clone(),
        ttl,
        "instance-b".into(),
    ));
    let requests = Arc::new(AtomicUsize::new(0));
    let ask = |cache: Arc<CostCache>, query: &'static str, fail: bool| {
        let requests = requests.clone();
        tokio::spawn(async move {
            cache
                .get_or_fetch("ce:GetCostAndUsage", &query, || async move {
                    requests.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    if fail {
                        Err(AwsError::Transient("throttled".into()))
                    } else {
                        Ok((format!("answer to {query}"), 1))
                    }
                })
                .await
        })
    };
    let (first, second) = tokio::join!(ask(a.clone(), "november", false), ask(b.clone(), "november", false));
    let (first, second) = (first.unwrap().unwrap(), second.unwrap().unwrap());
    assert_eq!(requests.load(Ordering::SeqCst), 1, "one request for both instances");
    assert_eq!(first.value, "answer to november");
    assert_eq!(second.value, "answer to november");
    assert_eq!(
        [first.from_cache, second.from_cache].iter().filter(|c| **c).count(),
        1,
        "one fetched, the other read its answer"
    );

    // The instance that fetches first fails: the other one fetches.
    requests.store(0, Ordering::SeqCst);
    let failing = ask(a.clone(), "december", true);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = ask(b.clone(), "december", false);
    assert!(failing.await.unwrap().is_err());
    assert_eq!(waiting.await.unwrap().unwrap().value, "answer to december");
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}
