//! Outages: the Health poller's dedupe, who hears of what, the answers to
//! "is AWS down?", and provider-declared outages, through the service layer
//! with an in-memory Health and a fixed clock.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::fakes::{FakeClock, FakeHealth};
use platform_desk::app::App;
use platform_desk::aws::AwsServices;
use platform_desk::aws::health::HealthEvent;
use platform_desk::clock::Clock;
use platform_desk::config::{Config, CustomerConfig};
use platform_desk::domain::{AccountId, Role};
use platform_desk::inbound::{Actor, Inbound};
use platform_desk::intent::IntentKind;
use platform_desk::service::outage::deliveries;
use platform_desk::store::OutageStatus;
use time::macros::datetime;

const ACME_ACCOUNT: &str = "111111111111";
const GLOBEX_ACCOUNT: &str = "222222222222";
const ACME_CHANNEL: &str = "610000000000000001";
const GLOBEX_CHANNEL: &str = "620000000000000001";
const OPS_CHANNEL: &str = "660000000000000001";
const INTERNAL_CHANNEL: &str = "630000000000000001";

fn customers() -> Vec<CustomerConfig> {
    let customer = |name: &str, account: &str, channel: &str, user: &str| CustomerConfig {
        name: name.into(),
        account_ids: vec![account.parse::<AccountId>().unwrap()],
        guild_ids: vec![],
        channel_ids: vec![channel.into()],
        role_ids: vec![],
        user_ids: vec![user.into()],
    };
    vec![
        customer("acme", ACME_ACCOUNT, ACME_CHANNEL, "3001"),
        customer("globex", GLOBEX_ACCOUNT, GLOBEX_CHANNEL, "3002"),
    ]
}

fn health_event(n: u32, status: &str, updated: i64, public: bool, accounts: &[&str], text: &str) -> HealthEvent {
    HealthEvent {
        arn: format!("arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/{n}"),
        service: "EC2".into(),
        event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
        region: "us-east-1".into(),
        status: status.into(),
        public,
        start: Some(datetime!(2026-11-29 08:00 UTC)),
        end: (status == "closed").then_some(datetime!(2026-11-29 10:05 UTC)),
        last_updated: Some(datetime!(2026-11-29 08:00 UTC) + time::Duration::minutes(updated)),
        description: Some(text.into()),
        affected_accounts: accounts.iter().map(|a| (*a).to_owned()).collect::<BTreeSet<_>>(),
    }
}

struct World {
    app: App,
    health: Arc<FakeHealth>,
    clock: Arc<FakeClock>,
    _dir: tempfile::TempDir,
}

async fn world_in(dir: tempfile::TempDir, health_enabled: bool) -> World {
    world_with(dir, |config| config.aws.enabled = Some(health_enabled)).await
}

async fn world_with(dir: tempfile::TempDir, configure: impl FnOnce(&mut Config)) -> World {
    let mut config = Config::default();
    config.database.url = common::database::url(dir.path(), "outages.db");
    config.aws.enabled = Some(true);
    config.customers = customers();
    config.discord.outage_channel_id = Some(OPS_CHANNEL.into());
    config.discord.internal_channel_ids = vec![INTERNAL_CHANNEL.into()];
    configure(&mut config);
    let health = Arc::new(FakeHealth::default());
    let clock = Arc::new(FakeClock::at(datetime!(2026-11-29 10:10 UTC)));
    let aws = AwsServices {
        health: health.clone(),
        ..AwsServices::unconfigured()
    };
    let app = App::build_with(config, aws, clock.clone()).await.unwrap();
    World {
        app,
        health,
        clock,
        _dir: dir,
    }
}

async fn world() -> World {
    world_in(tempfile::tempdir().unwrap(), true).await
}

fn person(role: Role, user: &str, channel: &str) -> Actor {
    Actor {
        user_id: user.into(),
        display_name: format!("user {user}"),
        role,
        role_ids: vec![],
        guild_id: Some("500000000000000001".into()),
        channel_id: Some(channel.into()),
    }
}

async fn ask(app: &App, actor: Actor, text: &str) -> platform_desk::answer::Answer {
    app.handle(Inbound::text(actor, text)).await
}

fn text_of(answer: &platform_desk::answer::Answer) -> String {
    serde_json::to_string(&answer.reply.embeds).unwrap()
}

/// The channels that would receive each open or recent outage now.
async fn planned(app: &App) -> Vec<(String, String)> {
    let store = app.store();
    let subscriptions = store.subscriptions().await.unwrap();
    let mut out = Vec::new();
    for outage in store
        .outages_to_post(app.clock().now() - time::Duration::hours(24))
        .await
        .unwrap()
    {
        let posts = store.outage_posts(outage.id).await.unwrap();
        for d in deliveries(&outage, &subscriptions, Some(OPS_CHANNEL), app.directory(), &posts) {
            out.push((outage.title.clone(), d.channel_id));
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_poll_records_each_event_once_and_asks_details_only_for_what_changed() {
    let w = world().await;
    let poller = w.app.health_poller().expect("health is followed");
    w.health.set(vec![
        health_event(1, "open", 0, true, &[], "Elevated API errors"),
        health_event(2, "open", 0, false, &[ACME_ACCOUNT], "Instances impaired"),
    ]);
    let first = poller.poll_once().await.unwrap();
    assert_eq!((first.new, first.changed, first.unchanged), (2, 0, 0));
    assert_eq!(w.health.completed().len(), 2);

    let again = poller.poll_once().await.unwrap();
    assert_eq!((again.new, again.changed, again.unchanged), (0, 0, 2));
    assert_eq!(w.health.completed().len(), 2, "nothing new: no details asked");

    // A newer last-updated time with the same text: recorded, not re-posted.
    w.health.set(vec![
        health_event(1, "open", 5, true, &[], "Elevated API errors"),
        health_event(2, "open", 5, false, &[ACME_ACCOUNT], "Instances recovering"),
    ]);
    let third = poller.poll_once().await.unwrap();
    assert_eq!((third.touched, third.changed), (1, 1));
    let open = w.app.store().open_outages().await.unwrap();
    let revisions: Vec<i64> = open.iter().map(|o| o.revision).collect();
    assert!(revisions.contains(&1) && revisions.contains(&2), "{revisions:?}");

    // Severity: an operational issue on a customer's account is critical,
    // a public one urgent.
    let by_key = |n: u32| {
        open.iter()
            .find(|o| o.key.ends_with(&format!("/{n}")))
            .unwrap()
            .severity
            .code()
    };
    assert_eq!(by_key(1), "urgent");
    assert_eq!(by_key(2), "critical");
}

#[tokio::test]
async fn a_throttled_poll_keeps_what_it_read_before_the_throttling() {
    let w = world().await;
    let poller = w.app.health_poller().unwrap();
    w.health.set(
        (0..25)
            .map(|n| health_event(n, "open", 0, true, &[], "Elevated API errors"))
            .collect(),
    );
    w.health.throttle_complete_after(Some(2));
    assert!(poller.poll_once().await.is_err());
    assert_eq!(
        w.app.store().open_outages().await.unwrap().len(),
        20,
        "two chunks of ten kept"
    );

    w.health.throttle_complete_after(None);
    let report = poller.poll_once().await.unwrap();
    assert_eq!((report.new, report.unchanged), (5, 20));
    assert_eq!(w.health.completed().len(), 25, "each event described once");
}

#[tokio::test]
async fn dedupe_survives_a_restart_of_the_bot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let w = world_in(dir, true).await;
    w.health
        .set(vec![health_event(1, "open", 0, true, &[], "Elevated API errors")]);
    w.app.health_poller().unwrap().poll_once().await.unwrap();
    let World { app, _dir, .. } = w;
    app.store().close().await;
    drop(app);

    let w = world_in(_dir, true).await;
    assert!(path.exists());
    w.health
        .set(vec![health_event(1, "open", 0, true, &[], "Elevated API errors")]);
    let report = w.app.health_poller().unwrap().poll_once().await.unwrap();
    assert_eq!((report.new, report.unchanged), (0, 1));
    assert!(w.health.completed().is_empty(), "known events are not described again");
}

#[tokio::test]
async fn a_failing_health_api_is_recorded_and_backs_off_without_touching_the_rest() {
    let w = world().await;
    let poller = w.app.health_poller().unwrap();
    w.health.fail(true);
    assert!(poller.poll_once().await.is_err());
    assert!(poller.poll_once().await.is_err());
    let state = w.app.store().poll_state().await.unwrap();
    assert_eq!(state.failures, 2);
    assert!(state.last_error.unwrap().contains("Throttling"));

    // The delay doubles from the interval, with jitter, up to the cap.
    let interval = w.app.config().outages.poll_interval_seconds;
    let cap = w.app.config().outages.max_backoff_seconds;
    assert_eq!(poller.delay_after(0).as_secs(), interval);
    for failures in 1..12 {
        let delay = poller.delay_after(failures).as_secs();
        let doubled = (interval << failures).min(cap);
        assert!(delay <= doubled && delay >= doubled * 3 / 4, "{failures}: {delay}");
    }

    // The bot still answers, and says Health is failing.
    let answer = ask(&w.app, person(Role::Engineer, "9", OPS_CHANNEL), "is AWS down?").await;
    assert_eq!(answer.intent, IntentKind::Outage);
    assert!(
        text_of(&answer).contains("could not be read yet"),
        "{}",
        text_of(&answer)
    );
    let scope = ask(
        &w.app,
        person(Role::Customer, "3001", ACME_CHANNEL),
        "is patching in scope?",
    )
    .await;
    assert_eq!(scope.intent, IntentKind::Scope);

    w.health.fail(false);
    w.health
        .set(vec![health_event(1, "open", 0, true, &[], "Elevated API errors")]);
    poller.poll_once().await.unwrap();
    assert_eq!(w.app.store().poll_state().await.unwrap().failures, 0);
}

#[tokio::test]
async fn one_customers_event_never_reaches_another_customers_channel() {
    let w = world().await;
    let engineer = |channel: &str| person(Role::Engineer, "9", channel);
    // Both customers' channels subscribe with no filters; an internal
    // channel subscribes to what globex would see.
    for channel in [ACME_CHANNEL, GLOBEX_CHANNEL] {
        let answer = ask(&w.app, engineer(channel), "/outage subscribe").await;
        assert!(text_of(&answer).contains("will be posted"), "{}", text_of(&answer));
    }
    let internal = INTERNAL_CHANNEL;
    ask(&w.app, engineer(internal), "/outage subscribe customers:acme").await;

    w.health.set(vec![
        health_event(1, "open", 0, true, &[], "Elevated API errors"),
        health_event(2, "open", 0, false, &[ACME_ACCOUNT], "Instances impaired"),
    ]);
    w.app.health_poller().unwrap().poll_once().await.unwrap();
    let planned = planned(&w.app).await;
    let to = |n: &str| -> Vec<&str> {
        planned
            .iter()
            .filter(|(_, c)| c == n)
            .map(|(t, _)| t.as_str())
            .collect()
    };
    assert_eq!(to(ACME_CHANNEL).len(), 2, "{planned:?}");
    assert_eq!(to(GLOBEX_CHANNEL).len(), 1, "public only: {planned:?}");
    assert_eq!(to(internal).len(), 2, "what acme would see: {planned:?}");
    assert_eq!(to(OPS_CHANNEL).len(), 2, "the outage channel sees everything");

    // A customer channel cannot be pointed at another customer.
    let refused = ask(&w.app, engineer(ACME_CHANNEL), "/outage subscribe customers:globex").await;
    assert!(text_of(&refused).contains("belongs to acme"), "{}", text_of(&refused));

    // Asking: each customer sees its own and public events only.
    let acme = ask(
        &w.app,
        person(Role::Customer, "3001", ACME_CHANNEL),
        "is AWS down right now?",
    )
    .await;
    let globex = ask(
        &w.app,
        person(Role::Customer, "3002", GLOBEX_CHANNEL),
        "is AWS down right now?",
    )
    .await;
    let stranger = ask(
        &w.app,
        person(Role::Customer, "4444", "640000000000000001"),
        "any outages?",
    )
    .await;
    assert!(text_of(&acme).contains("2 open outages"), "{}", text_of(&acme));
    assert!(text_of(&acme).contains("1 of your accounts affected"));
    assert!(text_of(&globex).contains("1 open outage"), "{}", text_of(&globex));
    assert!(!text_of(&globex).contains("Instances impaired"));
    assert!(text_of(&stranger).contains("1 open outage"), "{}", text_of(&stranger));
    assert!(text_of(&acme).contains("AWS Health last checked 2026-11-29 10:10 UTC"));
}

/// A channel is internal only when configured so. A subscription made from
/// the console knows no guild: in a channel of a customer mapped only by
/// its guild it reads as a public place, never as an internal one.
#[tokio::test]
async fn places_nobody_configured_hear_public_outages_only() {
    const INITECH_GUILD: &str = "700000000000000001";
    let w = world_with(tempfile::tempdir().unwrap(), |config| {
        config.customers.push(CustomerConfig {
            name: "initech".into(),
            account_ids: vec!["333333333333".parse().unwrap()],
            guild_ids: vec![INITECH_GUILD.into()],
            channel_ids: vec![],
            role_ids: vec![],
            user_ids: vec![],
        });
        config.discord.on_call_role_id = Some("770000000000000001".into());
    })
    .await;
    let initech_room = "710000000000000001";
    let stray = "720000000000000001";
    let mut console_engineer = person(Role::Engineer, "9", initech_room);
    console_engineer.guild_id = None;
    let answer = ask(&w.app, console_engineer, "/outage subscribe").await;
    assert!(text_of(&answer).contains("public outages only"), "{}", text_of(&answer));
    let answer = ask(&w.app, person(Role::Engineer, "9", stray), "/outage subscribe").await;
    assert!(
        text_of(&answer).contains("internal_channel_ids"),
        "{}",
        text_of(&answer)
    );

    w.health.set(vec![
        health_event(1, "open", 0, true, &[ACME_ACCOUNT], "Elevated API errors"),
        health_event(2, "open", 0, false, &[ACME_ACCOUNT], "Instances impaired"),
        health_event(3, "open", 0, false, &["333333333333"], "Initech volumes degraded"),
    ]);
    w.app.health_poller().unwrap().poll_once().await.unwrap();
    let planned = planned(&w.app).await;
    for channel in [initech_room, stray] {
        let titles: Vec<&str> = planned
            .iter()
            .filter(|(_, c)| c == channel)
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(titles.len(), 1, "public only in {channel}: {planned:?}");
    }
    // Shown to a public place: no account lines, no on-call ping.
    let store = w.app.store();
    let subscriptions = store.subscriptions().await.unwrap();
    for outage in store
        .outages_to_post(w.app.clock().now() - time::Duration::hours(24))
        .await
        .unwrap()
    {
        for delivery in deliveries(&outage, &subscriptions, Some(OPS_CHANNEL), w.app.directory(), &[]) {
            let shown = platform_desk::service::outage::announcement(
                &outage,
                delivery.readers.audience(w.app.directory()),
                w.app.directory(),
                w.app.policy(),
                w.clock.now(),
            );
            let json = serde_json::to_string(&shown.embed).unwrap();
            if delivery.channel_id == OPS_CHANNEL {
                assert!(json.contains("acme (1)") || json.contains("initech (1)"), "{json}");
            } else {
                assert!(!json.contains("acme") && !json.contains("ccount"), "{json}");
                assert!(!shown.ping_on_call);
            }
        }
    }
}

#[tokio::test]
async fn filters_pick_services_regions_severity_and_mute_event_types() {
    let w = world().await;
    let engineer = |channel: &str| person(Role::Engineer, "9", channel);
    ask(&w.app, engineer("631"), "/outage subscribe services:RDS").await;
    ask(&w.app, engineer("632"), "/outage subscribe regions:eu-west-1").await;
    ask(&w.app, engineer("633"), "/outage subscribe min_severity:critical").await;
    ask(
        &w.app,
        engineer("634"),
        "/outage subscribe mute:AWS_EC2_OPERATIONAL_ISSUE",
    )
    .await;
    ask(
        &w.app,
        engineer("635"),
        "/outage subscribe services:ec2 regions:us-east-1",
    )
    .await;
    let bad = ask(&w.app, engineer("636"), "/outage subscribe regions:mars-1").await;
    assert!(text_of(&bad).contains("not like us-east-1"), "{}", text_of(&bad));

    w.health
        .set(vec![health_event(1, "open", 0, true, &[], "Elevated API errors")]);
    w.app.health_poller().unwrap().poll_once().await.unwrap();
    let channels: Vec<String> = planned(&w.app).await.into_iter().map(|(_, c)| c).collect();
    assert_eq!(channels, vec!["635".to_owned(), OPS_CHANNEL.to_owned()]);

    let list = ask(&w.app, engineer("635"), "/outage subscriptions").await;
    assert!(
        text_of(&list).contains("services: EC2 · regions: us-east-1"),
        "{}",
        text_of(&list)
    );
    let gone = ask(&w.app, engineer("635"), "/outage unsubscribe").await;
    assert!(text_of(&gone).contains("No more outages"));
    let again = ask(&w.app, engineer("635"), "/outage unsubscribe").await;
    assert!(text_of(&again).contains("was not subscribed"));
    let customer = ask(
        &w.app,
        person(Role::Customer, "3001", ACME_CHANNEL),
        "/outage subscribe",
    )
    .await;
    assert!(text_of(&customer).contains("Only support engineers"));
}

#[tokio::test]
async fn history_is_recorded_but_only_recent_closures_are_announced() {
    let w = world().await;
    let mut old = health_event(1, "closed", 0, true, &[], "Resolved last month");
    old.start = Some(datetime!(2026-10-01 08:00 UTC));
    old.end = Some(datetime!(2026-10-01 09:00 UTC));
    old.last_updated = old.end;
    let recent = health_event(2, "closed", 125, true, &[], "Resolved an hour ago");
    w.health.set(vec![old, recent]);
    w.app.health_poller().unwrap().poll_once().await.unwrap();
    let planned = planned(&w.app).await;
    assert_eq!(planned.len(), 1, "{planned:?}");

    let outage = w.app.store().outage(2).await.unwrap().unwrap();
    assert_eq!(outage.status, OutageStatus::Closed);
    let shown = platform_desk::service::outage::announcement(
        &outage,
        platform_desk::access::Audience::Internal,
        w.app.directory(),
        w.app.policy(),
        w.clock.now(),
    );
    let json = serde_json::to_string(&shown.embed).unwrap();
    assert!(json.contains("Resolved:") && json.contains("2 h 5 min"), "{json}");
    assert!(!shown.ping_on_call);
}

#[tokio::test]
async fn engineers_declare_update_and_resolve_provider_outages() {
    let w = world().await;
    let engineer = person(Role::Engineer, "9", OPS_CHANNEL);
    let declared = ask(
        &w.app,
        engineer.clone(),
        r#"/outage declare title:"VPN down in Frankfurt" severity:critical description:"Site-to-site tunnels are down" region:eu-central-1 customers:acme"#,
    )
    .await;
    assert_eq!(declared.intent, IntentKind::Outage);
    let text = text_of(&declared);
    assert!(
        text.contains("VPN down in Frankfurt") && text.contains("Outage #1"),
        "{text}"
    );

    let acme = ask(
        &w.app,
        person(Role::Customer, "3001", ACME_CHANNEL),
        "any outages in eu-central-1?",
    )
    .await;
    assert!(text_of(&acme).contains("VPN down"), "{}", text_of(&acme));
    assert!(text_of(&acme).contains("Critical? Call us"));
    let globex = ask(
        &w.app,
        person(Role::Customer, "3002", GLOBEX_CHANNEL),
        "is anything down?",
    )
    .await;
    assert!(!text_of(&globex).contains("VPN"), "{}", text_of(&globex));

    let customer_try = ask(
        &w.app,
        person(Role::Customer, "3001", ACME_CHANNEL),
        "/outage resolve id:1",
    )
    .await;
    assert!(text_of(&customer_try).contains("Only support engineers"));

    w.clock.advance(time::Duration::minutes(30));
    let updated = ask(
        &w.app,
        engineer.clone(),
        r#"/outage update id:1 text:"Tunnels back for half the sites""#,
    )
    .await;
    assert!(text_of(&updated).contains("Tunnels back"), "{}", text_of(&updated));
    w.clock.advance(time::Duration::minutes(45));
    let resolved = ask(&w.app, engineer.clone(), "/outage resolve id:1").await;
    assert!(text_of(&resolved).contains("1 h 15 min"), "{}", text_of(&resolved));
    let twice = ask(&w.app, engineer.clone(), "/outage resolve id:1").await;
    assert!(text_of(&twice).contains("already resolved"));
    let unknown = ask(&w.app, engineer, "/outage update id:99 text:x").await;
    assert!(text_of(&unknown).contains("can't find provider outage #99"));
    let none = ask(&w.app, person(Role::Customer, "3001", ACME_CHANNEL), "is AWS down?").await;
    assert!(text_of(&none).contains("No known outage"), "{}", text_of(&none));
}

#[tokio::test]
async fn without_aws_the_answer_says_health_is_not_followed() {
    let w = world_in(tempfile::tempdir().unwrap(), false).await;
    assert!(w.app.health_poller().is_none());
    let answer = ask(
        &w.app,
        person(Role::Customer, "3001", ACME_CHANNEL),
        "is AWS down right now?",
    )
    .await;
    assert_eq!(answer.intent, IntentKind::Outage);
    assert!(text_of(&answer).contains("not followed by this deployment"));
}

#[tokio::test]
async fn a_critical_escalation_is_announced_until_its_ticket_is_resolved() {
    let w = world().await;
    let answer = ask(
        &w.app,
        person(Role::Customer, "3001", ACME_CHANNEL),
        r#"/escalate subject:"Site down" description:"every request fails since 10:00" severity:critical"#,
    )
    .await;
    let id = answer.ticket.unwrap().id;
    let planned_now = planned(&w.app).await;
    assert_eq!(
        planned_now
            .iter()
            .filter(|(t, _)| t.starts_with("Critical escalation"))
            .count(),
        1,
        "to the outage channel: {planned_now:?}"
    );
    let outage = w
        .app
        .store()
        .outage_by_key(&format!("ticket/{id}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outage.status, OutageStatus::Open);
    assert!(outage.customers.contains("acme"));
    ask(
        &w.app,
        person(Role::Engineer, "9", OPS_CHANNEL),
        &format!("/ticket resolve id:{id}"),
    )
    .await;
    let outage = w.app.store().outage(outage.id).await.unwrap().unwrap();
    assert_eq!(outage.status, OutageStatus::Closed);
    // Not listed as an AWS or provider outage.
    let status = ask(&w.app, person(Role::Engineer, "9", OPS_CHANNEL), "/outage").await;
    assert!(text_of(&status).contains("No known outage"), "{}", text_of(&status));
}

#[tokio::test]
async fn a_crash_between_a_critical_ticket_and_its_announcement_is_mended() {
    use platform_desk::service::outage::reconcile_escalations;
    use platform_desk::store::tickets::system_actor;
    use platform_desk::store::{CaseState, NewTicket, TicketStatus};
    let w = world().await;
    let store = w.app.store();
    let now = w.clock.now();
    // The ticket committed, the announcement never written.
    let ticket = store
        .open_ticket(
            &NewTicket {
                subject: "Site down".into(),
                description: "every request fails".into(),
                severity: platform_desk::domain::Severity::Critical,
                customer: Some("acme".into()),
                account_id: None,
                aws_service: None,
                opened_by: system_actor(),
                guild_id: None,
                channel_id: None,
                case_state: CaseState::AwaitingApproval,
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(reconcile_escalations(store, now).await.unwrap(), 1);
    let key = format!("ticket/{}", ticket.id);
    assert_eq!(
        store.outage_by_key(&key).await.unwrap().unwrap().status,
        OutageStatus::Open
    );
    assert_eq!(reconcile_escalations(store, now).await.unwrap(), 0, "in sync");

    // Resolved, the announcement's update lost.
    store
        .set_ticket_status(ticket.id, TicketStatus::Resolved, &system_actor(), "", now)
        .await
        .unwrap();
    assert_eq!(reconcile_escalations(store, now).await.unwrap(), 1);
    assert_eq!(
        store.outage_by_key(&key).await.unwrap().unwrap().status,
        OutageStatus::Closed
    );
    assert_eq!(reconcile_escalations(store, now).await.unwrap(), 0);
}
