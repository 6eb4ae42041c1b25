//! The store against a real SQLite file: creation, WAL mode, migrations,
//! tickets with their events, and interaction de-duplication.

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
    assert_eq!(store.applied_migrations().await.unwrap(), 7);
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
