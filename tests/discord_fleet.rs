//! Several instances of the bot: Discord's HTTP interactions endpoint
//! (signatures checked, PING answered, commands through the same handler as
//! the gateway, each interaction acted on once), and the gateway lease (one
//! connection at a time; a standby takes over after the holder is killed
//! with `kill -9`). Runs on the database under test (SQLite, or PostgreSQL on
//! the second pass), against the fake Discord in tests/common.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake_discord::FakeDiscord;
use platform_desk::app::App;
use platform_desk::config::{Config, Secret};

const ENGINEER_ROLE: &str = "555000000000000001";

/// A port nothing listens on now (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until the endpoint on `port` answers its health check.
async fn wait_for_endpoint(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        assert!(Instant::now() < deadline, "the endpoint on port {port} never listened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn parsed(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interactions_endpoint_checks_signatures_answers_ping_and_serves_commands_once() {
    let discord = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut config = Config::default();
    config.database.url = common::database::url(dir.path(), "bot.db");
    config.discord.api_proxy = Some(discord.api.clone());
    config.discord.public_key = Some(discord.public_key());
    config.discord.interactions_listen = Some(format!("127.0.0.1:{port}"));
    config.discord.gateway = Some(false);
    config.discord.internal_guild_ids = vec!["500000000000000001".into()];
    config.engineers.role_ids = vec![ENGINEER_ROLE.into()];
    let app = Arc::new(App::build(config).await.unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        platform_desk::discord::run(app, &Secret::new("fake-token"), async move {
            let _ = stopped.await;
        })
        .await
    });
    wait_for_endpoint(port).await;
    let url = format!("http://127.0.0.1:{port}/interactions");
    let d = &discord;

    // Discord's own checks of an endpoint: a PING, and bad signatures.
    let (status, body) = d.post_interaction(&url, &d.ping_body(), false).await;
    assert_eq!((status, parsed(&body)), (200, serde_json::json!({"type": 1})));
    let (status, _) = d.post_interaction(&url, &d.ping_body(), true).await;
    assert_eq!(status, 401, "a body changed after signing is refused");
    let command = d.slash_command_body(
        "1700000000000000001",
        "scope",
        serde_json::json!([{"name": "question", "type": 3, "value": "is IAM in scope?"}]),
        "2000000000000000001",
        &[],
    );
    let (status, _) = d.post_interaction(&url, &command, true).await;
    assert_eq!(status, 401, "a tampered command is refused, and not acted on");

    // A command answered at once: the answer is the HTTP response's body.
    let (status, body) = d.post_interaction(&url, &command, false).await;
    assert_eq!(status, 200, "{body}");
    let answer = parsed(&body);
    assert_eq!(answer["type"], 4, "{answer}");
    assert!(answer.to_string().contains("IAM"), "{answer}");
    assert!(
        common::embed_limit_problems(&answer["data"]["embeds"]).is_empty(),
        "{answer}"
    );
    // Delivered again (a retry, or to another instance): acted on once; the
    // second answer is a private word Discord ignores when the first came.
    let (status, body) = d.post_interaction(&url, &command, false).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("already being handled"), "{body}");
    assert_eq!(parsed(&body)["data"]["flags"], 64, "{body}");

    // A command that may call AWS: deferred in the HTTP answer, then the
    // deferral is edited through the REST API, as on the gateway.
    let outage = d.slash_command_body(
        "1700000000000000002",
        "outage",
        serde_json::json!([{"name": "status", "type": 1, "options": []}]),
        "2000000000000000001",
        &[],
    );
    let (status, body) = d.post_interaction(&url, &outage, false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(parsed(&body)["type"], 5, "{body}");
    d.wait_for("the deferred answer's edit", || {
        !d.calls_to("PATCH", "token-1700000000000000002/messages/@original")
            .is_empty()
    })
    .await;
    assert!(
        d.calls_to("POST", "/interactions/1700000000000000002/").is_empty(),
        "no second first response"
    );
    assert_eq!(
        d.identifications(),
        0,
        "an endpoint-only instance never connects to the gateway"
    );

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the endpoint stops when told")
        .unwrap()
        .unwrap();
}

/// One instance of the fleet, as a separate `platform-desk run` process.
struct Instance {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Instance {
    fn start(discord: &FakeDiscord, database: &str) -> Self {
        Self::start_with(discord, database, "", "", None)
    }

    /// An instance with more `[discord]` keys, more tables, and AWS through
    /// `aws` (an endpoint) or not at all.
    fn start_with(discord: &FakeDiscord, database: &str, discord_keys: &str, tables: &str, aws: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        std::fs::write(
            dir.path().join("bot-config.toml"),
            format!(
                "[discord]\napi_proxy = \"{}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\n\
                 internal_guild_ids = [\"500000000000000001\"]\n{discord_keys}\n\n[engineers]\nrole_ids = [\"{ENGINEER_ROLE}\"]\n{tables}",
                discord.api,
                discord.public_key()
            ),
        )
        .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_platform-desk"));
        match aws {
            Some(endpoint) => command
                .env("AWS_ENDPOINT_URL", endpoint)
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", "us-east-1"),
            None => command.env_remove("AWS_ENDPOINT_URL").env_remove("AWS_ACCESS_KEY_ID"),
        };
        let child = command
            .current_dir(dir.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env("DATABASE_URL", database)
            .env("DISCORD_TOKEN", "fake-token")
            .env("RUST_LOG", "warn,platform_desk=info")
            .env_remove("PLATFORM_DESK_LOG_FORMAT")
            .arg("run")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(dir.path().join("run.log")).unwrap()))
            .spawn()
            .unwrap();
        Self { child, port, _dir: dir }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/interactions", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("run.log")).unwrap_or_default()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The process id in a lease holder's name (`host/pid/random`).
fn holder_pid(holder: &str) -> u32 {
    holder.split('/').nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_holds_the_gateway_and_a_standby_takes_over_after_kill_9() {
    let discord = FakeDiscord::start().await;
    let shared = tempfile::tempdir().unwrap();
    let database = common::database::url(shared.path(), "fleet.db");
    // Migrated once before the fleet starts, as an operator would.
    let store = platform_desk::store::Store::open(&database).await.unwrap();
    let mut a = Instance::start(&discord, &database);
    let mut b = Instance::start(&discord, &database);
    wait_for_endpoint(a.port).await;
    wait_for_endpoint(b.port).await;
    let d = &discord;
    d.wait_until_ready().await;
    // Time for the standby to have tried: still one connection.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(d.identifications(), 1, "one gateway connection for the fleet");
    let holder = store.lease_holder("discord-gateway").await.unwrap().expect("a holder");
    let first_holder = holder_pid(&holder.holder);
    let (holder_instance, standby) = if first_holder == a.child.id() {
        (&mut a, &b)
    } else {
        assert_eq!(first_holder, b.child.id(), "the holder is one of the two");
        (&mut b, &a)
    };

    // Both endpoints serve interactions; an interaction sent to both is
    // acted on once.
    let command = |id: &str| {
        d.slash_command_body(
            id,
            "scope",
            serde_json::json!([{"name": "question", "type": 3, "value": "is patching in scope?"}]),
            "2000000000000000001",
            &[],
        )
    };
    let twice = command("1700000000000000010");
    let (to_holder, to_standby) = (holder_instance.endpoint(), standby.endpoint());
    let (first, second) = tokio::join!(
        d.post_interaction(&to_holder, &twice, false),
        d.post_interaction(&to_standby, &twice, false)
    );
    assert_eq!((first.0, second.0), (200, 200), "{first:?} {second:?}");
    let handled = [&first.1, &second.1]
        .iter()
        .filter(|body| !body.contains("already being handled"))
        .count();
    assert_eq!(handled, 1, "acted on once: {first:?} {second:?}");

    // kill -9 the holder; the standby connects within 30 seconds.
    let before = d.identifications();
    holder_instance.child.kill().unwrap();
    let killed = Instant::now();
    holder_instance.child.wait().unwrap();
    let deadline = killed + Duration::from_secs(30);
    while d.identifications() == before {
        assert!(
            Instant::now() < deadline,
            "no standby took the gateway within 30 s; standby log:\n{}",
            standby.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failover = killed.elapsed();
    eprintln!("gateway failover after kill -9: {:.1} s", failover.as_secs_f64());
    let now_holder = store.lease_holder("discord-gateway").await.unwrap().unwrap();
    assert_eq!(holder_pid(&now_holder.holder), standby.child.id());

    // The survivor answers on the gateway and on its endpoint.
    d.wait_until_ready().await;
    d.slash_command(
        "1700000000000000011",
        "scope",
        serde_json::json!([{"name": "question", "type": 3, "value": "is IAM in scope?"}]),
        "2000000000000000001",
        &[],
    );
    d.wait_for("the gateway answer from the survivor", || {
        !d.calls_to("POST", "/interactions/1700000000000000011/").is_empty()
    })
    .await;
    let (status, body) = d
        .post_interaction(&standby.endpoint(), &command("1700000000000000012"), false)
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The whole story: two `run` instances on one database, AWS
/// (moto, Health through the stub) behind both, escalations, notes and
/// Health events arriving while the gateway holder is killed with `kill -9`:
/// every escalation is a ticket with exactly one AWS case, every note
/// reaches its case once, each Health event is posted once, each ticket's
/// thread starts once and shows each of its events once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_through_two_instances_with_the_gateway_holder_killed_is_done_once() {
    use common::aws_stub::{AwsStub, HealthFixture};
    const ESCALATIONS: &str = "650000000000000001";
    const OUTAGES: &str = "660000000000000001";
    const BURST: usize = 8;
    let discord = FakeDiscord::start().await;
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let health_event = |n: u32, title: &str| HealthFixture {
        event: serde_json::json!({
            "arn": format!("arn:aws:health:eu-west-1::event/RDS/AWS_RDS_OPERATIONAL_ISSUE/burst-{n}"),
            "service": "RDS", "eventTypeCode": "AWS_RDS_OPERATIONAL_ISSUE", "eventTypeCategory": "issue",
            "region": "eu-west-1", "startTime": 1_795_000_000 + n, "lastUpdatedTime": 1_795_000_600 + n,
            "statusCode": "open", "eventScopeCode": "PUBLIC"
        }),
        description: title.into(),
        accounts: vec![],
    };
    stub.set_health_events(vec![
        health_event(1, "Increased connectivity errors for RDS in EU-WEST-1."),
        health_event(2, "Elevated API latencies for RDS in EU-WEST-1."),
    ]);
    let shared = tempfile::tempdir().unwrap();
    let database = common::database::url(shared.path(), "burst.db");
    let store = platform_desk::store::Store::open(&database).await.unwrap();
    let discord_keys = format!("escalations_channel_id = \"{ESCALATIONS}\"\noutage_channel_id = \"{OUTAGES}\"");
    let tables = "[aws]\ncall_timeout_seconds = 3\n\
                  [escalations]\nretry_initial_seconds = 1\nretry_max_seconds = 2\nsettle_seconds = 1\nworker_interval_seconds = 1\n\
                  [outages]\npoll_interval_seconds = 10\npost_interval_seconds = 1\n";
    let mut a = Instance::start_with(&discord, &database, &discord_keys, tables, Some(&stub.endpoint));
    let mut b = Instance::start_with(&discord, &database, &discord_keys, tables, Some(&stub.endpoint));
    wait_for_endpoint(a.port).await;
    wait_for_endpoint(b.port).await;
    let d = &discord;
    d.wait_until_ready().await;
    let holder = store.lease_holder("discord-gateway").await.unwrap().expect("a holder");
    let holder_is_a = holder_pid(&holder.holder) == a.child.id();

    let escalation = |n: usize| {
        d.slash_command_body(
            &format!("17100000000000000{n:02}"),
            "escalate",
            serde_json::json!([
                {"name": "subject", "type": 3, "value": format!("burst ticket {n}")},
                {"name": "description", "type": 3, "value": format!("instance i-{n} stopped answering at 09:00 UTC")},
                {"name": "severity", "type": 3, "value": "high"}
            ]),
            "2000000000000000001",
            &[ENGINEER_ROLE],
        )
    };
    // The first half through both endpoints, then kill -9 the gateway
    // holder, then the rest through the survivor (a load balancer drops a
    // dead backend).
    let (endpoint_a, endpoint_b) = (a.endpoint(), b.endpoint());
    for n in 0..BURST / 2 {
        let endpoint = if n % 2 == 0 { &endpoint_a } else { &endpoint_b };
        let (status, body) = d.post_interaction(endpoint, &escalation(n), false).await;
        assert_eq!(status, 200, "{body}");
    }
    // Killed once those tickets are committed (an escalation is accepted
    // when its ticket is on disk; the answer that confirms it comes after),
    // while their AWS cases, threads and the Health poll are under way.
    let everyone = platform_desk::store::TicketQuery {
        limit: 100,
        ..Default::default()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while store.list_tickets(&everyone).await.unwrap().len() < BURST / 2 {
        assert!(Instant::now() < deadline, "the first half was not accepted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let killed_at = Instant::now();
    let (survivor, survivor_endpoint) = if holder_is_a {
        a.child.kill().unwrap();
        a.child.wait().unwrap();
        (&b, endpoint_b.clone())
    } else {
        b.child.kill().unwrap();
        b.child.wait().unwrap();
        (&a, endpoint_a.clone())
    };
    for n in BURST / 2..BURST {
        let (status, body) = d.post_interaction(&survivor_endpoint, &escalation(n), false).await;
        assert_eq!(status, 200, "{body}");
    }

    // Every escalation is a ticket (none lost), each with its one case.
    let tickets = loop {
        let tickets = store.list_tickets(&everyone).await.unwrap();
        let with_cases = tickets.iter().filter(|t| t.aws_case_id.is_some()).count();
        if tickets.len() == BURST && with_cases == BURST {
            break tickets;
        }
        assert!(
            Instant::now() < deadline,
            "{} tickets, {with_cases} with cases; survivor's log:\n{}",
            tickets.len(),
            survivor.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for n in 0..BURST {
        assert_eq!(
            tickets
                .iter()
                .filter(|t| t.subject == format!("burst ticket {n}"))
                .count(),
            1,
            "burst ticket {n}"
        );
    }

    // A note on each ticket, through the survivor: each reaches its case.
    for (n, ticket) in tickets.iter().enumerate() {
        let note = d.slash_command_body(
            &format!("17200000000000000{n:02}"),
            "ticket",
            serde_json::json!([{"name": "note", "type": 1, "options": [
                {"name": "id", "type": 4, "value": ticket.id},
                {"name": "text", "type": 3, "value": format!("burst note {}", ticket.id)}
            ]}]),
            "2000000000000000001",
            &[ENGINEER_ROLE],
        );
        let (status, body) = d.post_interaction(&survivor_endpoint, &note, false).await;
        assert_eq!(status, 200, "{body}");
    }
    let sent = |ticket: i64| {
        stub.communications()
            .iter()
            .filter(|(_, body)| body.contains(&format!("burst note {ticket}")))
            .count()
    };
    while !tickets.iter().all(|t| sent(t.id) > 0) {
        assert!(
            Instant::now() < deadline,
            "notes not all delivered; survivor's log:\n{}",
            survivor.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Each ticket's thread has its opening message, its case and its note.
    let posted_everything = || {
        let starters = d.messages_in(ESCALATIONS).len();
        starters == BURST
            && d.threads().iter().all(|thread| {
                let shown: String = d.messages_in(thread).iter().map(|m| m.content.clone()).collect();
                shown.contains("AWS case") && shown.contains("burst note")
            })
    };
    while !posted_everything() {
        assert!(
            Instant::now() < deadline,
            "threads incomplete; survivor's log:\n{}",
            survivor.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let outage_posted = |text: &str| {
        d.messages_in(OUTAGES)
            .iter()
            .filter(|m| m.embeds.to_string().contains(text))
            .count()
    };
    while outage_posted("Increased connectivity errors") == 0 || outage_posted("Elevated API latencies") == 0 {
        assert!(
            Instant::now() < deadline,
            "Health events not posted; survivor's log:\n{}",
            survivor.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Some more passes of every loop: nothing is done again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    eprintln!("burst done {:.1} s after the kill", killed_at.elapsed().as_secs_f64());

    for ticket in &tickets {
        assert_eq!(
            common::cases_in_moto(&ticket.case_reference).await,
            1,
            "{}",
            ticket.case_reference
        );
        assert_eq!(sent(ticket.id), 1, "note of ticket {}", ticket.id);
    }
    assert_eq!(outage_posted("Increased connectivity errors"), 1);
    assert_eq!(outage_posted("Elevated API latencies"), 1);
    let starters = d.messages_in(ESCALATIONS);
    assert_eq!(starters.len(), BURST, "one thread-starting message per ticket");
    assert_eq!(d.threads().len(), BURST, "one thread per ticket");
    for thread in d.threads() {
        let mut contents: Vec<String> = d.messages_in(&thread).iter().map(|m| m.content.clone()).collect();
        let posted = contents.len();
        contents.sort();
        contents.dedup();
        assert_eq!(
            contents.len(),
            posted,
            "a message posted twice in thread {thread}: {contents:#?}"
        );
    }
}

/// Two `run` instances on one database, both polling for AWS's replies
/// (every second): a reply AWS adds to a case is posted once in the
/// ticket's thread, its opener is told once, and its file is uploaded with
/// it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_instances_an_aws_reply_is_shown_and_its_opener_told_once() {
    use common::aws_stub::AwsStub;
    const ESCALATIONS: &str = "650000000000000001";
    const OPENER: &str = "2000000000000000031";
    let discord = FakeDiscord::start().await;
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let shared = tempfile::tempdir().unwrap();
    let database = common::database::url(shared.path(), "replies.db");
    let store = platform_desk::store::Store::open(&database).await.unwrap();
    let discord_keys = format!("escalations_channel_id = \"{ESCALATIONS}\"");
    let tables = "[aws]\ncall_timeout_seconds = 3\n\
                  [escalations]\nworker_interval_seconds = 1\nsync_interval_seconds = 1\n\
                  settle_seconds = 1\nretry_initial_seconds = 1\nretry_max_seconds = 1\n";
    let a = Instance::start_with(&discord, &database, &discord_keys, tables, Some(&stub.endpoint));
    let b = Instance::start_with(&discord, &database, &discord_keys, tables, Some(&stub.endpoint));
    wait_for_endpoint(a.port).await;
    wait_for_endpoint(b.port).await;
    let d = &discord;
    d.wait_until_ready().await;
    let escalation = d.slash_command_body(
        "1750000000000000001",
        "escalate",
        serde_json::json!([
            {"name": "subject", "type": 3, "value": "NAT gateway drops"},
            {"name": "description", "type": 3, "value": "half the connections through nat-0abc drop since 08:00"},
            {"name": "severity", "type": 3, "value": "high"}
        ]),
        OPENER,
        &[ENGINEER_ROLE],
    );
    let (status, body) = d.post_interaction(&a.endpoint(), &escalation, false).await;
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let case_id = loop {
        if let Some(ticket) = store.ticket(1).await.unwrap()
            && let Some(case) = ticket.aws_case_id
        {
            break case;
        }
        assert!(Instant::now() < deadline, "no case; a's log:\n{}", a.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let at = platform_desk::store::timestamp(time::OffsetDateTime::now_utc());
    stub.add_aws_reply_with_files(
        &case_id,
        &at,
        "Please run the attached script and send us its output.",
        vec![("collect.sh".to_owned(), b"#!/bin/sh\nip route\n".to_vec())],
    );
    let reply_posts = || -> Vec<serde_json::Value> {
        d.threads()
            .iter()
            .flat_map(|thread| d.calls_to("POST", &format!("/channels/{thread}/messages")))
            .filter(|c| {
                c.body["content"]
                    .as_str()
                    .is_some_and(|t| t.contains("replied on the AWS case"))
            })
            .map(|c| c.body)
            .collect()
    };
    let notices = || {
        d.calls_to("POST", "/messages")
            .into_iter()
            .filter(|c| {
                c.body["content"]
                    .as_str()
                    .is_some_and(|t| t.contains("AWS Support replied on ticket #1"))
            })
            .count()
    };
    while reply_posts().is_empty() || notices() == 0 {
        assert!(
            Instant::now() < deadline,
            "reply not shown; a's log:\n{}\nb's log:\n{}",
            a.log(),
            b.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Several more sync passes of both instances: nothing again.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let posts = reply_posts();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert_eq!(posts[0]["attachments"][0]["filename"], "collect.sh");
    assert_eq!(notices(), 1, "the opener told once");

    // The answer, with the script's output attached, through the other
    // instance's endpoint: one upload and one note reach AWS, though the
    // note's first answer is lost after AWS recorded it.
    stub.inject("AddCommunicationToCase", common::aws_stub::Fault::LoseResponse);
    let answer = d.slash_command_body_with_files(
        "1750000000000000002",
        "ticket",
        serde_json::json!([{"name": "note", "type": 1, "options": [
            {"name": "id", "type": 4, "value": 1},
            {"name": "text", "type": 3, "value": "output attached"}
        ]}]),
        &[("file1", "routes.txt", b"default via 10.0.0.1 dev eth0\n".to_vec())],
        &[],
        OPENER,
        &[ENGINEER_ROLE],
    );
    let (status, body) = d.post_interaction(&b.endpoint(), &answer, false).await;
    assert_eq!(status, 200, "{body}");
    // The files the desk sent (AWS's own reply carries one too).
    let sent_files = || {
        stub.attached_files()
            .into_iter()
            .filter(|(_, name, _)| name != "collect.sh")
            .collect::<Vec<_>>()
    };
    let uploaded = || sent_files().len();
    while uploaded() == 0 {
        assert!(
            Instant::now() < deadline,
            "no file; b's log:
{}",
            b.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Past the settle wait, the retry looks for the note and finds it: the
    // outbox empties without a second send.
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    while !store.due_case_actions(later, 10).await.unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the note stayed queued; b's log:\n{}",
            b.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        !stub.payloads("DescribeCommunications").is_empty(),
        "the retry looked for the note"
    );
    assert_eq!(
        sent_files(),
        vec![(
            case_id.clone(),
            "routes.txt".to_owned(),
            b"default via 10.0.0.1 dev eth0\n".to_vec()
        )]
    );
    assert_eq!(stub.payloads("AddAttachmentsToSet").len(), 1, "one upload");
    assert_eq!(stub.payloads("AddCommunicationToCase").len(), 1, "one note");
    let replies = store
        .ticket_events(1)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "aws_reply")
        .count();
    assert_eq!(replies, 1);
}
