//! The whole offline pipeline through `App::handle`: intents, services, error
//! replies and Discord's limits, including hostile input.

mod common;

use platform_desk::domain::Role;
use platform_desk::inbound::{Content, Inbound};
use platform_desk::intent::{IntentKind, OptionValue, SlashCommand};
use platform_desk::policy::Verdict;

async fn ask(text: &str) -> platform_desk::answer::Answer {
    let (app, _dir) = common::app().await;
    app.handle(Inbound::text(common::actor(Role::Customer), text)).await
}

#[tokio::test]
async fn every_intent_is_reported_with_its_contract_shape() {
    let (app, _dir) = common::app().await;
    let cases = [
        ("is IAM in scope?", IntentKind::Scope),
        ("open an escalation: our RDS database is down", IntentKind::Escalate),
        ("how much have we spent this month?", IntentKind::Spend),
        ("what will the bill be at month end?", IntentKind::Estimate),
        ("who do I call for a critical outage in EMEA?", IntentKind::Contact),
        ("is there an outage in us-east-1?", IntentKind::Outage),
        ("where is the agent log on linux?", IntentKind::Troubleshoot),
        ("what's the status of ticket 42?", IntentKind::Ticket),
        ("/help", IntentKind::Help),
        ("good morning everyone", IntentKind::None),
    ];
    for (text, kind) in cases {
        let answer = app.handle(Inbound::text(common::actor(Role::Customer), text)).await;
        assert_eq!(answer.intent, kind, "{text}");
        let json = answer.to_json();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 5, "{text}: {keys:?}");
        assert_eq!(json["intent"], kind.as_str());
        assert_eq!(json["scope"].is_null(), kind != IntentKind::Scope, "{text}");
        assert!(json["ticket"].is_null(), "{text}");
        assert!(json["ephemeral"].is_boolean());
        let embeds = json["embeds"].as_array().unwrap();
        assert_eq!(embeds.is_empty(), kind == IntentKind::None, "{text}");
        for embed in embeds {
            assert!(embed["color"].is_u64());
            assert!(embed["title"].is_string());
        }
    }
}

#[tokio::test]
async fn a_scope_answer_reports_verdict_and_topic() {
    let answer = ask("is IAM in scope?").await;
    let json = answer.to_json();
    assert_eq!(
        json["scope"],
        serde_json::json!({"verdict": "in_scope", "topic": "iam-policies"})
    );
    assert_eq!(json["embeds"][0]["color"], 3066993);
}

#[tokio::test]
async fn slash_commands_delivered_by_a_platform_take_the_same_path() {
    let (app, _dir) = common::app().await;
    let command = SlashCommand {
        name: "scope".into(),
        subcommand: None,
        options: vec![("question".into(), OptionValue::String("do you do patching?".into()))],
    };
    let inbound = Inbound {
        actor: common::actor(Role::Customer),
        content: Content::Command(command),
    };
    let answer = app.handle(inbound).await;
    assert_eq!(answer.scope.unwrap().verdict, Verdict::OutOfScope);
}

#[tokio::test]
async fn bad_option_values_get_a_polite_ephemeral_error_and_keep_their_intent() {
    let answer = ask("/escalate severity:extreme subject:\"x\" description:\"y\"").await;
    assert_eq!(answer.intent, IntentKind::Escalate);
    assert!(answer.reply.ephemeral);
    let text = answer.to_json().to_string();
    assert!(text.contains("low, normal, high, urgent, critical"), "{text}");
}

#[tokio::test]
async fn an_unknown_slash_command_is_answered_as_help() {
    let answer = ask("/frobnicate now").await;
    assert_eq!(answer.intent, IntentKind::Help);
    assert!(answer.to_json().to_string().contains("/frobnicate"));
}

#[tokio::test]
async fn an_invalid_scope_question_still_reports_a_verdict() {
    let answer = ask("/scope question:\"\"").await;
    assert_eq!(answer.intent, IntentKind::Scope);
    assert_eq!(answer.scope.unwrap().verdict, Verdict::Unclear);
}

#[tokio::test]
async fn hostile_input_always_gets_a_reply_within_discord_limits_and_pings_nobody() {
    let (app, _dir) = common::app().await;
    let long = "is patching in scope? ".repeat(1000);
    let hostile = [
        long.as_str(),
        "@everyone @here is IAM in scope?",
        "<@&123456789> <@!42> can you patch our servers?",
        "is\u{0000}IAM\u{0007} in scope\u{001b}[31m?",
        "\u{202E}?epocs ni gnihctap si\u{202C}",
        "is 𝐈𝐀𝐌 𝐢𝐧 𝐬𝐜𝐨𝐩𝐞? 🚀🔥😀",
        "",
        "   \n\t ",
        "/frobnicate",
        "/ticket show id:abc",
        "/escalate severity:extreme",
        "/scope question:\"unterminated",
        &format!("/scope question:\"{}\"", "x".repeat(20_000)),
        &format!(
            "/escalate severity:low subject:\"{}\" description:\"y\"",
            "@everyone ".repeat(100)
        ),
        &format!("/{}", "a".repeat(5000)),
        "/contact region:@everyone",
        "/troubleshoot topic:<@&1>",
    ];
    for text in hostile {
        // Overheard, a message that mentions a person is left to them; these
        // mention the bot as well (the adapter removes its own mention).
        let inbound = if text.contains("<@") {
            Inbound::direct(common::actor(Role::Customer), text)
        } else {
            Inbound::text(common::actor(Role::Customer), text)
        };
        let answer = app.handle(inbound).await;
        let json = answer.to_json();
        let problems = common::embed_limit_problems(&json["embeds"]);
        assert!(problems.is_empty(), "{:?}: {problems:?}", &text[..text.len().min(40)]);
        assert!(
            !json["embeds"].as_array().unwrap().is_empty(),
            "no reply to {:?}",
            &text[..text.len().min(40)]
        );
        let rendered = json.to_string();
        for ping in ["@everyone", "@here", "<@&"] {
            assert!(
                !rendered.contains(ping),
                "{ping} in reply to {:?}",
                &text[..text.len().min(40)]
            );
        }
    }
}

#[tokio::test]
async fn math_alphanumerics_are_read_as_plain_letters() {
    let answer = ask("is 𝐈𝐀𝐌 in scope?").await;
    assert_eq!(answer.scope.unwrap().topic.as_deref(), Some("iam-policies"));
}

#[tokio::test]
async fn engineers_and_customers_get_the_same_policy_answers() {
    let (app, _dir) = common::app().await;
    let customer = app
        .handle(Inbound::text(common::actor(Role::Customer), "is patching in scope?"))
        .await;
    let engineer = app
        .handle(Inbound::text(common::actor(Role::Engineer), "is patching in scope?"))
        .await;
    assert_eq!(customer.to_json(), engineer.to_json());
}
