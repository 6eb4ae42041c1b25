//! The Discord adapter end to end: the real serenity client against the fake
//! Discord in tests/common/fake_discord.rs (REST and gateway on 127.0.0.1).

mod common;

use std::sync::Arc;

use common::bot::RunningBot;
use common::fake_discord::FakeDiscord;
use platform_desk::app::App;
use platform_desk::config::Config;

const ENGINEER_ROLE: &str = "555000000000000001";

struct Bot {
    discord: FakeDiscord,
    running: RunningBot,
    _dir: tempfile::TempDir,
}

async fn start() -> Bot {
    start_with(|_| {}).await
}

/// The bot on a fresh database, connected to a fake Discord, with `adjust`
/// applied to its configuration.
async fn start_with(adjust: impl FnOnce(&mut Config)) -> Bot {
    let discord = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = bot_config(&discord, &dir);
    adjust(&mut config);
    let app = Arc::new(App::build(config).await.unwrap());
    let running = RunningBot::start(app, &discord).await;
    Bot {
        discord,
        running,
        _dir: dir,
    }
}

/// The test bot's configuration: its database in `dir`, Discord through
/// the fake, the engineers' role, and the fake's guild as the provider's
/// own (its customers' channels, when a test maps them, are theirs).
fn bot_config(discord: &FakeDiscord, dir: &tempfile::TempDir) -> Config {
    let mut config = Config::default();
    config.database.url = common::database::url(dir.path(), "bot.db");
    config.discord.api_proxy = Some(discord.api.clone());
    config.engineers.role_ids = vec![ENGINEER_ROLE.into()];
    config.outages.post_interval_seconds = 1;
    config.discord.internal_guild_ids = vec!["500000000000000001".into()];
    config
}

/// The bot's app with AWS Support replaced by `aws` (an in-memory fake).
async fn app_with_support(config: Config, aws: &Arc<common::fakes::FakeSupport>) -> Arc<App> {
    Arc::new(
        App::build_with(
            config,
            platform_desk::aws::AwsServices::with_cases(aws.clone()),
            Arc::new(platform_desk::clock::SystemClock),
        )
        .await
        .unwrap(),
    )
}

impl Bot {
    async fn stop(self) {
        self.running.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_connects_through_the_fake_and_registers_its_commands() {
    let bot = start().await;
    let d = &bot.discord;
    d.wait_for("command registration", || !d.calls_to("PUT", "/commands").is_empty())
        .await;
    assert!(
        !d.calls_to("GET", "/gateway").is_empty(),
        "the gateway URL came from the fake"
    );
    let registered = &d.calls_to("PUT", "/commands")[0].body;
    let names: Vec<&str> = registered
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"scope") && names.contains(&"escalate") && names.contains(&"ticket"));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_command_is_answered_at_once_with_its_embed() {
    let bot = start().await;
    let d = &bot.discord;
    d.slash_command(
        "1000000000000000001",
        "scope",
        serde_json::json!([{"name": "question", "type": 3, "value": "is IAM in scope?"}]),
        "2000000000000000001",
        &[],
    );
    d.wait_for("the callback", || !d.calls_to("POST", "/callback").is_empty())
        .await;
    let callback = &d.calls_to("POST", "/interactions/1000000000000000001/")[0].body;
    assert_eq!(callback["type"], 4);
    assert!(
        callback["data"]["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .contains("In scope: IAM policies")
    );
    assert_eq!(callback["data"]["allowed_mentions"]["parse"], serde_json::json!([]));
    assert_eq!(
        callback["data"]["components"][0]["components"][0]["custom_id"],
        "pd:escalate"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spend_command_is_deferred_privately_then_edited() {
    let bot = start().await;
    let d = &bot.discord;
    d.slash_command(
        "1000000000000000002",
        "spend",
        serde_json::json!([]),
        "2000000000000000002",
        &[ENGINEER_ROLE],
    );
    d.wait_for("the edit", || !d.calls_to("PATCH", "/messages/@original").is_empty())
        .await;
    let callback = &d.calls_to("POST", "/interactions/1000000000000000002/")[0];
    let edit = &d.calls_to("PATCH", "/messages/@original")[0];
    assert_eq!(callback.body["type"], 5, "deferred first");
    assert_eq!(
        callback.body["data"]["flags"], 64,
        "spend is private in a guild channel"
    );
    assert!(callback.at <= edit.at);
    assert!(
        edit.body["embeds"][0]["description"]
            .as_str()
            .unwrap()
            .contains("not connected"),
        "{}",
        edit.body
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_interaction_delivered_twice_is_answered_once() {
    let bot = start().await;
    let d = &bot.discord;
    let options = serde_json::json!([{"name": "question", "type": 3, "value": "is patching in scope?"}]);
    d.slash_command(
        "1000000000000000003",
        "scope",
        options.clone(),
        "2000000000000000003",
        &[],
    );
    d.redeliver_slash_command("1000000000000000003", "scope", options, "2000000000000000003");
    d.wait_for("the callback", || !d.calls_to("POST", "/callback").is_empty())
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(d.calls_to("POST", "/interactions/1000000000000000003/").len(), 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_is_always_answered_pinging_nobody_and_chit_chat_not_addressed_gets_nothing() {
    let bot = start().await;
    let d = &bot.discord;
    d.message(
        "1100000000000000001",
        "good morning everyone",
        false,
        "2000000000000000004",
    );
    d.message(
        "1100000000000000002",
        "<@700000000000000001> good morning",
        true,
        "2000000000000000004",
    );
    d.message(
        "1100000000000000003",
        "<@700000000000000001> @everyone who do I call in Canada?",
        true,
        "2000000000000000004",
    );
    d.wait_for("both replies", || {
        d.calls_to("POST", "/channels/600000000000000002/messages").len() >= 2
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let replies = d.calls_to("POST", "/channels/600000000000000002/messages");
    assert_eq!(
        replies.len(),
        2,
        "the two mentions are answered, the chit-chat is not: {replies:#?}"
    );
    let reply_to = |id: &str| {
        replies
            .iter()
            .find(|r| r.body["message_reference"]["message_id"] == id)
            .unwrap_or_else(|| panic!("no reply to {id}: {replies:#?}"))
            .body
            .clone()
    };
    let greeting = reply_to("1100000000000000002");
    assert!(greeting.to_string().contains("What I can do"), "{greeting}");
    let reply = reply_to("1100000000000000003");
    assert_eq!(reply["allowed_mentions"]["parse"], serde_json::json!([]));
    assert!(reply.to_string().contains("1-866-296-5335"));
    assert!(!reply.to_string().contains("@everyone"));
    bot.stop().await;
}

/// Issue 10's four kinds of silence, asked by mentioning the bot in a guild
/// channel, and the same rule in a support channel without a mention:
/// questions for the desk are answered, chit-chat and questions put to
/// colleagues are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_for_the_desk_are_never_left_silent() {
    let bot = start_with(|config| config.discord.support_channel_ids = vec!["600000000000000002".into()]).await;
    let d = &bot.discord;
    let questions = [
        (
            "1200000000000000001",
            "<@700000000000000001> what do we owe AWS for november up to now",
            true,
        ),
        (
            "1200000000000000002",
            "<@700000000000000001> is tier 1 tech support part of what we get",
            true,
        ),
        (
            "1200000000000000003",
            "<@700000000000000001> what should I send you when a Cloud Application Manager API call fails with a 400",
            true,
        ),
        (
            "1200000000000000004",
            "<@700000000000000001> would you tune our Postgres queries",
            true,
        ),
        ("1200000000000000005", "would you tune our Postgres queries", false),
    ];
    for (id, text, mention) in questions {
        d.message(id, text, mention, "2000000000000000004");
    }
    d.message(
        "1200000000000000006",
        "anyone up for lunch?",
        false,
        "2000000000000000004",
    );
    d.message(
        "1200000000000000007",
        "standup moved to 10:30",
        false,
        "2000000000000000004",
    );
    d.wait_for("an answer to each question", || {
        d.calls_to("POST", "/channels/600000000000000002/messages").len() >= questions.len()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let replies = d.calls_to("POST", "/channels/600000000000000002/messages");
    let answered: Vec<&str> = replies
        .iter()
        .filter_map(|r| r.body["message_reference"]["message_id"].as_str())
        .collect();
    for (id, text, _) in questions {
        assert!(answered.contains(&id), "{text:?} was left silent: {replies:#?}");
    }
    assert_eq!(replies.len(), questions.len(), "chit-chat was answered: {replies:#?}");
    let tier_one = replies
        .iter()
        .find(|r| r.body["message_reference"]["message_id"] == "1200000000000000002")
        .unwrap();
    assert!(
        tier_one.body.to_string().contains("In scope: Tier 1 technical support"),
        "{:?}",
        tier_one.body
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_pressing_an_engineers_button_is_refused_privately() {
    let bot = start().await;
    let d = &bot.discord;
    d.button_press("1200000000000000001", "pd:approve:1", "2000000000000000005", &[]);
    d.wait_for("the refusal", || {
        !d.calls_to("POST", "/interactions/1200000000000000001/").is_empty()
    })
    .await;
    let refusal = &d.calls_to("POST", "/interactions/1200000000000000001/")[0].body;
    assert_eq!(refusal["type"], 4);
    assert_eq!(refusal["data"]["flags"], 64);
    assert!(
        refusal["data"]["content"]
            .as_str()
            .unwrap()
            .contains("Only support engineers")
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_escalation_button_opens_a_form_whose_submission_opens_a_ticket_an_engineer_can_resolve() {
    let bot = start().await;
    let d = &bot.discord;
    d.button_press(
        "1200000000000000002",
        "pd:escalate",
        "2000000000000000006",
        &[ENGINEER_ROLE],
    );
    d.wait_for("the form", || {
        !d.calls_to("POST", "/interactions/1200000000000000002/").is_empty()
    })
    .await;
    let form = &d.calls_to("POST", "/interactions/1200000000000000002/")[0].body;
    assert_eq!(form["type"], 9, "a modal");
    assert_eq!(form["data"]["custom_id"], "pd:escalate-form");

    d.modal_submit(
        "1200000000000000003",
        "pd:escalate-form",
        &[
            ("subject", "RDS database down"),
            (
                "description",
                "prod-db unreachable since 10:42 UTC, the app returns 500",
            ),
            ("severity", "urgent"),
        ],
        "2000000000000000006",
        &[ENGINEER_ROLE],
    );
    d.wait_for("the ticket", || {
        !d.calls_to("PATCH", "token-1200000000000000003").is_empty()
    })
    .await;
    let opened = &d.calls_to("PATCH", "token-1200000000000000003")[0].body;
    let title = opened["embeds"][0]["title"].as_str().unwrap();
    assert!(title.contains("Ticket #1: RDS database down"), "{title}");
    let buttons: Vec<&str> = opened["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["custom_id"].as_str().unwrap())
        .collect();
    assert_eq!(buttons, ["pd:resolve:1"]);

    d.button_press(
        "1200000000000000004",
        "pd:resolve:1",
        "2000000000000000006",
        &[ENGINEER_ROLE],
    );
    d.wait_for("the resolution", || {
        !d.calls_to("PATCH", "token-1200000000000000004").is_empty()
    })
    .await;
    let resolved = &d.calls_to("PATCH", "token-1200000000000000004")[0].body;
    assert!(
        resolved["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .contains("Resolved ticket #1"),
        "{resolved}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_gateway_is_reconnected_and_the_bot_answers_again() {
    let bot = start().await;
    let d = &bot.discord;
    d.drop_gateway();
    d.wait_for("a new session or a resume", || d.identifications() > 1 || d.resumed())
        .await;
    d.slash_command(
        "1200000000000000005",
        "scope",
        serde_json::json!([{"name": "question", "type": 3, "value": "is IAM in scope?"}]),
        "2000000000000000007",
        &[],
    );
    d.wait_for("the answer after reconnecting", || {
        !d.calls_to("POST", "/interactions/1200000000000000005/").is_empty()
    })
    .await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_commands_registers_in_the_configured_guilds_without_the_gateway() {
    let discord = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bot-config.toml"),
        format!(
            "[discord]\napi_proxy = \"{}\"\ncommand_guild_ids = [\"500000000000000001\"]\n",
            discord.api
        ),
    )
    .unwrap();
    let output = tokio::task::block_in_place(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_platform-desk"))
            .arg("register-commands")
            .current_dir(dir.path())
            .env("DISCORD_TOKEN", "fake-token")
            .output()
            .unwrap()
    });
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("registered in 1 guild"));
    let put = discord.calls_to("PUT", "/guilds/500000000000000001/commands");
    assert_eq!(put.len(), 1);
    assert!(put[0].body.as_array().unwrap().len() >= 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_ids_are_suggested_only_to_those_who_may_see_them() {
    let bot = start().await;
    let d = &bot.discord;
    d.slash_command(
        "1300000000000000001",
        "escalate",
        serde_json::json!([
            {"name": "subject", "type": 3, "value": "EC2 status checks failing"},
            {"name": "description", "type": 3, "value": "i-0abc fails system checks since 10:42"},
            {"name": "severity", "type": 3, "value": "high"}
        ]),
        "2000000000000000008",
        &[ENGINEER_ROLE],
    );
    d.wait_for("the ticket", || {
        !d.calls_to("PATCH", "token-1300000000000000001").is_empty()
    })
    .await;
    let typing = |id: &str, user: &str, roles: &[&str]| {
        d.autocomplete(
            id,
            "ticket",
            serde_json::json!([{"name": "show", "type": 1, "options": [{"name": "id", "type": 4, "value": "1", "focused": true}]}]),
            user,
            roles,
        )
    };
    typing("1300000000000000002", "2000000000000000008", &[ENGINEER_ROLE]);
    typing("1300000000000000003", "2000000000000000009", &[]);
    d.wait_for("both suggestion lists", || d.calls_to("POST", "/callback").len() >= 3)
        .await;
    let engineer = &d.calls_to("POST", "/interactions/1300000000000000002/")[0].body;
    assert_eq!(engineer["type"], 8);
    assert_eq!(engineer["data"]["choices"][0]["value"], 1);
    assert!(
        engineer["data"]["choices"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("#1 EC2 status checks failing")
    );
    let stranger = &d.calls_to("POST", "/interactions/1300000000000000003/")[0].body;
    assert_eq!(stranger["data"]["choices"], serde_json::json!([]));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_ticket_gets_a_thread_that_follows_its_events_once() {
    let bot = start_with(|config| {
        config.discord.escalations_channel_id = Some("650000000000000001".into());
        config.escalations.worker_interval_seconds = 1;
    })
    .await;
    let discord = &bot.discord;
    discord.slash_command(
        "1400000000000000001",
        "escalate",
        serde_json::json!([
            {"name": "subject", "type": 3, "value": "Route 53 not resolving"},
            {"name": "description", "type": 3, "value": "example.com returns SERVFAIL since 09:00"},
            {"name": "severity", "type": 3, "value": "urgent"}
        ]),
        "2000000000000000010",
        &[ENGINEER_ROLE],
    );
    let d = discord;
    let thread_posts = |d: &FakeDiscord| -> Vec<String> {
        d.threads()
            .first()
            .map(|thread| d.messages_in(thread).into_iter().map(|m| m.content).collect())
            .unwrap_or_default()
    };
    d.wait_for("the thread and its events", || {
        d.threads().len() == 1 && thread_posts(d).len() >= 2
    })
    .await;
    // The thread is started from a message in the escalations channel and
    // takes its id.
    let starters = d.messages_in("650000000000000001");
    assert_eq!(starters.len(), 1);
    assert!(starters[0].content.contains("Ticket #1: Route 53 not resolving"));
    assert_eq!(d.threads(), vec![starters[0].id.clone()]);
    let create = &d.calls_to("POST", &format!("/messages/{}/threads", starters[0].id))[0].body;
    assert_eq!(create["name"], "Ticket #1: Route 53 not resolving");
    let posts = thread_posts(d);
    assert!(posts[0].contains("opened the ticket"), "{posts:?}");
    assert!(
        posts.iter().any(|p| p.contains("could not open the AWS case")),
        "{posts:?}"
    );
    assert!(
        !posts.iter().any(|p| p.contains("tried to open")),
        "attempts stay in the log: {posts:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(thread_posts(d).len(), posts.len(), "nothing posted twice");
    bot.stop().await;
}

/// Lost answers make no second thread and no second post; a note that is
/// over Discord's limits once its mentions are neutralized is shortened,
/// and other tickets' threads keep receiving their events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_threads_survive_lost_answers_and_hostile_notes_exactly_once() {
    const ESCALATIONS: &str = "650000000000000001";
    let bot = start_with(|config| {
        config.discord.escalations_channel_id = Some(ESCALATIONS.into());
        config.escalations.worker_interval_seconds = 1;
    })
    .await;
    let d = &bot.discord;
    let escalate = |id: &str, subject: &str| {
        d.slash_command(
            id,
            "escalate",
            serde_json::json!([
                {"name": "subject", "type": 3, "value": subject},
                {"name": "description", "type": 3, "value": "stopped answering at 09:00 UTC, restarted, no change"},
                {"name": "severity", "type": 3, "value": "high"}
            ]),
            "2000000000000000010",
            &[ENGINEER_ROLE],
        )
    };
    let posts_in = |d: &FakeDiscord, thread: &str| -> Vec<String> {
        d.messages_in(thread).into_iter().map(|m| m.content).collect()
    };
    // The answer to starting the first thread is lost.
    d.lose_next_thread();
    escalate("1500000000000000001", "Build agents offline");
    d.wait_for("the first thread, started once", || {
        d.threads().len() == 1 && !posts_in(d, &d.threads()[0]).is_empty()
    })
    .await;
    let first = d.threads()[0].clone();
    assert_eq!(d.messages_in(ESCALATIONS).len(), 1, "one starter message");
    assert_eq!(d.calls_to("POST", &format!("/messages/{first}/threads")).len(), 2);

    // A hostile note, and the answer to the next post lost.
    d.lose_next_post();
    d.slash_command(
        "1500000000000000002",
        "ticket",
        serde_json::json!([{"name": "note", "type": 1, "options": [
            {"name": "id", "type": 4, "value": 1},
            {"name": "text", "type": 3, "value": "@!".repeat(750)}
        ]}]),
        "2000000000000000010",
        &[ENGINEER_ROLE],
    );
    escalate("1500000000000000003", "Payroll batch stuck");
    d.wait_for("the second ticket's thread and the note", || {
        d.threads().len() == 2
            && posts_in(d, &d.threads()[1])
                .iter()
                .any(|p| p.contains("opened the ticket"))
            && posts_in(d, &first).iter().any(|p| p.contains("added a note"))
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let notes = posts_in(d, &first)
        .into_iter()
        .filter(|p| p.contains("added a note"))
        .count();
    assert_eq!(notes, 1, "{:?}", posts_in(d, &first));
    for call in d
        .calls()
        .iter()
        .filter(|c| c.method == "POST" && c.path.ends_with("/messages"))
    {
        let content = call.body["content"].as_str().unwrap_or_default();
        assert!(
            content.encode_utf16().count() <= 2000,
            "{} units sent",
            content.encode_utf16().count()
        );
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_escalation_alerts_the_outage_channel_pinging_only_the_on_call_role() {
    let bot = start_with(|config| {
        config.discord.outage_channel_id = Some("660000000000000001".into());
        config.discord.on_call_role_id = Some("770000000000000001".into());
    })
    .await;
    let discord = &bot.discord;
    discord.slash_command(
        "1500000000000000001",
        "escalate",
        serde_json::json!([
            {"name": "subject", "type": 3, "value": "@everyone the whole site is down"},
            {"name": "description", "type": 3, "value": "every request returns 503 since 10:00"},
            {"name": "severity", "type": 3, "value": "critical"}
        ]),
        "2000000000000000011",
        &[ENGINEER_ROLE],
    );
    let d = discord;
    d.wait_for("the alert", || {
        !d.calls_to("POST", "/channels/660000000000000001/messages").is_empty()
    })
    .await;
    let alert = &d.calls_to("POST", "/channels/660000000000000001/messages")[0].body;
    let content = alert["content"].as_str().unwrap();
    assert!(content.starts_with("<@&770000000000000001>"), "{content}");
    assert!(!content.contains("@everyone"), "typed text never pings: {content}");
    assert_eq!(alert["allowed_mentions"]["parse"], serde_json::json!([]));
    assert_eq!(
        alert["allowed_mentions"]["roles"],
        serde_json::json!(["770000000000000001"])
    );
    assert!(
        alert["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .contains("Critical escalation #1"),
        "{alert}"
    );
    let edit = &d.calls_to("PATCH", "token-1500000000000000001")[0].body;
    assert!(edit["embeds"][0]["title"].as_str().unwrap().contains("call now"));
    bot.stop().await;
}

/// A reply only its asker may see (spend, refusals) to a chat message in a
/// shared channel goes by direct message; the channel is told where, and
/// sees nothing of the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_answer_to_a_channel_message_goes_by_direct_message() {
    let bot = start_with(|config| {
        config.customers = vec![platform_desk::config::CustomerConfig {
            name: "acme".into(),
            account_ids: vec!["111122223333".parse().unwrap()],
            guild_ids: vec![],
            channel_ids: vec![],
            role_ids: vec![],
            user_ids: vec!["2000000000000000009".into()],
        }];
    })
    .await;
    let d = &bot.discord;
    d.message(
        "1300000000000000001",
        "<@700000000000000001> how much have we spent this month?",
        true,
        "2000000000000000009",
    );
    let dm = common::fake_discord::dm_channel_of("2000000000000000009");
    d.wait_for("the private answer and the pointer", || {
        !d.calls_to("POST", &format!("/channels/{dm}/messages")).is_empty()
            && !d.calls_to("POST", "/channels/600000000000000002/messages").is_empty()
    })
    .await;
    let private = d.calls_to("POST", &format!("/channels/{dm}/messages"));
    assert!(
        private[0].body.to_string().contains("Cost Explorer"),
        "{:?}",
        private[0].body
    );
    let public = d.calls_to("POST", "/channels/600000000000000002/messages");
    assert_eq!(public.len(), 1);
    let pointer = public[0].body.to_string();
    assert!(pointer.contains("direct message"), "{pointer}");
    assert!(
        !pointer.contains("Cost Explorer"),
        "the answer leaked into the channel: {pointer}"
    );
    assert_eq!(public[0].body["message_reference"]["message_id"], "1300000000000000001");
    bot.stop().await;
}

/// In a customer's channel only that customer's data is shown, to an
/// engineer too; what the engineer may not see there is refused privately,
/// although the command was deferred in the open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engineers_listing_in_a_customers_channel_shows_only_that_customer() {
    const ACME_ROOM: &str = "610000000000000001";
    const GLOBEX_ROOM: &str = "620000000000000001";
    let bot = start_with(|config| {
        let customer = |name: &str, channel: &str, user: &str| platform_desk::config::CustomerConfig {
            name: name.into(),
            account_ids: vec![],
            guild_ids: vec![],
            channel_ids: vec![channel.into()],
            role_ids: vec![],
            user_ids: vec![user.into()],
        };
        config.customers = vec![
            customer("acme", ACME_ROOM, "2000000000000000011"),
            customer("globex", GLOBEX_ROOM, "2000000000000000012"),
        ];
    })
    .await;
    let d = &bot.discord;
    for (id, room, user, subject) in [
        (
            "1400000000000000001",
            ACME_ROOM,
            "2000000000000000011",
            "Acme build agents offline",
        ),
        (
            "1400000000000000002",
            GLOBEX_ROOM,
            "2000000000000000012",
            "Globex payroll batch stuck",
        ),
    ] {
        d.slash_command_in(
            room,
            id,
            "escalate",
            serde_json::json!([
                {"name": "subject", "type": 3, "value": subject},
                {"name": "description", "type": 3, "value": "stopped answering at 10:42 UTC, restarted the service, no change"},
                {"name": "severity", "type": 3, "value": "high"}
            ]),
            user,
            &[],
        );
    }
    d.wait_for("both tickets", || d.calls_to("PATCH", "/messages/@original").len() >= 2)
        .await;

    let list =
        serde_json::json!([{"name": "list", "type": 1, "options": [{"name": "filter", "type": 3, "value": "all"}]}]);
    d.slash_command_in(
        ACME_ROOM,
        "1400000000000000003",
        "ticket",
        list,
        "2000000000000000099",
        &[ENGINEER_ROLE],
    );
    d.slash_command_in(
        ACME_ROOM,
        "1400000000000000004",
        "ticket",
        serde_json::json!([{"name": "list", "type": 1, "options": [{"name": "customer", "type": 3, "value": "globex"}]}]),
        "2000000000000000099",
        &[ENGINEER_ROLE],
    );
    d.wait_for("the listing and the refusal", || {
        !d.calls_to("PATCH", "token-1400000000000000003").is_empty() && !d.calls_to("POST", "/webhooks/").is_empty()
    })
    .await;
    let listing = d.calls_to("PATCH", "token-1400000000000000003")[0].body.to_string();
    assert!(listing.contains("Acme build agents offline"), "{listing}");
    assert!(
        !listing.contains("Globex"),
        "another customer's ticket in acme's channel: {listing}"
    );

    // Deferred in the open, refused in private.
    let deferral = &d.calls_to("POST", "/interactions/1400000000000000004/")[0].body;
    assert_eq!(deferral["type"], 5);
    let open = d.calls_to("PATCH", "token-1400000000000000004")[0].body.to_string();
    assert!(open.contains("Answered privately"), "{open}");
    assert!(!open.contains("globex"), "{open}");
    let followup = &d.calls_to("POST", "/webhooks/")[0].body;
    assert_eq!(followup["flags"], 64, "{followup}");
    assert!(followup.to_string().contains("belongs to acme"), "{followup}");
    bot.stop().await;
}

/// A chat message delivered twice (a resumed gateway session replays it)
/// is acted on once: one escalation, one reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_delivered_twice_opens_one_escalation() {
    let bot = start_with(|config| config.engineers.user_ids = vec!["2000000000000000010".into()]).await;
    let d = &bot.discord;
    let text = "<@700000000000000001> open an escalation: the VPN tunnel to Frankfurt dropped at 09:12 UTC";
    d.message("1600000000000000001", text, true, "2000000000000000010");
    d.message("1600000000000000001", text, true, "2000000000000000010");
    d.wait_for("the escalation's reply", || {
        !d.calls_to("POST", "/channels/600000000000000002/messages").is_empty()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    d.message(
        "1600000000000000002",
        "<@700000000000000001> list my open tickets",
        true,
        "2000000000000000010",
    );
    d.wait_for("the replies", || {
        d.calls_to("POST", "/channels/600000000000000002/messages").len() >= 2
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let replies = d.calls_to("POST", "/channels/600000000000000002/messages");
    assert_eq!(replies.len(), 2, "{replies:?}");
    let listing = replies
        .iter()
        .find(|r| r.body["message_reference"]["message_id"] == "1600000000000000002")
        .unwrap()
        .body
        .to_string();
    assert!(listing.contains("**#1**"), "{listing}");
    assert!(!listing.contains("**#2**"), "a second ticket was opened: {listing}");
    bot.stop().await;
}

/// An AWS reply on a ticket's case is posted once in the ticket's thread,
/// also across a restart of the bot on the same database, and clipped
/// within Discord's limits with a pointer to the whole; its opener is told
/// once, in the channel the ticket was opened in (the provider's own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aws_reply_is_posted_once_in_the_tickets_thread_across_restarts() {
    aws_reply_posted_once_and_its_opener_told(true).await;
}

/// The same, opened in a channel nobody configured: the opener is told by
/// direct message, and nothing is posted where others read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_opener_of_a_ticket_opened_in_a_public_place_is_told_by_direct_message() {
    aws_reply_posted_once_and_its_opener_told(false).await;
}

async fn aws_reply_posted_once_and_its_opener_told(internal: bool) {
    let discord = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = bot_config(&discord, &dir);
    if !internal {
        config.discord.internal_guild_ids.clear();
    }
    config.discord.escalations_channel_id = Some("650000000000000001".into());
    config.escalations.worker_interval_seconds = 1;
    config.escalations.sync_interval_seconds = 1;
    let aws = Arc::new(common::fakes::FakeSupport::default());
    let app = |config: Config| app_with_support(config, &aws);
    // `run` serves Discord beside the case worker (as the `run` command does).
    let with_worker = |app: Arc<App>| {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        (tokio::spawn(app.case_worker().run(stopped)), stop)
    };
    let first = app(config.clone()).await;
    let (worker, stop_worker) = with_worker(first.clone());
    let running = RunningBot::start(first, &discord).await;
    discord.slash_command(
        "1400000000000000091",
        "escalate",
        serde_json::json!([
            {"name": "subject", "type": 3, "value": "ELB 502s"},
            {"name": "description", "type": 3, "value": "every request to the shop returns 502 since 09:00"},
            {"name": "severity", "type": 3, "value": "high"}
        ]),
        OPENER,
        &[ENGINEER_ROLE],
    );
    let d = &discord;
    d.wait_for("the AWS case", || !aws.cases().is_empty()).await;
    let case_id = aws.cases()[0].case_id.clone();
    let long_reply = format!("Please attach the ELB access logs. {}", "Details follow. ".repeat(200));
    let at = platform_desk::store::timestamp(time::OffsetDateTime::now_utc());
    aws.add_reply_with_files(
        &case_id,
        "Amazon Web Services",
        &at,
        &long_reply,
        vec![("elb-sample.log".into(), b"10.0.0.1 - 502 GET /checkout\n".to_vec())],
    );
    let replies_in_thread = |d: &FakeDiscord| -> Vec<String> {
        d.threads()
            .first()
            .map(|thread| {
                d.messages_in(thread)
                    .into_iter()
                    .map(|m| m.content)
                    .filter(|c| c.contains("replied on the AWS case"))
                    .collect()
            })
            .unwrap_or_default()
    };
    d.wait_for("the reply in the thread", || replies_in_thread(d).len() == 1)
        .await;
    let posted = &replies_in_thread(d)[0];
    assert!(posted.contains("**AWS Support** replied on the AWS case: Please attach the ELB access logs."));
    assert!(posted.contains("The whole reply is attached."), "{posted}");
    assert!(posted.chars().count() <= 2_000, "within Discord's content limit");
    let notices = |d: &FakeDiscord| -> Vec<(String, String)> {
        [
            "600000000000000001".to_owned(),
            common::fake_discord::dm_channel_of(OPENER),
        ]
        .into_iter()
        .flat_map(|channel| {
            d.messages_in(&channel)
                .into_iter()
                .filter(|m| m.content.contains("AWS Support replied on ticket #1"))
                .map(move |m| (channel.clone(), m.content))
        })
        .collect()
    };
    d.wait_for("the opener's notice", || notices(d).len() == 1).await;
    let (channel, notice) = &notices(d)[0];
    if internal {
        assert_eq!(channel, "600000000000000001", "told where the ticket was opened");
        assert!(notice.starts_with(&format!("<@{OPENER}> ")), "{notice}");
    } else {
        assert_eq!(*channel, common::fake_discord::dm_channel_of(OPENER), "told by DM");
    }
    assert!(
        !notice.contains("ELB access logs"),
        "the notice never carries the reply: {notice}"
    );

    // The reply's thread message carries "Reply to AWS": a form whose text
    // reaches the case once.
    let thread = d.threads()[0].clone();
    let reply_post = d
        .calls_to("POST", &format!("/channels/{thread}/messages"))
        .into_iter()
        .find(|c| {
            c.body["content"]
                .as_str()
                .is_some_and(|t| t.contains("replied on the AWS case"))
        })
        .expect("the reply's post");
    assert_eq!(
        reply_post.body["components"][0]["components"][0]["custom_id"],
        "pd:reply:1"
    );
    // The whole reply and AWS's file are uploaded with its message.
    let uploaded: Vec<&str> = reply_post.body["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert_eq!(
        uploaded,
        ["aws-reply-ticket-1.txt", "elb-sample.log"],
        "{}",
        reply_post.body
    );
    d.button_press("1400000000000000092", "pd:reply:1", OPENER, &[ENGINEER_ROLE]);
    d.wait_for("the reply form", || {
        !d.calls_to("POST", "/interactions/1400000000000000092/").is_empty()
    })
    .await;
    let form = &d.calls_to("POST", "/interactions/1400000000000000092/")[0].body;
    assert_eq!(form["type"], 9, "a modal");
    assert_eq!(form["data"]["custom_id"], "pd:reply-form:1");
    d.modal_submit(
        "1400000000000000093",
        "pd:reply-form:1",
        &[("text", "The access logs are in s3://shop-logs/elb/")],
        OPENER,
        &[ENGINEER_ROLE],
    );
    let sent = || {
        aws.cases()[0]
            .communications
            .iter()
            .filter(|c| c.contains("s3://shop-logs/elb/"))
            .count()
    };
    d.wait_for("the reply on the case", || sent() == 1).await;
    running.stop().await;
    stop_worker.send(true).unwrap();
    worker.await.unwrap();

    // A restart on the same database reads the case again and posts nothing new.
    let reads = aws.calls().iter().filter(|c| *c == "communications").count();
    let second = app(config).await;
    let (worker, stop_worker) = with_worker(second.clone());
    let running = RunningBot::start(second, &discord).await;
    d.wait_for("the restarted worker to read the case", || {
        aws.calls().iter().filter(|c| *c == "communications").count() > reads
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_eq!(replies_in_thread(d).len(), 1, "posted once across the restart");
    assert_eq!(notices(d).len(), 1, "the opener told once across the restart");
    assert_eq!(sent(), 1, "the reply sent once");
    running.stop().await;
    stop_worker.send(true).unwrap();
    worker.await.unwrap();
}

const OPENER: &str = "2000000000000000091";

/// `/escalate`'s severity is suggested within the account's support plan:
/// an account whose plan has no critical is never offered it; an account
/// of another customer is not looked up for a customer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn severities_are_suggested_within_the_accounts_support_plan() {
    use platform_desk::domain::Severity;
    let discord = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let aws = Arc::new(common::fakes::FakeSupport::default());
    aws.set_plan(
        Some("111111111111"),
        Some(vec![Severity::Low, Severity::Normal, Severity::High, Severity::Urgent]),
    );
    let app = app_with_support(bot_config(&discord, &dir), &aws).await;
    let running = RunningBot::start(app, &discord).await;
    let d = &discord;
    let typing = |id: &str, account: Option<&str>| {
        let mut options = vec![serde_json::json!({"name": "severity", "type": 3, "value": "", "focused": true})];
        if let Some(account) = account {
            options.push(serde_json::json!({"name": "account", "type": 3, "value": account}));
        }
        d.autocomplete(
            id,
            "escalate",
            serde_json::json!(options),
            "2000000000000000094",
            &[ENGINEER_ROLE],
        );
    };
    typing("1400000000000000094", Some("111111111111"));
    typing("1400000000000000095", None);
    d.wait_for("both suggestion lists", || {
        !d.calls_to("POST", "/interactions/1400000000000000094/").is_empty()
            && !d.calls_to("POST", "/interactions/1400000000000000095/").is_empty()
    })
    .await;
    let offered = |id: &str| -> Vec<String> {
        let body = &d.calls_to("POST", &format!("/interactions/{id}/"))[0].body;
        assert_eq!(body["type"], 8);
        body["data"]["choices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["value"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(offered("1400000000000000094"), ["urgent", "high", "normal", "low"]);
    assert_eq!(
        offered("1400000000000000095"),
        ["critical", "urgent", "high", "normal", "low"],
        "the bot's own account offers all"
    );
    running.stop().await;
}

/// A log attached to `/ticket note` in Discord reaches the AWS case once,
/// with the note, though the note's first answer is lost; a file over AWS's 5 MB is refused by name and size before
/// it is downloaded, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_attached_in_discord_reaches_the_case_once_and_a_large_one_is_refused() {
    let discord = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = bot_config(&discord, &dir);
    config.escalations.settle_seconds = 0;
    config.escalations.retry_initial_seconds = 1;
    let aws = Arc::new(common::fakes::FakeSupport::default());
    let app = app_with_support(config, &aws).await;
    let running = RunningBot::start(app.clone(), &discord).await;
    let d = &discord;
    d.slash_command(
        "1400000000000000096",
        "escalate",
        serde_json::json!([
            {"name": "subject", "type": 3, "value": "Agent offline"},
            {"name": "description", "type": 3, "value": "the elasticbox agent stopped reporting at 09:10"},
            {"name": "severity", "type": 3, "value": "high"}
        ]),
        "2000000000000000096",
        &[ENGINEER_ROLE],
    );
    d.wait_for("the AWS case", || !aws.cases().is_empty()).await;
    let note = |text: &str| {
        serde_json::json!([{"name": "note", "type": 1, "options": [
            {"name": "id", "type": 4, "value": 1},
            {"name": "text", "type": 3, "value": text}
        ]}])
    };
    let log = b"2026-11-28 09:10:02 agent: connection refused\n".to_vec();
    // AWS records the note and its answer is lost.
    aws.lose_next_communication_response();
    d.slash_command_with_files(
        "1400000000000000097",
        "ticket",
        note("agent log attached"),
        &[("file1", "elasticbox-agent.log", log.clone())],
        &[],
        "2000000000000000096",
        &[ENGINEER_ROLE],
    );
    d.wait_for("the file on the case", || !aws.cases()[0].attachments.is_empty())
        .await;
    app.case_worker().finish_background().await;
    // The worker's retry looks for the note and finds it.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let report = app.case_worker().run_once(false).await.unwrap();
    assert_eq!(
        report.actions_done, 1,
        "the retry found the note on the case: {report:?}"
    );
    d.slash_command_with_files(
        "1400000000000000098",
        "ticket",
        note("the core dump"),
        &[("file1", "core.dump", vec![1, 2, 3])],
        &[("file1", 7_000_000)],
        "2000000000000000096",
        &[ENGINEER_ROLE],
    );
    // Refusals are private: a pointer in the open, the answer as a follow-up.
    let followups = || {
        d.calls_to("POST", "/webhooks/")
            .into_iter()
            .filter(|c| c.path.contains("token-1400000000000000098"))
            .collect::<Vec<_>>()
    };
    d.wait_for("the refusal", || !followups().is_empty()).await;
    let refusal = followups()[0].body.to_string();
    assert!(refusal.contains("core.dump"), "{refusal}");
    assert!(
        refusal.contains("at most 5.0 MB (5000000 bytes) each, and this one is 7.0 MB (7000000 bytes)"),
        "{refusal}"
    );
    assert!(
        d.calls_to("GET", "/attachments/730000000000000000/core.dump")
            .is_empty(),
        "a file too large is not downloaded"
    );
    app.case_worker().finish_background().await;
    let case = aws.cases().remove(0);
    assert_eq!(case.attachments, vec![("elasticbox-agent.log".to_owned(), log)]);
    assert_eq!(case.communications.len(), 1, "{:?}", case.communications);
    let uploads = aws.calls().iter().filter(|c| *c == "add_attachments").count();
    assert_eq!(uploads, 1, "one AddAttachmentsToSet: {:?}", aws.calls());
    assert!(case.communications[0].contains("agent log attached"));
    running.stop().await;
}
