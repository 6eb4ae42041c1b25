//! The store against a real database (a SQLite file, or a PostgreSQL
//! server when `PLATFORM_DESK_TEST_POSTGRES` names one): creation, WAL mode,
//! migrations, tickets with their events, interaction de-duplication, and
//! outages with their posts.

mod common;

use platform_desk::domain::{Role, Severity};
use platform_desk::store::tickets::ActorRef;
use platform_desk::store::{Backend, CaseState, NewTicket, Store, TicketStatus};

/// A new database for one test (see `common::database`).
fn url(dir: &tempfile::TempDir) -> String {
    common::database::url(dir.path(), "store.db")
}

fn new_ticket(subject: &str, description: &str) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        description: description.into(),
        severity: Severity::High,
        customer: Some("acme".into()),
        account_id: Some("123456789012".parse().unwrap()),
        aws_service: Some("ec2".into()),
        opened_by: ActorRef {
            id: "1001".into(),
            name: "Ada".into(),
            role: Role::Engineer,
        },
        guild_id: Some("42".into()),
        channel_id: None,
        case_state: CaseState::Pending,
    }
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[tokio::test]
async fn opening_creates_the_database_with_every_migration_and_sqlite_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let backend = match store.backend() {
        Backend::Sqlite => {
            assert!(dir.path().join("store.db").exists());
            assert_eq!(store.journal_mode().await.unwrap().as_deref(), Some("wal"));
            "sqlite"
        }
        Backend::Postgres => {
            assert!(common::database::on_postgres());
            assert!(store.describe().await.unwrap().starts_with("PostgreSQL "));
            "postgres"
        }
    };
    let migrations = std::fs::read_dir(format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .count();
    assert_eq!(store.applied_migrations().await.unwrap(), migrations as i64);
}

/// Both backends have the same migrations, version for version.
#[test]
fn each_backend_has_the_same_migrations() {
    let versions = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(versions("sqlite"), versions("postgres"));
}

/// Processes started together on a new database (a script running several
/// `ask` at once) all open it: one migrates, the others wait for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_opened_at_once_on_a_new_file_all_open_and_migrate_it_once() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let url = url(&dir);
        let openings = (0..12).map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Store::open(&url).await })
        });
        for opened in futures_util::future::join_all(openings).await {
            let store = opened.unwrap().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                store.applied_migrations().await.unwrap(),
                common::database::migrations() as i64
            );
        }
    }
}

#[tokio::test]
async fn opening_twice_does_not_migrate_twice() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir);
    Store::open(&url).await.unwrap().close().await;
    let store = Store::open(&url).await.unwrap();
    assert_eq!(
        store.applied_migrations().await.unwrap(),
        common::database::migrations() as i64
    );
}

#[tokio::test]
async fn a_ticket_is_committed_with_its_opened_event() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let ticket = store
        .open_ticket(&new_ticket("EC2 status checks failing", "since 10:00"), now())
        .await
        .unwrap();
    assert_eq!(ticket.status, TicketStatus::Open);
    assert_eq!(ticket.case_state, CaseState::Pending);
    let events = store.ticket_events(ticket.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "opened");
    assert_eq!(events[0].actor_name, "Ada");
}

#[tokio::test]
async fn a_committed_ticket_survives_closing_and_reopening_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir);
    let store = Store::open(&url).await.unwrap();
    let id = store.open_ticket(&new_ticket("s", "d"), now()).await.unwrap().id;
    drop(store);
    let reopened = Store::open(&url).await.unwrap();
    assert_eq!(reopened.ticket(id).await.unwrap().unwrap().subject, "s");
}

#[tokio::test]
async fn quotes_sql_and_long_descriptions_are_stored_intact() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let subject = r#"RDS "prod" down'); DROP TABLE tickets;--"#;
    let description = "é😀 ".repeat(1700);
    let id = store
        .open_ticket(&new_ticket(subject, &description), now())
        .await
        .unwrap()
        .id;
    let stored = store.ticket(id).await.unwrap().unwrap();
    assert_eq!(stored.subject, subject);
    assert_eq!(stored.description, description);
}

#[tokio::test]
async fn ticket_numbers_are_short_and_increasing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let a = store.open_ticket(&new_ticket("a", "d"), now()).await.unwrap().id;
    let b = store.open_ticket(&new_ticket("b", "d"), now()).await.unwrap().id;
    assert_eq!((a, b), (1, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_openings_are_each_committed_once_with_their_own_number_reference_and_event() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let openings = (0..200).map(|i| {
        let store = store.clone();
        tokio::spawn(async move { (i, store.open_ticket(&numbered_ticket(i), now()).await.unwrap()) })
    });
    let tickets: Vec<_> = futures_util::future::join_all(openings)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut ids: Vec<i64> = tickets.iter().map(|(_, t)| t.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=200).collect::<Vec<i64>>());
    for (i, ticket) in &tickets {
        assert_is_its_own(&store, *i, ticket).await;
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(count, 200);
}

/// On one thread, the forty openings are all queued before the writer runs,
/// so they are written as one group (of 32 and 8): each caller still gets
/// its own ticket, reference and event.
#[tokio::test]
async fn openings_written_together_each_get_their_own_ticket_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let tickets: Vec<NewTicket> = (0..40).map(numbered_ticket).collect();
    let openings = tickets.iter().map(|ticket| store.open_ticket(ticket, now()));
    let opened = futures_util::future::join_all(openings).await;
    for (i, ticket) in opened.into_iter().enumerate() {
        assert_is_its_own(&store, i, &ticket.unwrap()).await;
    }
}

/// Ticket `i`, told apart from the others by its subject, opener and severity.
fn numbered_ticket(i: usize) -> NewTicket {
    let mut ticket = new_ticket(&format!("ticket {i}"), &format!("description {i}"));
    ticket.opened_by.id = format!("user-{i}");
    ticket.severity = [Severity::Low, Severity::Normal, Severity::High, Severity::Urgent][i % 4];
    ticket
}

async fn assert_is_its_own(store: &Store, i: usize, ticket: &platform_desk::store::Ticket) {
    let expected = numbered_ticket(i);
    assert_eq!(ticket.subject, expected.subject);
    assert_eq!(ticket.description, expected.description);
    assert_eq!(ticket.severity, expected.severity);
    assert_eq!(ticket.opened_by, expected.opened_by);
    assert!(
        ticket.case_reference.starts_with(&format!("PD-{}-", ticket.id)),
        "{ticket:?}"
    );
    assert_eq!(store.ticket(ticket.id).await.unwrap().as_ref(), Some(ticket));
    let events = store.ticket_events(ticket.id).await.unwrap();
    assert_eq!(events.len(), 1, "ticket {}", ticket.id);
    assert_eq!(events[0].kind, "opened");
    assert_eq!(events[0].actor_id, expected.opened_by.id);
    assert_eq!(events[0].detail, format!("severity {}", expected.severity.code()));
}

/// On one thread, all forty openings are queued before the writer runs, so
/// they form one group with the refused ticket in it.
#[tokio::test]
async fn a_ticket_the_database_refuses_fails_alone_and_its_group_is_still_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let refuse_poison: &[&'static str] = match store.backend() {
        Backend::Sqlite => &[
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON tickets WHEN NEW.subject = 'poison'
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF NEW.subject = 'poison' THEN RAISE EXCEPTION 'refused by the test'; END IF;
                 RETURN NEW;
             END $$",
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
        ],
    };
    for statement in refuse_poison {
        sqlx::query(*statement).execute(store.pool()).await.unwrap();
    }
    let subjects: Vec<String> = (0..40)
        .map(|i| {
            if i == 17 {
                "poison".to_owned()
            } else {
                format!("ticket {i}")
            }
        })
        .collect();
    let tickets: Vec<NewTicket> = subjects.iter().map(|subject| new_ticket(subject, "d")).collect();
    let openings = tickets.iter().map(|ticket| store.open_ticket(ticket, now()));
    let results = futures_util::future::join_all(openings).await;
    for (subject, result) in subjects.iter().zip(&results) {
        match subject.as_str() {
            "poison" => assert!(
                result.as_ref().unwrap_err().to_string().contains("refused by the test"),
                "{result:?}"
            ),
            _ => assert_eq!(&result.as_ref().unwrap().subject, subject),
        }
    }
    let stored: Vec<String> = sqlx::query_scalar("SELECT subject FROM tickets ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let mut expected: Vec<String> = subjects.into_iter().filter(|s| s != "poison").collect();
    let mut got = stored.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "each good ticket once, the refused one not at all");
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_events")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(events, 39);
}

#[tokio::test]
async fn the_schema_refuses_an_unknown_severity() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let result = sqlx::query(
        "INSERT INTO tickets (subject, description, severity, opened_by_id, opened_by_name, opened_by_role, created_at, updated_at)
         VALUES ('s', 'd', 'extreme', 'u', 'n', 'customer', 't', 't')",
    )
    .execute(store.pool())
    .await;
    assert!(result.is_err());
}

#[tokio::test]
async fn an_unknown_ticket_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    assert!(store.ticket(999).await.unwrap().is_none());
}

#[tokio::test]
async fn an_interaction_is_seen_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    assert!(store.first_sighting("1234", now()).await.unwrap());
    assert!(!store.first_sighting("1234", now()).await.unwrap());
    assert!(store.first_sighting("5678", now()).await.unwrap());
}

#[tokio::test]
async fn old_interactions_are_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let long_ago = now() - time::Duration::hours(1);
    store.first_sighting("old", long_ago).await.unwrap();
    store.first_sighting("new", now()).await.unwrap();
    assert_eq!(
        store
            .forget_interactions_before(now() - time::Duration::minutes(15))
            .await
            .unwrap(),
        1
    );
    assert!(store.first_sighting("old", now()).await.unwrap());
}

#[tokio::test]
async fn an_unwritable_location_is_an_open_error() {
    let result = Store::open("sqlite:///proc/no-such-dir/x.db").await;
    assert!(result.is_err());
}

fn outage_record(updated_minutes: i64, description: &str, accounts: &[&str]) -> platform_desk::store::OutageRecord {
    use platform_desk::store::{OutageSource, OutageStatus};
    platform_desk::store::OutageRecord {
        source: OutageSource::Aws,
        key: "arn:aws:health:us-east-1::event/EC2/X/1".into(),
        title: "EC2 operational issue".into(),
        service: "EC2".into(),
        event_type: "AWS_EC2_OPERATIONAL_ISSUE".into(),
        region: "us-east-1".into(),
        status: OutageStatus::Open,
        severity: Severity::Urgent,
        public: accounts.is_empty(),
        description: description.into(),
        started_at: Some(time::macros::datetime!(2026-11-29 08:00 UTC)),
        ended_at: None,
        last_updated: time::macros::datetime!(2026-11-29 08:00 UTC) + time::Duration::minutes(updated_minutes),
        accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
        customers: Default::default(),
        declared_by: None,
    }
}

#[tokio::test]
async fn an_outage_is_deduplicated_by_key_and_last_updated_time_and_revised_only_on_visible_change() {
    use platform_desk::store::Recorded;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let now = time::macros::datetime!(2026-11-29 09:00 UTC);
    let id = store
        .record_outage(&outage_record(0, "errors", &["111111111111"]), now)
        .await
        .unwrap();
    assert!(matches!(id, Recorded::New(_)));
    let id = id.id();
    assert_eq!(
        store
            .record_outage(&outage_record(0, "changed, same time", &[]), now)
            .await
            .unwrap(),
        Recorded::Unchanged(id),
        "the same last-updated time is the same event version"
    );
    assert_eq!(
        store
            .record_outage(&outage_record(5, "errors", &["111111111111"]), now)
            .await
            .unwrap(),
        Recorded::Touched(id)
    );
    assert_eq!(
        store
            .record_outage(&outage_record(9, "errors", &["111111111111", "222222222222"]), now)
            .await
            .unwrap(),
        Recorded::Changed(id),
        "another affected account is a visible change"
    );
    let outage = store.outage(id).await.unwrap().unwrap();
    assert_eq!(outage.revision, 2);
    assert_eq!(outage.accounts.len(), 2);
    assert_eq!(
        store
            .outage_versions(platform_desk::store::OutageSource::Aws)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn an_outage_post_keeps_its_first_nonce_and_records_its_message_in_one_step() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let now = time::macros::datetime!(2026-11-29 09:00 UTC);
    let id = store
        .record_outage(&outage_record(0, "errors", &[]), now)
        .await
        .unwrap()
        .id();
    let first = store.claim_outage_post(id, "610", "nonce-a", now).await.unwrap();
    let again = store.claim_outage_post(id, "610", "nonce-b", now).await.unwrap();
    assert_eq!(again.nonce, "nonce-a", "a retry resends with the same nonce");
    assert_eq!(first.message_id, None);
    store
        .record_outage_post(id, "610", "880000000000000001", 1, false, now)
        .await
        .unwrap();
    let posts = store.outage_posts(id).await.unwrap();
    assert_eq!(posts[0].message_id.as_deref(), Some("880000000000000001"));
    assert_eq!(posts[0].posted_revision, 1);
    // Reopened after the process restarts: still there.
    store.close().await;
    let store = Store::open(&url(&dir)).await.unwrap();
    assert_eq!(store.outage_posts(id).await.unwrap(), posts);
}

#[tokio::test]
async fn health_poll_failures_are_counted_until_a_success() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let at = time::macros::datetime!(2026-11-29 09:00 UTC);
    assert_eq!(store.record_poll(at, Some("throttled")).await.unwrap(), 1);
    assert_eq!(store.record_poll(at, Some("timed out")).await.unwrap(), 2);
    let state = store.poll_state().await.unwrap();
    assert_eq!((state.failures, state.last_error.as_deref()), (2, Some("timed out")));
    assert_eq!(store.record_poll(at, None).await.unwrap(), 0);
    assert_eq!(store.poll_state().await.unwrap().failures, 0);
}

#[tokio::test]
async fn a_lease_has_one_holder_until_it_expires_or_is_released() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let ttl = Duration::from_millis(600);
    assert!(store.acquire_lease("health-poll", "a", ttl).await.unwrap());
    assert!(
        !store.acquire_lease("health-poll", "b", ttl).await.unwrap(),
        "b must wait"
    );
    assert!(
        store.acquire_lease("other-duty", "b", ttl).await.unwrap(),
        "leases are per name"
    );
    assert!(store.acquire_lease("health-poll", "a", ttl).await.unwrap(), "a renews");
    let held = store.lease_holder("health-poll").await.unwrap().unwrap();
    assert_eq!(held.holder, "a");
    assert!(held.remaining <= ttl && held.remaining > Duration::ZERO, "{held:?}");

    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    assert_eq!(store.lease_holder("health-poll").await.unwrap(), None, "expired");
    assert!(
        store.acquire_lease("health-poll", "b", ttl).await.unwrap(),
        "b takes it over"
    );
    assert!(!store.acquire_lease("health-poll", "a", ttl).await.unwrap());

    assert!(
        !store.release_lease("health-poll", "a").await.unwrap(),
        "only the holder releases"
    );
    assert!(store.release_lease("health-poll", "b").await.unwrap());
    assert!(
        store.acquire_lease("health-poll", "a", ttl).await.unwrap(),
        "free at once after a release"
    );
}

/// Many instances racing for a free lease: exactly one gets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_instances_racing_for_a_lease_exactly_one_gets_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    for round in 0..10 {
        let name = format!("duty-{round}");
        let racers = (0..16).map(|i| {
            let store = store.clone();
            let name = name.clone();
            tokio::spawn(async move {
                store
                    .acquire_lease(&name, &format!("instance-{i}"), std::time::Duration::from_secs(30))
                    .await
                    .unwrap()
            })
        });
        let won = futures_util::future::join_all(racers)
            .await
            .into_iter()
            .filter(|won| *won.as_ref().unwrap())
            .count();
        assert_eq!(won, 1, "round {round}");
    }
}

/// A duty's holder whose database stops answering (a partition, a hung
/// server) gives the duty up before its lease can lapse, so that it stops
/// acting (the gateway holder closes its connection) before another
/// instance may take over. The database is made to hang by a second
/// connection holding the lease row's lock in an open transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_database_hangs_gives_the_duty_up_before_its_lease_lapses() {
    use platform_desk::fleet::Duty;
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    let ttl = Duration::from_secs(6);
    let duty = Duty::with_holder(store.clone(), "discord-gateway", "holder-a".into(), ttl);
    duty.acquire().await;
    let taken = std::time::Instant::now();

    let mut blocker = store.pool().begin().await.unwrap();
    let locked = sqlx::query("UPDATE leases SET holder = holder WHERE name = 'discord-gateway'")
        .execute(&mut *blocker)
        .await
        .unwrap();
    assert_eq!(locked.rows_affected(), 1);

    let gave_up = tokio::time::timeout(ttl * 2, duty.until_lost()).await;
    let after = taken.elapsed();
    blocker.rollback().await.unwrap();
    assert!(gave_up.is_ok(), "the holder kept the duty through a hung database");
    // The lease was written before `taken`, so it lapses at `taken + ttl`
    // at the latest; giving up must come before that, with room to close.
    assert!(
        after < ttl - Duration::from_millis(500),
        "gave the duty up {after:?} after taking it; its lease lasts {ttl:?}"
    );
}
