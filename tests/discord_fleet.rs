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
    // Delivered again (a retry, or to another instance): acted on once.
    let (status, body) = d.post_interaction(&url, &command, false).await;
    assert_eq!(status, 204, "{body}");

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
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        std::fs::write(
            dir.path().join("bot-config.toml"),
            format!(
                "[discord]\napi_proxy = \"{}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\n\
                 internal_guild_ids = [\"500000000000000001\"]\n\n[engineers]\nrole_ids = [\"{ENGINEER_ROLE}\"]\n",
                discord.api,
                discord.public_key()
            ),
        )
        .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_platform-desk"))
            .current_dir(dir.path())
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
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 204], "{first:?} {second:?}");

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
