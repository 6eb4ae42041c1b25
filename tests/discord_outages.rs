//! Outage posts end to end: AWS Health through the real SDK against the
//! JSON 1.1 stub (tests/common/aws_stub.rs; moto has no Health API), the
//! poller and poster inside `run`, and the real serenity client against the
//! fake Discord, which keeps the channel messages and dedupes nonces as
//! Discord does.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::aws_stub::{AwsStub, HealthFixture};
use common::bot::RunningBot;
use common::fake_discord::FakeDiscord;
use platform_desk::app::App;
use platform_desk::aws::AwsServices;
use platform_desk::aws::health::SdkHealth;
use platform_desk::clock::SystemClock;
use platform_desk::config::{Config, CustomerConfig};
use platform_desk::domain::AccountId;

const ENGINEER_ROLE: &str = "555000000000000001";
const ENGINEER: &str = "2000000000000000099";
const ON_CALL_ROLE: &str = "770000000000000001";
const OPS: &str = "660000000000000001";
const ACME: &str = "610000000000000001";
const GLOBEX: &str = "620000000000000001";
const ACME_ACCOUNT: &str = "111111111111";

fn fixture(n: u32, status: &str, updated: u32, scope: &str, accounts: &[&str], text: &str) -> HealthFixture {
    HealthFixture {
        event: serde_json::json!({
            "arn": format!("arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/{n}"),
            "service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE", "eventTypeCategory": "issue",
            "region": "us-east-1", "startTime": 1_795_000_000, "lastUpdatedTime": 1_795_000_000 + updated,
            "endTime": if status == "closed" { serde_json::json!(1_795_000_000 + updated) } else { serde_json::Value::Null },
            "statusCode": status, "eventScopeCode": scope
        }),
        description: text.into(),
        accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
    }
}

fn config(dir: &tempfile::TempDir, discord: &FakeDiscord) -> Config {
    let mut config = Config::default();
    config.database.url = common::database::url(dir.path(), "bot.db");
    config.discord.api_proxy = Some(discord.api.clone());
    config.discord.outage_channel_id = Some(OPS.into());
    config.discord.on_call_role_id = Some(ON_CALL_ROLE.into());
    config.engineers.role_ids = vec![ENGINEER_ROLE.into()];
    config.aws.enabled = Some(true);
    // Test pace (the configuration file requires at least 10 s).
    config.outages.poll_interval_seconds = 1;
    config.outages.max_backoff_seconds = 4;
    config.outages.post_interval_seconds = 1;
    let customer = |name: &str, account: &str, channel: &str| CustomerConfig {
        name: name.into(),
        account_ids: vec![account.parse::<AccountId>().unwrap()],
        guild_ids: vec![],
        channel_ids: vec![channel.into()],
        role_ids: vec![],
        user_ids: vec![],
    };
    config.customers = vec![
        customer("acme", ACME_ACCOUNT, ACME),
        customer("globex", "222222222222", GLOBEX),
    ];
    config
}

/// A fake Discord, the AWS stub and a directory for the database.
async fn scene() -> (FakeDiscord, AwsStub, tempfile::TempDir) {
    (
        FakeDiscord::start().await,
        AwsStub::without_moto().await,
        tempfile::tempdir().unwrap(),
    )
}

async fn start_bot(dir: &tempfile::TempDir, discord: &FakeDiscord, stub: &AwsStub) -> RunningBot {
    let sdk = common::sdk_config(&stub.endpoint).await;
    let aws = AwsServices {
        health: Arc::new(SdkHealth::new(&sdk, false)),
        ..AwsServices::unconfigured()
    };
    let app = App::build_with(config(dir, discord), aws, Arc::new(SystemClock))
        .await
        .unwrap();
    RunningBot::start(Arc::new(app), discord).await
}

/// An engineer runs `/outage subscribe` in each channel; waits for the
/// answers.
async fn subscribe(discord: &FakeDiscord, channels: &[(&str, &str)]) {
    let before = discord.calls_to("PATCH", "/messages/@original").len();
    for (id, channel) in channels {
        discord.slash_command_in(
            channel,
            id,
            "outage",
            serde_json::json!([{"name": "subscribe", "type": 1, "options": []}]),
            ENGINEER,
            &[ENGINEER_ROLE],
        );
    }
    discord
        .wait_for("the subscriptions", || {
            discord.calls_to("PATCH", "/messages/@original").len() >= before + channels.len()
        })
        .await;
}

fn counts(d: &FakeDiscord) -> (usize, usize, usize) {
    (
        d.messages_in(OPS).len(),
        d.messages_in(ACME).len(),
        d.messages_in(GLOBEX).len(),
    )
}

fn channel_posts(d: &FakeDiscord) -> usize {
    d.calls()
        .iter()
        .filter(|c| c.method == "POST" && c.path.contains("/channels/") && c.path.ends_with("/messages"))
        .count()
}

/// Health polls made: each begins with DescribeEvents on the active
/// endpoint (us-east-1 here), a failed one retrying on us-east-2.
/// Health polls that reached us-east-1 (a failing poll sends each request
/// as many times as the SDK's standard retries do).
fn describe_events(stub: &AwsStub) -> usize {
    stub.operations()
        .iter()
        .zip(stub.signing_regions())
        .filter(|(o, region)| *o == "DescribeEvents" && region == "us-east-1")
        .count()
}

fn failed_polls(stub: &AwsStub) -> usize {
    describe_events(stub).div_ceil(common::aws_stub::SDK_ATTEMPTS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_posted_once_edited_in_place_resolved_and_never_repeated_after_a_restart() {
    let (discord, stub, dir) = scene().await;
    let bot = start_bot(&dir, &discord, &stub).await;
    let d = &discord;

    subscribe(d, &[("1600000000000000001", ACME), ("1600000000000000002", GLOBEX)]).await;
    stub.set_health_events(vec![
        fixture(1, "open", 0, "PUBLIC", &[], "Increased API error rates"),
        fixture(2, "open", 0, "ACCOUNT_SPECIFIC", &[ACME_ACCOUNT], "Instances impaired"),
    ]);
    d.wait_for("the posts", || counts(d) == (2, 2, 1)).await;

    // The customer-specific event reached acme only, with acme's count and
    // the phones; the on-call role is pinged in the internal channel only.
    let globex = d.messages_in(GLOBEX);
    assert!(!globex[0].embeds.to_string().contains("Instances impaired"));
    let acme_event = d
        .messages_in(ACME)
        .into_iter()
        .find(|m| m.embeds.to_string().contains("Instances impaired"))
        .unwrap();
    let shown = acme_event.embeds.to_string();
    assert!(shown.contains("1 of your accounts affected"), "{shown}");
    assert!(shown.contains("Critical: call us"), "{shown}");
    assert!(acme_event.content.is_empty(), "no ping in a customer channel");
    let ops_event = d
        .messages_in(OPS)
        .into_iter()
        .find(|m| m.embeds.to_string().contains("Instances impaired"))
        .unwrap();
    assert!(ops_event.content.starts_with(&format!("<@&{ON_CALL_ROLE}>")));
    assert_eq!(ops_event.allowed_mentions["roles"], serde_json::json!([ON_CALL_ROLE]));
    assert_eq!(ops_event.allowed_mentions["parse"], serde_json::json!([]));

    // An update edits the same messages.
    stub.set_health_events(vec![
        fixture(1, "open", 0, "PUBLIC", &[], "Increased API error rates"),
        fixture(
            2,
            "open",
            600,
            "ACCOUNT_SPECIFIC",
            &[ACME_ACCOUNT],
            "Instances recovering",
        ),
    ]);
    d.wait_for("the edit", || {
        d.messages_in(ACME)
            .iter()
            .any(|m| m.embeds.to_string().contains("Instances recovering"))
    })
    .await;
    // Closing marks them resolved, with the duration.
    stub.set_health_events(vec![
        fixture(1, "open", 0, "PUBLIC", &[], "Increased API error rates"),
        fixture(
            2,
            "closed",
            7_500,
            "ACCOUNT_SPECIFIC",
            &[ACME_ACCOUNT],
            "Instances recovered",
        ),
    ]);
    d.wait_for("the resolution", || {
        [OPS, ACME].iter().all(|c| {
            d.messages_in(c)
                .iter()
                .any(|m| m.embeds.to_string().contains("Resolved:"))
        })
    })
    .await;
    assert_eq!(counts(d), (2, 2, 1), "edits, never new messages");
    let resolved = d.messages_in(ACME).into_iter().find(|m| m.id == acme_event.id).unwrap();
    assert!(resolved.embeds.to_string().contains("2 h 5 min"), "{}", resolved.embeds);
    assert_eq!(resolved.edits, 2);

    // Restart: the same database, the same Discord. A new event that came
    // while the bot was away is posted; nothing else is.
    bot.stop().await;
    let posts_before = channel_posts(d);
    assert_eq!(posts_before, 5, "one send per message");
    stub.set_health_events(vec![
        fixture(1, "open", 0, "PUBLIC", &[], "Increased API error rates"),
        fixture(
            2,
            "closed",
            7_500,
            "ACCOUNT_SPECIFIC",
            &[ACME_ACCOUNT],
            "Instances recovered",
        ),
        fixture(3, "open", 0, "PUBLIC", &[], "Elevated latencies"),
    ]);
    let polls_before = describe_events(&stub);
    let bot = start_bot(&dir, &discord, &stub).await;
    d.wait_for("the missed event", || counts(d) == (3, 3, 2)).await;
    d.wait_for("two more polls", || describe_events(&stub) >= polls_before + 3)
        .await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(counts(d), (3, 3, 2));
    assert_eq!(channel_posts(d), posts_before + 3, "only the new event was posted");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_whose_response_was_lost_is_not_posted_twice() {
    let (discord, stub, dir) = scene().await;
    // The message is made but the bot never hears of it: as if it died
    // between Discord's answer and recording the message id.
    discord.lose_next_post();
    stub.set_health_events(vec![fixture(1, "open", 0, "PUBLIC", &[], "Increased API error rates")]);
    let bot = start_bot(&dir, &discord, &stub).await;
    let d = &discord;
    d.wait_for("the retried post", || channel_posts(d) >= 2).await;
    assert_eq!(d.messages_in(OPS).len(), 1, "the resend returned the same message");

    // The id was recorded: an update edits that message.
    stub.set_health_events(vec![fixture(1, "open", 60, "PUBLIC", &[], "Recovering")]);
    d.wait_for("the edit", || {
        d.messages_in(OPS)
            .first()
            .is_some_and(|m| m.embeds.to_string().contains("Recovering"))
    })
    .await;
    assert_eq!(d.messages_in(OPS).len(), 1);

    // A message someone deleted is posted again, once.
    let id = d.messages_in(OPS)[0].id.clone();
    d.delete_message(OPS, &id);
    stub.set_health_events(vec![fixture(1, "open", 120, "PUBLIC", &[], "Nearly there")]);
    d.wait_for("the new message", || d.messages_in(OPS).len() == 1).await;
    d.wait_for("its text", || {
        d.messages_in(OPS)
            .first()
            .is_some_and(|m| m.embeds.to_string().contains("Nearly there"))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(d.messages_in(OPS).len(), 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_health_api_backs_off_and_the_bot_keeps_answering() {
    let (discord, stub, dir) = scene().await;
    stub.set_away(true);
    let bot = start_bot(&dir, &discord, &stub).await;
    let d = &discord;
    // The first poll has failed once every attempt on both endpoints has.
    let requests = || stub.operations().iter().filter(|o| *o == "DescribeEvents").count();
    d.wait_for("the first failed poll", || {
        requests() >= 2 * common::aws_stub::SDK_ATTEMPTS
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();

    d.slash_command(
        "1600000000000000010",
        "scope",
        serde_json::json!([{"name": "question", "type": 3, "value": "is IAM in scope?"}]),
        "2000000000000000001",
        &[],
    );
    d.wait_for("the scope answer", || {
        !d.calls_to("POST", "/interactions/1600000000000000010/").is_empty()
    })
    .await;
    d.slash_command(
        "1600000000000000011",
        "outage",
        serde_json::json!([{"name": "status", "type": 1, "options": []}]),
        "2000000000000000001",
        &[],
    );
    d.wait_for("the outage answer", || {
        !d.calls_to("PATCH", "token-1600000000000000011").is_empty()
    })
    .await;
    let answer = &d.calls_to("PATCH", "token-1600000000000000011")[0].body;
    assert!(
        answer["embeds"][0]["footer"]["text"]
            .as_str()
            .unwrap()
            .contains("could not be read yet"),
        "{answer}"
    );

    // Waits of about 2 s then 4 s (not 1 s) between failed polls.
    while started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let polls = failed_polls(&stub);
    assert!(polls <= 3, "{polls} polls in 5 s: no backoff");

    // Health comes back: the next poll (at most 4 s away) posts.
    stub.set_away(false);
    stub.set_health_events(vec![fixture(1, "open", 0, "PUBLIC", &[], "Increased API error rates")]);
    d.wait_for("the post after recovery", || d.messages_in(OPS).len() == 1)
        .await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_the_bot_cannot_write_to_is_retried_less_and_less_and_holds_up_nobody() {
    let (discord, stub, dir) = scene().await;
    discord.forbid_channel(GLOBEX);
    let bot = start_bot(&dir, &discord, &stub).await;
    let d = &discord;
    subscribe(d, &[("1600000000000000021", GLOBEX), ("1600000000000000022", ACME)]).await;
    stub.set_health_events(vec![fixture(1, "open", 0, "PUBLIC", &[], "Increased API error rates")]);
    d.wait_for("the other channels", || counts(d) == (1, 1, 0)).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let attempts = d.calls_to("POST", &format!("/channels/{GLOBEX}/messages")).len();
    // Every second without backoff; after 2 s, 4 s... with it.
    assert!((1..=3).contains(&attempts), "{attempts} attempts in about 6 s");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engineers_declare_update_and_resolve_an_outage_through_discord() {
    let (discord, stub, dir) = scene().await;
    let bot = start_bot(&dir, &discord, &stub).await;
    let d = &discord;
    subscribe(d, &[("1600000000000000031", ACME), ("1600000000000000032", GLOBEX)]).await;
    let engineer_command = |id: &str, sub: &str, options: serde_json::Value| {
        d.slash_command_in(
            OPS,
            id,
            "outage",
            serde_json::json!([{"name": sub, "type": 1, "options": options}]),
            ENGINEER,
            &[ENGINEER_ROLE],
        )
    };
    engineer_command(
        "1600000000000000033",
        "declare",
        serde_json::json!([
            {"name": "title", "type": 3, "value": "VPN down in Frankfurt"},
            {"name": "severity", "type": 3, "value": "urgent"},
            {"name": "description", "type": 3, "value": "Site-to-site tunnels are down"},
            {"name": "customers", "type": 3, "value": "acme"}
        ]),
    );
    d.wait_for("the posts", || counts(d) == (1, 1, 0)).await;
    assert!(
        d.messages_in(ACME)[0]
            .embeds
            .to_string()
            .contains("VPN down in Frankfurt")
    );

    // The outage number is suggested to engineers, to no one else.
    let typing = |id: &str, user: &str, roles: &[&str]| {
        d.autocomplete(
            id,
            "outage",
            serde_json::json!([{"name": "update", "type": 1, "options": [
                {"name": "id", "type": 4, "value": "", "focused": true}]}]),
            user,
            roles,
        )
    };
    typing("1600000000000000034", ENGINEER, &[ENGINEER_ROLE]);
    typing("1600000000000000035", "2000000000000000001", &[]);
    d.wait_for("both suggestion lists", || {
        !d.calls_to("POST", "/interactions/1600000000000000034/").is_empty()
            && !d.calls_to("POST", "/interactions/1600000000000000035/").is_empty()
    })
    .await;
    let suggested = &d.calls_to("POST", "/interactions/1600000000000000034/")[0].body;
    assert_eq!(suggested["data"]["choices"][0]["value"], 1);
    assert!(
        suggested["data"]["choices"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("#1 VPN down")
    );
    let stranger = &d.calls_to("POST", "/interactions/1600000000000000035/")[0].body;
    assert_eq!(stranger["data"]["choices"], serde_json::json!([]));

    engineer_command(
        "1600000000000000036",
        "update",
        serde_json::json!([{"name": "id", "type": 4, "value": 1}, {"name": "text", "type": 3, "value": "Half the tunnels are back"}]),
    );
    d.wait_for("the edit", || {
        d.messages_in(ACME)[0]
            .embeds
            .to_string()
            .contains("Half the tunnels are back")
    })
    .await;
    engineer_command(
        "1600000000000000037",
        "resolve",
        serde_json::json!([{"name": "id", "type": 4, "value": 1}]),
    );
    d.wait_for("the resolution", || {
        [OPS, ACME]
            .iter()
            .all(|c| d.messages_in(c)[0].embeds.to_string().contains("Resolved:"))
    })
    .await;
    assert_eq!(counts(d), (1, 1, 0), "edited, never posted again; never to globex");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_that_becomes_critical_pings_on_call_once_in_reply_to_its_post() {
    let (discord, stub, dir) = scene().await;
    stub.set_health_events(vec![fixture(1, "open", 0, "PUBLIC", &[], "Increased API error rates")]);
    let bot = start_bot(&dir, &discord, &stub).await;
    let d = &discord;
    d.wait_for("the post", || d.messages_in(OPS).len() == 1).await;
    let post = d.messages_in(OPS)[0].clone();
    assert!(post.content.is_empty(), "urgent: no ping");

    // Now it touches a customer's account: critical.
    stub.set_health_events(vec![fixture(
        1,
        "open",
        60,
        "ACCOUNT_SPECIFIC",
        &[ACME_ACCOUNT],
        "Instances impaired",
    )]);
    d.wait_for("the ping", || d.messages_in(OPS).len() == 2).await;
    let ping = d.messages_in(OPS)[1].clone();
    assert!(
        ping.content.starts_with(&format!("<@&{ON_CALL_ROLE}>")),
        "{}",
        ping.content
    );
    assert_eq!(ping.allowed_mentions["roles"], serde_json::json!([ON_CALL_ROLE]));
    let sent = d
        .calls_to("POST", &format!("/channels/{OPS}/messages"))
        .into_iter()
        .find(|c| c.body["content"].as_str().is_some_and(|t| t.contains("critical")))
        .unwrap();
    assert_eq!(sent.body["message_reference"]["message_id"], post.id.as_str());
    assert!(d.messages_in(OPS)[0].embeds.to_string().contains("Critical: call us"));

    // Further updates edit; nobody is pinged again.
    stub.set_health_events(vec![fixture(
        1,
        "open",
        120,
        "ACCOUNT_SPECIFIC",
        &[ACME_ACCOUNT],
        "Recovering",
    )]);
    d.wait_for("the edit", || {
        d.messages_in(OPS)[0].embeds.to_string().contains("Recovering")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(d.messages_in(OPS).len(), 2);
    bot.stop().await;
}
