//! Helpers shared by the integration tests.

#![allow(dead_code)]

use platform_desk::app::App;
use platform_desk::config::Config;
use platform_desk::domain::Role;
use platform_desk::inbound::Actor;

/// An app on a fresh SQLite file in its own temporary directory.
pub async fn app() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.database.url = format!("sqlite://{}", dir.path().join("test.db").display());
    (App::build(config).await.unwrap(), dir)
}

pub fn actor(role: Role) -> Actor {
    Actor {
        user_id: "1001".into(),
        display_name: "Test User".into(),
        role,
        role_ids: Vec::new(),
        guild_id: Some("42".into()),
        channel_id: Some("43".into()),
    }
}

/// Checks an `ask --json` embed array against Discord's limits, counting as
/// Discord does at worst (UTF-16 units).
pub fn embed_limit_problems(embeds: &serde_json::Value) -> Vec<String> {
    let len = |v: &serde_json::Value| v.as_str().map_or(0, |s| s.encode_utf16().count());
    let mut problems = Vec::new();
    let embeds = embeds.as_array().expect("embeds is an array");
    if embeds.len() > 10 {
        problems.push(format!("{} embeds", embeds.len()));
    }
    let mut total = 0;
    for embed in embeds {
        let title = len(&embed["title"]);
        let description = len(&embed["description"]);
        let footer = len(&embed["footer"]["text"]);
        if title > 256 || description > 4096 || footer > 2048 {
            problems.push(format!("title {title}, description {description}, footer {footer}"));
        }
        total += title + description + footer;
        let fields = embed["fields"].as_array().cloned().unwrap_or_default();
        if fields.len() > 25 {
            problems.push(format!("{} fields", fields.len()));
        }
        for field in fields {
            let (name, value) = (len(&field["name"]), len(&field["value"]));
            if name == 0 || name > 256 || value == 0 || value > 1024 {
                problems.push(format!("field name {name}, value {value}"));
            }
            total += name + value;
        }
    }
    if total > 6000 {
        problems.push(format!("total {total}"));
    }
    problems
}
