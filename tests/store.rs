//! The store against a real SQLite file: creation, WAL mode, migrations,
//! tickets with their events, interaction de-duplication, and outages with
//! their posts.

use platform_desk::domain::{Role, Severity};
use platform_desk::store::tickets::ActorRef;
use platform_desk::store::{CaseState, NewTicket, Store, TicketStatus};

fn url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("store.db").display())
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
async fn opening_creates_the_file_in_wal_mode_with_every_migration() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url(&dir)).await.unwrap();
    assert!(dir.path().join("store.db").exists());
    assert_eq!(store.journal_mode().await.unwrap(), "wal");
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();
    assert_eq!(store.applied_migrations().await.unwrap(), migrations as i64);
}

#[tokio::test]
async fn opening_twice_does_not_migrate_twice() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(&url(&dir)).await.unwrap().close().await;
    let store = Store::open(&url(&dir)).await.unwrap();
    assert_eq!(store.applied_migrations().await.unwrap(), 9);
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
    let store = Store::open(&url(&dir)).await.unwrap();
    let id = store.open_ticket(&new_ticket("s", "d"), now()).await.unwrap().id;
    drop(store);
    let reopened = Store::open(&url(&dir)).await.unwrap();
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
