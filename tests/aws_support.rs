//! The AWS Support implementation through the real SDK against moto (started
//! by ./scripts/test), with the stub in tests/common/aws_stub.rs answering
//! DescribeServices and AddCommunicationToCase (which moto lacks) and
//! injecting faults. Then the whole escalation pipeline on top of it.

mod common;

use std::sync::Arc;

use common::aws_stub::{AwsStub, Fault};
use platform_desk::app::App;
use platform_desk::aws::AwsServices;
use platform_desk::aws::support::{CaseError, CaseRequest, SdkSupportCases, SupportCases};
use platform_desk::clock::SystemClock;
use platform_desk::config::{Config, CustomerConfig};
use platform_desk::domain::{AccountId, Role, Severity};
use platform_desk::inbound::{Actor, Inbound};
use platform_desk::store::CaseState;

async fn support(endpoint: &str) -> SdkSupportCases {
    SdkSupportCases::new(
        common::sdk_config(endpoint).await,
        "us-east-1",
        "OrganizationAccountAccessRole",
    )
}

fn request(subject: &str) -> CaseRequest {
    CaseRequest {
        subject: subject.into(),
        body: "Instance i-0abc fails system status checks.".into(),
        severity: Severity::High,
        service_code: "general-info".into(),
        category_code: "using-aws".into(),
        language: "en".into(),
        cc_email_addresses: vec![],
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", fastrand::u32(..))
}

/// Whether a member account holds a case carrying `reference`, looked up
/// through the implementation's own role assumption.
async fn case_in_member_account(account: &AccountId, reference: &str) -> bool {
    let since = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    support(&common::moto_endpoint())
        .await
        .find_case(Some(account), reference, since)
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn cases_are_created_found_by_reference_described_and_resolved() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let cases = support(&stub.endpoint).await;
    let reference = unique("PD-1");
    let case_id = cases
        .create_case(None, &request(&format!("EC2 checks failing [{reference}]")))
        .await
        .unwrap();
    assert!(case_id.starts_with("case-"), "{case_id}");

    let since = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let found = cases
        .find_case(None, &reference, since)
        .await
        .unwrap()
        .expect("found by reference");
    assert_eq!(found.case_id, case_id);
    assert!(
        cases
            .find_case(None, &unique("PD-none"), since)
            .await
            .unwrap()
            .is_none()
    );

    let described = cases
        .describe_cases(None, std::slice::from_ref(&case_id))
        .await
        .unwrap();
    assert_eq!(described.len(), 1);
    assert!(described[0].status.is_some());

    cases.resolve_case(None, &case_id).await.unwrap();
    assert_eq!(common::cases_in_moto(&reference).await, 1);
}

#[tokio::test]
async fn a_member_accounts_case_is_opened_there_through_sts() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let cases = support(&stub.endpoint).await;
    let member: AccountId = "111122223333".parse().unwrap();
    let reference = unique("PD-2");
    cases
        .create_case(Some(&member), &request(&format!("S3 uploads failing [{reference}]")))
        .await
        .unwrap();
    assert!(
        stub.operations().contains(&"AssumeRole".to_owned()),
        "{:?}",
        stub.operations()
    );
    let since = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    assert!(
        cases
            .find_case(Some(&member), &reference, since)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        cases.find_case(None, &reference, since).await.unwrap().is_none(),
        "not in the bot's own account"
    );
}

#[tokio::test]
async fn services_and_communications_use_the_support_json_protocol() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let cases = support(&stub.endpoint).await;
    let services = cases.services(None).await.unwrap();
    assert_eq!(services[0].code, "amazon-elastic-compute-cloud-linux");
    assert_eq!(services[0].category_codes, ["instance-issue"]);
    cases
        .add_communication(None, "case-123", "Customer confirms", None)
        .await
        .unwrap();
    assert_eq!(
        stub.communications(),
        [("case-123".to_owned(), "Customer confirms".to_owned())]
    );
}

#[tokio::test]
async fn aws_errors_are_sorted_by_what_to_do_next() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let cases = support(&stub.endpoint).await;
    stub.inject("CreateCase", Fault::Throttle);
    let throttled = cases.create_case(None, &request("x")).await.unwrap_err();
    assert!(
        matches!(throttled, CaseError::Transient(ref why) if why.contains("ThrottlingException")),
        "{throttled:?}"
    );
    stub.inject("CreateCase", Fault::ServerError);
    assert!(cases.create_case(None, &request("x")).await.unwrap_err().is_retryable());
    stub.set_away(true);
    assert!(cases.create_case(None, &request("x")).await.unwrap_err().is_retryable());
    stub.set_away(false);

    let unreachable = support("http://127.0.0.1:9").await;
    let error = unreachable.create_case(None, &request("x")).await.unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
}

fn engineer() -> Actor {
    Actor {
        user_id: "9001".into(),
        display_name: "Eve Engineer".into(),
        role: Role::Engineer,
        role_ids: vec![],
        guild_id: None,
        channel_id: None,
    }
}

async fn app_on(endpoint: &str, dir: &tempfile::TempDir) -> App {
    app_with_timeout(endpoint, dir, Config::default().aws.call_timeout_seconds).await
}

async fn app_with_timeout(endpoint: &str, dir: &tempfile::TempDir, call_timeout_seconds: u64) -> App {
    let mut config = Config::default();
    config.aws.call_timeout_seconds = call_timeout_seconds;
    config.database.url = common::database::url(dir.path(), "t.db");
    config.escalations.retry_initial_seconds = 1;
    config.escalations.retry_max_seconds = 1;
    config.escalations.settle_seconds = 1;
    config.customers = vec![CustomerConfig {
        name: "acme".into(),
        account_ids: vec!["111122223333".parse().unwrap()],
        guild_ids: vec![],
        channel_ids: vec![],
        role_ids: vec![],
        user_ids: vec!["2001".into()],
    }];
    App::build_with(
        config,
        AwsServices::with_cases(Arc::new(support(endpoint).await)),
        Arc::new(SystemClock),
    )
    .await
    .unwrap()
}

/// An engineer's escalation of `problem`; its ticket id.
async fn escalation(app: &App, problem: &str) -> i64 {
    app.handle(Inbound::text(engineer(), format!("open an escalation: {problem}")))
        .await
        .ticket
        .expect("a ticket")
        .id
}

/// Waits until the notes and resolutions queued for AWS (passed on in the
/// background by `/ticket note` and `/ticket resolve`) have all gone.
async fn outbox_emptied(app: &App) {
    app.case_worker().finish_background().await;
    for _ in 0..100 {
        let later = time::OffsetDateTime::now_utc() + time::Duration::days(1);
        if app.store().due_case_actions(later, 10).await.unwrap().is_empty() {
            return;
        }
        app.case_worker().deliver_actions(None).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the outbox was not emptied");
}

async fn pending_until_due(app: &App, id: i64) {
    let ticket = app.store().ticket(id).await.unwrap().unwrap();
    assert_eq!(ticket.case_state, CaseState::Pending, "{:?}", ticket.case_last_error);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

#[tokio::test]
async fn the_pipeline_opens_a_case_in_moto_and_survives_throttling_and_moto_going_away() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&stub.endpoint, &dir).await;

    // Straight through: the case is in moto, in the customer's account.
    let answer = app
        .handle(Inbound::text(
            engineer(),
            r#"/escalate severity:high subject:"EC2 status checks failing" description:"i-0abc fails system checks since 10:42" account:111122223333 service:ec2"#,
        ))
        .await;
    let first = answer.ticket.unwrap();
    assert!(first.aws_case_id.is_some());
    let member: AccountId = "111122223333".parse().unwrap();
    let stored = app.store().ticket(first.id).await.unwrap().unwrap();
    assert!(case_in_member_account(&member, &stored.case_reference).await);

    // Throttled, then moto away for a pass, then back: one case.
    stub.inject("CreateCase", Fault::Throttle);
    let second = app
        .handle(Inbound::text(
            engineer(),
            "open an escalation: CloudFront returns 503 for every request since 08:00",
        ))
        .await
        .ticket
        .unwrap();
    assert_eq!(second.aws_case_id, None);
    pending_until_due(&app, second.id).await;
    stub.set_away(true);
    let report = app.case_worker().run_once(false).await.unwrap();
    assert_eq!((report.cases_created, report.cases_pending), (0, 1));
    stub.set_away(false);
    pending_until_due(&app, second.id).await;
    let report = app.case_worker().run_once(false).await.unwrap();
    assert_eq!(report.cases_created, 1);
    let stored = app.store().ticket(second.id).await.unwrap().unwrap();
    assert_eq!(stored.case_state, CaseState::Created);
    assert_eq!(common::cases_in_moto(&stored.case_reference).await, 1);
}

#[tokio::test]
async fn a_lost_create_case_response_is_found_again_not_repeated() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&stub.endpoint, &dir).await;
    stub.inject("CreateCase", Fault::LoseResponse);
    let ticket = app
        .handle(Inbound::text(
            engineer(),
            "open an escalation: Aurora failover did not happen at 03:00 last night",
        ))
        .await
        .ticket
        .unwrap();
    assert_eq!(ticket.aws_case_id, None);
    let reference = app.store().ticket(ticket.id).await.unwrap().unwrap().case_reference;
    assert_eq!(common::cases_in_moto(&reference).await, 1, "moto made the case");

    pending_until_due(&app, ticket.id).await;
    let report = app.case_worker().run_once(false).await.unwrap();
    assert_eq!(report.cases_created, 1);
    assert_eq!(common::cases_in_moto(&reference).await, 1, "and no second one");
    let stored = app.store().ticket(ticket.id).await.unwrap().unwrap();
    assert!(stored.aws_case_id.is_some());
}

#[tokio::test]
async fn notes_resolutions_and_status_sync_go_through_to_aws() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&stub.endpoint, &dir).await;
    let id = escalation(&app, "the SES sending limit blocks our newsletters").await;
    let case_id = app.store().ticket(id).await.unwrap().unwrap().aws_case_id.unwrap();
    app.handle(Inbound::text(
        engineer(),
        format!("/ticket note id:{id} text:\"limit raised, testing\""),
    ))
    .await;
    outbox_emptied(&app).await;
    assert!(
        stub.communications()
            .iter()
            .any(|(c, body)| *c == case_id && body.contains("limit raised"))
    );
    // moto moves a case's status on every DescribeCases: each sync sees a change.
    assert!(app.case_worker().sync_statuses().await.unwrap() >= 1);
    app.handle(Inbound::text(engineer(), format!("/ticket resolve id:{id}")))
        .await;
    outbox_emptied(&app).await;
    assert!(stub.operations().contains(&"ResolveCase".to_owned()));
    let events = app.store().ticket_events(id).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "case_updated" && e.detail.contains("resolved"))
    );
}

#[tokio::test]
async fn an_aws_that_never_answers_leaves_the_ticket_pending_within_the_budget() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.database.url = common::database::url(dir.path(), "t.db");
    config.aws.call_timeout_seconds = 1;
    let app = App::build_with(
        config,
        AwsServices::with_cases(Arc::new(support(&endpoint).await)),
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let ticket = app
        .handle(Inbound::text(
            engineer(),
            "open an escalation: our API gateway hangs on every request",
        ))
        .await
        .ticket
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let stored = app.store().ticket(ticket.id).await.unwrap().unwrap();
    assert_eq!(stored.case_state, CaseState::Pending);
    assert!(stored.case_last_error.unwrap().contains("no answer within"));
}

/// CreateCase's answer lost after moto made the case, three ways (a 500, a
/// connection reset mid-answer, an answer later than the bot waits), and
/// the worker killed in the middle of a pass and started again on the same
/// database: every escalation ends with exactly one case in moto.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_create_case_answers_make_one_case_each_across_a_killed_worker() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let dir = tempfile::tempdir().unwrap();
    let first = Arc::new(app_with_timeout(&stub.endpoint, &dir, 2).await);
    for fault in [
        Fault::LoseResponse,
        Fault::ResetAfter,
        Fault::SlowAfter(std::time::Duration::from_secs(3)),
    ] {
        stub.inject("CreateCase", fault);
    }
    let mut references = Vec::new();
    for problem in [
        "the Aurora failover did not happen at 03:00",
        "the NAT gateway dropped all traffic at 04:10",
        "S3 uploads fail with 503 since 05:20",
        "the ALB returns 502 for half the requests since 06:30",
    ] {
        let ticket = first
            .handle(Inbound::text(engineer(), format!("open an escalation: {problem}")))
            .await
            .ticket
            .unwrap();
        references.push(first.store().ticket(ticket.id).await.unwrap().unwrap().case_reference);
    }
    // A pass killed in the middle, then the process gone.
    stub.inject("DescribeCases", Fault::SlowAfter(std::time::Duration::from_secs(3)));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let worker = first.case_worker();
    let pass = tokio::spawn(async move { worker.run_once(false).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    pass.abort();
    drop(first);

    let second = app_with_timeout(&stub.endpoint, &dir, 2).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    loop {
        second.case_worker().run_once(false).await.unwrap();
        let mut all = true;
        for id in 1..=4 {
            all &= second.store().ticket(id).await.unwrap().unwrap().case_state == CaseState::Created;
        }
        if all {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "cases still pending");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    for reference in &references {
        assert_eq!(common::cases_in_moto(reference).await, 1, "{reference}");
    }
}

/// AddCommunicationToCase's answer lost after the stub took the note: the
/// retry reads the case's communications (DescribeCommunications), finds
/// the note's mark, and does not send it again.
#[tokio::test]
async fn a_note_whose_answer_was_lost_reaches_the_case_once() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&stub.endpoint, &dir).await;
    let id = escalation(&app, "the SES sending limit blocks our newsletters").await;
    stub.inject("AddCommunicationToCase", Fault::LoseResponse);
    app.handle(Inbound::text(
        engineer(),
        format!("/ticket note id:{id} text:\"limit raised, testing again\""),
    ))
    .await;
    app.case_worker().finish_background().await;
    // The settle wait (one second here), then the worker.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    outbox_emptied(&app).await;
    let sent = stub
        .communications()
        .iter()
        .filter(|(_, body)| body.contains("limit raised, testing again"))
        .count();
    assert_eq!(sent, 1, "{:?}", stub.communications());
    assert!(stub.operations().contains(&"DescribeCommunications".to_owned()));
}

/// Files both ways through the SDK and the Support JSON protocol: a set
/// uploaded (AddAttachmentsToSet), sent with a communication, listed by
/// DescribeCommunications with its ids, and read back whole with
/// DescribeAttachment.
#[tokio::test]
async fn files_go_to_a_case_and_come_back_through_the_support_json_protocol() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let cases = support(&stub.endpoint).await;
    let log = b"2026-11-28 09:10:02 agent: connection refused\n".to_vec();
    let set = cases
        .add_attachments(None, &[("agent.log".to_owned(), log.clone())])
        .await
        .unwrap();
    cases
        .add_communication(None, "case-7", "the agent log", Some(&set))
        .await
        .unwrap();
    let since = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let listed = cases.communications(None, "case-7", since).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].attachments.len(), 1);
    assert_eq!(listed[0].attachments[0].name, "agent.log");
    let (name, bytes) = cases.attachment(None, &listed[0].attachments[0].id).await.unwrap();
    assert_eq!((name.as_str(), bytes), ("agent.log", log));
    // A set is used once.
    let again = cases.add_communication(None, "case-7", "again", Some(&set)).await;
    assert!(again.is_err(), "{again:?}");
}
