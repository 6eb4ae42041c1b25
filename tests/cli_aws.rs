//! The escalation commands as an operator runs them, each a separate process,
//! with AWS reached through the standard SDK chain (AWS_ENDPOINT_URL pointing
//! at moto, or at a closed port for "AWS unreachable").

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn bin(dir: &tempfile::TempDir, endpoint: &str) -> Command {
    common::binary_with_aws(dir, endpoint)
}

fn json(output: &Output) -> serde_json::Value {
    common::json_output(output)
}

const ESCALATE: &str = r#"/escalate severity:high subject:"EC2 status checks failing" description:"i-0abc fails system status checks since 10:42""#;

/// An open, public RDS issue in eu-west-1 as AWS Health lists it.
fn rds_issue(arn_suffix: &str) -> common::aws_stub::HealthFixture {
    common::aws_stub::HealthFixture {
        event: serde_json::json!({
            "arn": format!("arn:aws:health:eu-west-1::event/RDS/AWS_RDS_OPERATIONAL_ISSUE/{arn_suffix}"),
            "service": "RDS", "eventTypeCode": "AWS_RDS_OPERATIONAL_ISSUE", "eventTypeCategory": "issue",
            "region": "eu-west-1", "startTime": 1_795_000_000, "lastUpdatedTime": 1_795_000_600,
            "statusCode": "open", "eventScopeCode": "PUBLIC"
        }),
        description: "Increased connectivity errors for RDS in EU-WEST-1.".into(),
        accounts: vec![],
    }
}

/// The ticket's reference, from the footer of its embed.
fn reference(answer: &serde_json::Value) -> String {
    let footer = answer["embeds"][0]["footer"]["text"].as_str().unwrap();
    footer.rsplit(' ').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_engineers_escalation_gets_a_case_in_moto_and_a_later_process_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let moto = common::moto_endpoint();
    let opened = json(
        &bin(&dir, &moto)
            .args(["ask", "--json", "--role", "engineer", ESCALATE])
            .output()
            .unwrap(),
    );
    assert_eq!(opened["intent"], "escalate");
    let ticket = &opened["ticket"];
    let case_id = ticket["aws_case_id"].as_str().expect("an AWS case id").to_owned();
    assert_eq!(ticket["status"], "open");
    assert_eq!(ticket["severity"], "high");
    assert_eq!(common::cases_in_moto(&reference(&opened)).await, 1);

    let id = ticket["id"].as_i64().unwrap();
    let shown = json(
        &bin(&dir, &moto)
            .args([
                "ask",
                "--json",
                "--role",
                "engineer",
                &format!("what's the status of ticket {id}?"),
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(shown["intent"], "ticket");
    assert_eq!(shown["ticket"]["id"], id);
    assert_eq!(shown["ticket"]["aws_case_id"], case_id.as_str());
}

#[tokio::test]
async fn with_aws_unreachable_the_ticket_is_logged_and_the_worker_makes_one_case_later() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bot-config.toml"),
        "[escalations]\nretry_initial_seconds = 1\nretry_max_seconds = 1\nsettle_seconds = 1\n",
    )
    .unwrap();
    let started = Instant::now();
    let output = bin(&dir, "http://127.0.0.1:9")
        .args(["ask", "--json", "--role", "engineer", ESCALATE])
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let opened = json(&output);
    assert!(opened["ticket"]["id"].is_i64());
    assert!(opened["ticket"]["aws_case_id"].is_null());
    assert!(opened.to_string().contains("Pending"), "{opened}");
    let reference = reference(&opened);

    // AWS is back: one worker pass opens exactly one case.
    std::thread::sleep(Duration::from_millis(1100));
    let output = bin(&dir, &common::moto_endpoint())
        .args(["worker", "--once"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("cases created 1"));
    let output = bin(&dir, &common::moto_endpoint())
        .args(["worker", "--once"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("cases created 0"));
    assert_eq!(common::cases_in_moto(&reference).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_once_reads_aws_health_and_ask_answers_from_what_it_stored() {
    let dir = tempfile::tempdir().unwrap();
    let stub = common::aws_stub::AwsStub::without_moto().await;
    stub.set_health_events(vec![rds_issue("1")]);
    let worker = |dir: &tempfile::TempDir| {
        let output = bin(dir, &stub.endpoint).args(["worker", "--once"]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let first = worker(&dir);
    assert!(
        first.contains("AWS Health: 1 issue events listed, 1 new, 0 changed"),
        "{first}"
    );
    let second = worker(&dir);
    assert!(second.contains("1 issue events listed, 0 new, 0 changed"), "{second}");

    let answer = json(
        &bin(&dir, &stub.endpoint)
            .args(["ask", "--json", "is AWS down right now?"])
            .output()
            .unwrap(),
    );
    assert_eq!(answer["intent"], "outage");
    let shown = answer["embeds"].to_string();
    assert!(shown.contains("Increased connectivity errors"), "{shown}");
    assert!(shown.contains("AWS Health last checked"), "{shown}");
    let elsewhere = json(
        &bin(&dir, &stub.endpoint)
            .args(["ask", "--json", "any outages in us-east-1?"])
            .output()
            .unwrap(),
    );
    assert!(
        elsewhere["embeds"].to_string().contains("No known outage in us-east-1"),
        "{elsewhere}"
    );
}

/// A note added with `ask` is passed on before the process exits and
/// recorded as passed on: a worker after it sends nothing again (AWS
/// Support through the stub, which speaks AddCommunicationToCase in front
/// of moto).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_added_with_ask_reaches_the_case_once() {
    let stub = common::aws_stub::AwsStub::start(&common::moto_endpoint()).await;
    let dir = tempfile::tempdir().unwrap();
    let opened = json(
        &bin(&dir, &stub.endpoint)
            .args(["ask", "--json", "--role", "engineer", ESCALATE])
            .output()
            .unwrap(),
    );
    let id = opened["ticket"]["id"].as_i64().unwrap();
    for n in 1..=3 {
        let noted = bin(&dir, &stub.endpoint)
            .args(["ask", "--json", "--role", "engineer"])
            .arg(format!("/ticket note id:{id} text:\"plain note {n}\""))
            .output()
            .unwrap();
        assert!(noted.status.success(), "{}", String::from_utf8_lossy(&noted.stderr));
        // Passed on and recorded before `ask` exited.
        assert!(
            stub.communications()
                .iter()
                .any(|(_, body)| body.contains(&format!("plain note {n}"))),
            "note {n} was not passed on before exit"
        );
    }
    let store = platform_desk::store::Store::open(&common::database::url(dir.path(), "platform-desk.db"))
        .await
        .unwrap();
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    assert!(
        store.due_case_actions(later, 10).await.unwrap().is_empty(),
        "notes left queued"
    );
    store.close().await;
    let output = bin(&dir, &stub.endpoint).args(["worker", "--once"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for n in 1..=3 {
        let sent = stub
            .communications()
            .iter()
            .filter(|(_, body)| body.contains(&format!("plain note {n}")))
            .count();
        assert_eq!(sent, 1, "note {n} sent {sent} times");
    }
}

/// Two `worker` processes on one database (the SQLite file, or PostgreSQL
/// on the second pass), against moto through the stub, one of them killed
/// with `kill -9` while it holds the case worker: each pending case is
/// created once, each queued note reaches its case once, AWS Health is
/// polled by one of them at a time, and its event is recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_database_do_each_piece_of_work_once_through_a_kill() {
    use common::aws_stub::AwsStub;
    const TICKETS: usize = 6;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bot-config.toml"),
        "[aws]\ncall_timeout_seconds = 3\n\
         [escalations]\nretry_initial_seconds = 1\nretry_max_seconds = 1\nsettle_seconds = 1\nworker_interval_seconds = 1\n\
         [outages]\npoll_interval_seconds = 10\n",
    )
    .unwrap();
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    stub.set_health_events(vec![rds_issue("fleet")]);

    // Escalations and notes while AWS is unreachable: all queued.
    let mut tickets = Vec::new();
    for n in 0..TICKETS {
        let opened = json(
            &bin(&dir, "http://127.0.0.1:9")
                .args(["ask", "--json", "--role", "engineer"])
                .arg(format!(
                    "/escalate severity:high subject:\"fleet ticket {n}\" description:\"instance i-{n} unreachable\""
                ))
                .output()
                .unwrap(),
        );
        let id = opened["ticket"]["id"].as_i64().unwrap();
        let noted = bin(&dir, "http://127.0.0.1:9")
            .args(["ask", "--json", "--role", "engineer"])
            .arg(format!("/ticket note id:{id} text:\"fleet note {n}\""))
            .output()
            .unwrap();
        assert!(noted.status.success(), "{}", String::from_utf8_lossy(&noted.stderr));
        tickets.push(reference(&opened));
    }

    let start_worker = |name: &str| {
        bin(&dir, &stub.endpoint)
            .env("RUST_LOG", "warn,platform_desk=info")
            .arg("worker")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.path().join(format!("{name}.log"))).unwrap())
            .spawn()
            .unwrap()
    };
    let mut workers = vec![start_worker("a"), start_worker("b")];
    let store = platform_desk::store::Store::open(&common::database::url(dir.path(), "platform-desk.db"))
        .await
        .unwrap();

    // As soon as the first case exists, kill -9 the instance holding the
    // case worker: the other takes over and finishes.
    let deadline = Instant::now() + Duration::from_secs(60);
    while stub.operations().iter().filter(|o| o.ends_with("CreateCase")).count() == 0 {
        assert!(Instant::now() < deadline, "no case was created");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let holder = store.lease_holder("case-worker").await.unwrap().expect("a case worker");
    let pid: u32 = holder.holder.split('/').nth(1).unwrap().parse().unwrap();
    let killed = workers
        .iter()
        .position(|w| w.id() == pid)
        .expect("one of the two holds it");
    workers[killed].kill().unwrap();
    workers[killed].wait().unwrap();
    // Until then both were alive: one of them polled AWS Health.
    let polls_before_kill = stub
        .operations()
        .iter()
        .filter(|o| o.ends_with("DescribeEvents"))
        .count();

    let delivered = |n: usize| {
        stub.communications()
            .iter()
            .filter(|(_, body)| body.contains(&format!("fleet note {n}")))
            .count()
    };
    let mut done = false;
    while !done {
        let mut created = 0;
        for reference in &tickets {
            created += common::cases_in_moto(reference).await.min(1);
        }
        done = created == TICKETS && (0..TICKETS).all(|n| delivered(n) > 0);
        assert!(
            Instant::now() < deadline,
            "{created} of {TICKETS} cases; notes {:?}; survivor's log:\n{}",
            (0..TICKETS).map(delivered).collect::<Vec<_>>(),
            std::fs::read_to_string(dir.path().join(if killed == 0 { "b.log" } else { "a.log" })).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few more passes: nothing is done again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
    for reference in &tickets {
        assert_eq!(common::cases_in_moto(reference).await, 1, "{reference}");
    }
    for n in 0..TICKETS {
        assert_eq!(delivered(n), 1, "note {n}");
    }
    assert_eq!(polls_before_kill, 1, "one Health poller while both workers lived");
    // The kill may land in the middle of that poll (before its event was
    // recorded): the survivor then reads it again, and records it once.
    let details = stub
        .operations()
        .iter()
        .filter(|o| o.ends_with("DescribeEventDetails"))
        .count();
    assert!(details <= 2, "{:?}", stub.operations());
    let recorded = store
        .open_outages()
        .await
        .unwrap()
        .iter()
        .filter(|o| o.record.key.ends_with("AWS_RDS_OPERATIONAL_ISSUE/fleet"))
        .count();
    assert_eq!(recorded, 1, "the Health event is recorded once");
}

/// AWS's replies on a case, read by `worker --once` through the SDK
/// (DescribeCommunications, one item a page): each recorded once though two
/// worker processes read them in turn, and shown by `ask --json "/ticket
/// show"` in a later process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_replies_read_by_the_worker_are_recorded_once_and_shown_by_ask() {
    let stub = common::aws_stub::AwsStub::start(&common::moto_endpoint()).await;
    stub.set_communication_page_size(1);
    let dir = tempfile::tempdir().unwrap();
    let opened = json(
        &bin(&dir, &stub.endpoint)
            .args(["ask", "--json", "--role", "engineer", ESCALATE])
            .output()
            .unwrap(),
    );
    let id = opened["ticket"]["id"].as_i64().unwrap();
    let case_id = opened["ticket"]["aws_case_id"].as_str().expect("a case").to_owned();
    let now = time::OffsetDateTime::now_utc();
    for (n, text) in [
        "We are looking into the status checks.",
        "Please attach /var/log/messages from i-0abc.",
        "The host was retired; stop and start the instance.",
    ]
    .into_iter()
    .enumerate()
    {
        let at = now + time::Duration::seconds(n as i64 + 1);
        // The second reply carries a file.
        let files = if n == 1 {
            vec![(
                "collect-logs.sh".to_owned(),
                b"#!/bin/sh\ntar czf logs.tgz /var/log\n".to_vec(),
            )]
        } else {
            Vec::new()
        };
        stub.add_aws_reply_with_files(&case_id, &platform_desk::store::timestamp(at), text, files);
    }
    for _ in 0..2 {
        let output = bin(&dir, &stub.endpoint).args(["worker", "--once"]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let reads = stub
        .operations()
        .iter()
        .filter(|op| *op == "DescribeCommunications")
        .count();
    assert!(reads >= 4, "three pages and the last, each pass: {reads}");

    let store = platform_desk::store::Store::open(&common::database::url(dir.path(), "platform-desk.db"))
        .await
        .unwrap();
    let events = store.ticket_events(id).await.unwrap();
    let replies: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == "aws_reply")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(
        replies,
        [
            "We are looking into the status checks.",
            "Please attach /var/log/messages from i-0abc.\n[attached: collect-logs.sh]",
            "The host was retired; stop and start the instance."
        ],
        "each reply once, in order"
    );
    store.close().await;

    let shown = json(
        &bin(&dir, &stub.endpoint)
            .args(["ask", "--json", "--role", "engineer", &format!("/ticket show id:{id}")])
            .output()
            .unwrap(),
    );
    let text = shown["embeds"].to_string();
    assert!(text.contains("Conversation with AWS Support"), "{text}");
    assert!(text.contains("Waiting on the customer"), "{text}");
    assert_eq!(
        shown["embeds"][1]["description"], "The host was retired; stop and start the instance.",
        "the latest reply in full: {text}"
    );
    // AWS's file, saved next to `ask` (DescribeAttachment) and named by its path.
    assert!(text.contains("attachments/ticket-1/1-collect-logs.sh"), "{text}");
    assert_eq!(
        std::fs::read(dir.path().join("attachments/ticket-1/1-collect-logs.sh")).unwrap(),
        b"#!/bin/sh\ntar czf logs.tgz /var/log\n"
    );
}

/// Severities within the support plan, through the SDK (the stub answers
/// DescribeSeverityLevels; moto keeps the case): a plan without critical
/// opens an urgent case for a critical escalation and says why; a plan
/// without the Support API opens none and explains the plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn severities_stay_within_the_support_plan_through_the_sdk() {
    let stub = common::aws_stub::AwsStub::start(&common::moto_endpoint()).await;
    stub.set_severity_levels(Some(&["low", "normal", "high", "urgent"]));
    let dir = tempfile::tempdir().unwrap();
    let critical =
        r#"/escalate severity:critical subject:"Checkout down" description:"every checkout returns 500 since 10:42""#;
    let opened = json(
        &bin(&dir, &stub.endpoint)
            .args(["ask", "--json", "--role", "engineer", critical])
            .output()
            .unwrap(),
    );
    let case_id = opened["ticket"]["aws_case_id"].as_str().expect("a case").to_owned();
    assert_eq!(
        opened["ticket"]["severity"], "critical",
        "the ticket keeps what was asked"
    );
    assert!(case_id.starts_with("case-"));
    let created = stub.payloads("CreateCase");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["severityCode"], "urgent", "the case within the plan");
    let text = opened["embeds"].to_string();
    assert!(text.contains("opened at severity **urgent**"), "{text}");

    stub.set_severity_levels(None);
    let other = tempfile::tempdir().unwrap();
    let creates = || stub.operations().iter().filter(|op| *op == "CreateCase").count();
    let before = creates();
    let refused = json(
        &bin(&other, &stub.endpoint)
            .args(["ask", "--json", "--role", "engineer", critical])
            .output()
            .unwrap(),
    );
    assert!(refused["ticket"]["id"].as_i64().is_some(), "the ticket is logged");
    assert_eq!(refused["ticket"]["aws_case_id"], serde_json::Value::Null);
    assert_eq!(creates(), before, "no CreateCase without the Support API");
    let text = refused["embeds"].to_string();
    assert!(text.contains("support plan"), "{text}");
}

/// A log file given to `ask` as a path reaches the case through the SDK in
/// one AddAttachmentsToSet and one AddCommunicationToCase, exactly once,
/// though the note's first answer is lost after AWS recorded it: the
/// worker's retry looks for the note (DescribeCommunications) and finds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_reaches_the_case_once_through_the_sdk_when_the_first_answer_is_lost() {
    use common::aws_stub::Fault;
    let stub = common::aws_stub::AwsStub::start(&common::moto_endpoint()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bot-config.toml"),
        "[escalations]\nretry_initial_seconds = 1\nretry_max_seconds = 1\nsettle_seconds = 1\n",
    )
    .unwrap();
    let opened = json(
        &bin(&dir, &stub.endpoint)
            .args(["ask", "--json", "--role", "engineer", ESCALATE])
            .output()
            .unwrap(),
    );
    let id = opened["ticket"]["id"].as_i64().unwrap();
    let case_id = opened["ticket"]["aws_case_id"].as_str().expect("a case").to_owned();
    let log = dir.path().join("elasticbox-agent.log");
    std::fs::write(&log, "2026-11-28 09:10:02 agent: connection refused\n").unwrap();

    stub.inject("AddCommunicationToCase", Fault::LoseResponse);
    let noted = bin(&dir, &stub.endpoint)
        .args(["ask", "--json", "--role", "engineer"])
        .arg(format!(
            "/ticket note id:{id} text:\"agent log attached\" file1:{}",
            log.display()
        ))
        .output()
        .unwrap();
    assert!(noted.status.success(), "{}", String::from_utf8_lossy(&noted.stderr));
    assert!(
        json(&noted).to_string().contains("elasticbox-agent.log"),
        "{}",
        json(&noted)
    );
    std::thread::sleep(Duration::from_millis(1500));
    let output = bin(&dir, &stub.endpoint).args(["worker", "--once"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    assert_eq!(stub.payloads("AddAttachmentsToSet").len(), 1, "uploaded once");
    assert_eq!(
        stub.payloads("AddCommunicationToCase").len(),
        1,
        "sent once, its answer lost"
    );
    assert!(
        !stub.payloads("DescribeCommunications").is_empty(),
        "the retry looked for the note first"
    );
    let files = stub.attached_files();
    assert_eq!(
        files,
        vec![(
            case_id.clone(),
            "elasticbox-agent.log".to_owned(),
            b"2026-11-28 09:10:02 agent: connection refused\n".to_vec()
        )]
    );
    let notes = stub
        .communications()
        .iter()
        .filter(|(case, body)| *case == case_id && body.contains("agent log attached"))
        .count();
    assert_eq!(notes, 1, "the note once");
}
