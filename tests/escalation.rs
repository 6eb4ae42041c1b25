//! Escalations and tickets through the whole pipeline, with AWS Support
//! replaced by an in-memory fake and time by a fixed clock: tickets first,
//! cases after, nothing lost, nothing twice, and each customer sees only
//! their own.

mod common;

use std::sync::Arc;

use common::fakes::{FakeClock, FakeSupport};
use platform_desk::answer::Answer;
use platform_desk::app::App;
use platform_desk::aws::AwsServices;
use platform_desk::aws::support::CaseError;
use platform_desk::clock::Clock;
use platform_desk::config::{Config, CustomerConfig};
use platform_desk::domain::Role;
use platform_desk::inbound::{Actor, Inbound};
use platform_desk::intent::IntentKind;
use platform_desk::store::{CaseState, TicketStatus};

struct Harness {
    app: App,
    aws: Arc<FakeSupport>,
    clock: Arc<FakeClock>,
    _dir: tempfile::TempDir,
}

fn customer(name: &str, user: &str, account: &str) -> CustomerConfig {
    CustomerConfig {
        name: name.into(),
        account_ids: vec![account.parse().unwrap()],
        guild_ids: vec![],
        channel_ids: vec![],
        role_ids: vec![],
        user_ids: vec![user.into()],
    }
}

async fn harness() -> Harness {
    harness_with(|_| {}).await
}

async fn harness_with(adjust: impl FnOnce(&mut Config)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.database.url = common::database::url(dir.path(), "t.db");
    config.customers = vec![
        customer("acme", "2001", "111111111111"),
        customer("globex", "3001", "222222222222"),
    ];
    adjust(&mut config);
    let aws = Arc::new(FakeSupport::default());
    let clock = Arc::new(FakeClock::at(time::macros::datetime!(2026-11-28 10:00 UTC)));
    let app = App::build_with(config, AwsServices::with_cases(aws.clone()), clock.clone())
        .await
        .unwrap();
    Harness {
        app,
        aws,
        clock,
        _dir: dir,
    }
}

fn person(user: &str, role: Role) -> Actor {
    Actor {
        user_id: user.into(),
        display_name: format!("user {user}"),
        role,
        role_ids: vec![],
        guild_id: None,
        channel_id: None,
    }
}

fn engineer() -> Actor {
    person("9001", Role::Engineer)
}

impl Harness {
    /// An engineer's escalation of `problem`; its ticket id.
    async fn escalation(&self, problem: &str) -> i64 {
        self.say(engineer(), &format!("open an escalation: {problem}"))
            .await
            .ticket
            .expect("a ticket")
            .id
    }

    /// A customer's escalation of `problem` (naming their account), approved
    /// by an engineer and given its AWS case; its ticket id.
    async fn customer_ticket_with_case(&self, customer: &Actor, problem: &str) -> i64 {
        let id = self
            .say(customer.clone(), &format!("open an escalation: {problem}"))
            .await
            .ticket
            .expect("a ticket")
            .id;
        self.say(engineer(), &format!("/ticket approve id:{id}")).await;
        self.app.case_worker().run_once(false).await.unwrap();
        id
    }

    /// Waits until every queued note and resolution has been passed on (by
    /// the worker or a background pass), within two seconds.
    async fn outbox_emptied(&self) {
        for _ in 0..200 {
            let later = self.clock.now() + time::Duration::days(1);
            if self.app.store().due_case_actions(later, 10).await.unwrap().is_empty() {
                return;
            }
            self.app.case_worker().run_once(false).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let later = self.clock.now() + time::Duration::days(1);
        panic!(
            "the outbox was not emptied: {:?}",
            self.app.store().due_case_actions(later, 10).await.unwrap()
        );
    }

    async fn say(&self, actor: Actor, text: &str) -> Answer {
        let answer = self.app.handle(Inbound::text(actor, text)).await;
        assert!(
            answer.reply.limit_violations().is_empty(),
            "{:?}",
            answer.reply.limit_violations()
        );
        answer
    }
}

fn text_of(answer: &Answer) -> String {
    serde_json::to_string(&answer.reply.embeds).unwrap()
}

#[tokio::test]
async fn an_engineers_escalation_is_a_ticket_with_an_aws_case() {
    let h = harness().await;
    let answer = h
        .say(
            engineer(),
            r#"/escalate severity:high subject:"EC2 status checks failing" description:"i-0abc fails system checks since 10:42" account:111111111111 service:ec2"#,
        )
        .await;
    assert_eq!(answer.intent, IntentKind::Escalate);
    let ticket = answer.ticket.clone().expect("a ticket");
    assert_eq!(ticket.aws_case_id.as_deref(), Some("case-1"));
    assert_eq!(ticket.severity, "high");

    let cases = h.aws.cases();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].account.as_ref().unwrap().as_str(), "111111111111");
    assert_eq!(cases[0].request.service_code, "amazon-elastic-compute-cloud-linux");
    assert_eq!(cases[0].request.category_code, "instance-issue");
    let stored = h.app.store().ticket(ticket.id).await.unwrap().unwrap();
    assert!(cases[0].request.subject.contains(&stored.case_reference));
    assert_eq!(stored.customer.as_deref(), Some("acme"), "the account's owner");
    let kinds: Vec<String> = h
        .app
        .store()
        .ticket_events(ticket.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["opened", "case_attempt", "case_created"]);
    assert!(text_of(&answer).contains("AWS aims to answer within 4 hours"));
}

#[tokio::test]
async fn a_later_process_shows_the_ticket_by_free_text() {
    let h = harness().await;
    let id = h
        .say(
            engineer(),
            "open an escalation: our RDS database has been down since 10:00",
        )
        .await
        .ticket
        .unwrap()
        .id;
    let answer = h.say(engineer(), &format!("what's the status of ticket {id}?")).await;
    assert_eq!(answer.intent, IntentKind::Ticket);
    assert_eq!(answer.ticket.unwrap().aws_case_id.as_deref(), Some("case-1"));
}

#[tokio::test]
async fn a_customers_escalation_waits_for_an_engineers_approval() {
    let h = harness().await;
    let answer = h
        .say(
            person("2001", Role::Customer),
            "open an escalation: our load balancer returns 502 for every request",
        )
        .await;
    let ticket = answer.ticket.unwrap();
    assert_eq!(ticket.aws_case_id, None);
    assert!(h.aws.calls().is_empty(), "no AWS call before approval");
    let stored = h.app.store().ticket(ticket.id).await.unwrap().unwrap();
    assert_eq!(stored.case_state, CaseState::AwaitingApproval);
    assert_eq!(
        stored.account_id.unwrap().as_str(),
        "111111111111",
        "the customer's only account"
    );

    let refused = h
        .say(
            person("2001", Role::Customer),
            &format!("/ticket approve id:{}", ticket.id),
        )
        .await;
    assert!(text_of(&refused).contains("Only support engineers"));

    let approved = h.say(engineer(), &format!("/ticket approve id:{}", ticket.id)).await;
    assert_eq!(approved.ticket.unwrap().aws_case_id.as_deref(), Some("case-1"));
    assert_eq!(h.aws.cases().len(), 1);
}

#[tokio::test]
async fn an_unmapped_person_is_refused_and_nothing_is_stored() {
    let h = harness().await;
    let answer = h
        .say(
            person("4242", Role::Customer),
            "open an escalation: our RDS database is down since 10:00",
        )
        .await;
    assert!(answer.ticket.is_none());
    assert!(text_of(&answer).contains("which customer you are with"));
    let all = h.say(engineer(), "/ticket list filter:all").await;
    assert!(text_of(&all).contains("None."));
}

#[tokio::test]
async fn customers_see_only_their_own_tickets_and_cannot_tell_others_exist() {
    let h = harness().await;
    let acme = h
        .say(
            person("2001", Role::Customer),
            "open an escalation: S3 uploads fail with 503 since 9am",
        )
        .await
        .ticket
        .unwrap()
        .id;
    let peek = h
        .say(person("3001", Role::Customer), &format!("/ticket show id:{acme}"))
        .await;
    let missing = h.say(person("3001", Role::Customer), "/ticket show id:999").await;
    assert!(peek.ticket.is_none());
    let message = |a: &Answer| a.reply.embeds[0].description.clone().unwrap();
    assert_eq!(
        message(&peek).replace(&acme.to_string(), "N"),
        message(&missing).replace("999", "N")
    );
    let list = h.say(person("3001", Role::Customer), "/ticket list filter:all").await;
    assert!(!text_of(&list).contains("S3 uploads"));
    let own = h.say(person("2001", Role::Customer), "list my open tickets").await;
    assert!(text_of(&own).contains("S3 uploads"));
    let all = h.say(engineer(), "/ticket list filter:all").await;
    assert!(text_of(&all).contains("S3 uploads"));
}

#[tokio::test]
async fn a_customer_cannot_name_an_account_that_is_not_theirs() {
    let h = harness().await;
    let answer = h
        .say(
            person("2001", Role::Customer),
            r#"/escalate severity:low subject:"x" description:"something about that account" account:222222222222"#,
        )
        .await;
    assert!(answer.ticket.is_none());
    assert!(text_of(&answer).contains("not one of your accounts"));
}

#[tokio::test]
async fn when_aws_fails_the_ticket_stays_open_and_the_worker_creates_exactly_one_case_later() {
    let h = harness().await;
    h.aws.fail_next([CaseError::Transient("connection refused".into())]);
    let answer = h
        .say(
            engineer(),
            "open an escalation: Route 53 is not resolving our domain since 09:00",
        )
        .await;
    let ticket = answer.ticket.clone().unwrap();
    assert_eq!(ticket.aws_case_id, None);
    assert!(text_of(&answer).contains("connection refused"));
    let stored = h.app.store().ticket(ticket.id).await.unwrap().unwrap();
    assert_eq!(stored.case_state, CaseState::Pending);
    assert_eq!(stored.status, TicketStatus::Open);

    // Not due yet: nothing happens.
    let report = h.app.case_worker().run_once(false).await.unwrap();
    assert_eq!(report.cases_created, 0);
    // Throttled on the first retry, then AWS is back.
    h.clock.advance(time::Duration::hours(1));
    h.aws.fail_next([CaseError::Transient("ThrottlingException".into())]);
    let report = h.app.case_worker().run_once(false).await.unwrap();
    assert_eq!((report.cases_created, report.cases_pending), (0, 1));
    h.clock.advance(time::Duration::hours(1));
    let report = h.app.case_worker().run_once(false).await.unwrap();
    assert_eq!(report.cases_created, 1);
    h.clock.advance(time::Duration::hours(1));
    assert_eq!(h.app.case_worker().run_once(false).await.unwrap().cases_created, 0);
    assert_eq!(h.aws.cases().len(), 1);
}

#[tokio::test]
async fn a_crash_between_create_case_and_the_commit_does_not_make_a_second_case() {
    let h = harness().await;
    h.aws.lose_next_create_response();
    let ticket = h
        .say(
            engineer(),
            "open an escalation: Lambda functions time out since the deploy at 08:00",
        )
        .await
        .ticket
        .unwrap();
    assert_eq!(ticket.aws_case_id, None, "the bot did not learn of the case");
    assert_eq!(h.aws.cases().len(), 1, "but AWS has it");

    h.clock.advance(time::Duration::hours(1));
    let report = h.app.case_worker().run_once(false).await.unwrap();
    assert_eq!(report.cases_created, 1);
    assert_eq!(h.aws.cases().len(), 1, "found by its reference, not created again");
    let stored = h.app.store().ticket(ticket.id).await.unwrap().unwrap();
    assert_eq!(stored.aws_case_id.as_deref(), Some("case-1"));
    assert!(h.aws.calls().contains(&"find_case".to_owned()));
}

#[tokio::test]
async fn no_support_plan_is_explained_and_not_retried() {
    let h = harness().await;
    h.aws.fail_next([CaseError::SubscriptionRequired]);
    let answer = h
        .say(
            engineer(),
            "open an escalation: EBS volume stuck in attaching since this morning",
        )
        .await;
    let text = text_of(&answer);
    assert!(text.contains("support plan"), "{text}");
    assert!(text.contains("root user"), "the seed's support-plan note: {text}");
    let stored = h.app.store().ticket(answer.ticket.unwrap().id).await.unwrap().unwrap();
    assert_eq!(stored.case_state, CaseState::Failed);
    h.clock.advance(time::Duration::days(1));
    h.app.case_worker().run_once(false).await.unwrap();
    assert!(h.aws.cases().is_empty());
}

#[tokio::test]
async fn notes_and_resolutions_reach_the_case_even_when_aws_is_away_at_first() {
    let h = harness().await;
    let id = h
        .say(
            engineer(),
            "open an escalation: our NAT gateway dropped all traffic at 10:00",
        )
        .await
        .ticket
        .unwrap()
        .id;
    h.aws.fail_next([CaseError::Transient("timeout".into())]);
    let noted = h
        .say(
            engineer(),
            &format!("/ticket note id:{id} text:\"Customer confirms it is back\""),
        )
        .await;
    assert!(noted.ticket.is_some());
    // The note's own background pass meets the failure.
    h.app.case_worker().finish_background().await;
    assert!(h.aws.cases()[0].communications.is_empty());
    let resolved = h.say(engineer(), &format!("/ticket resolve id:{id}")).await;
    assert_eq!(resolved.ticket.unwrap().status, "resolved");
    h.app.case_worker().finish_background().await;
    h.clock.advance(time::Duration::hours(1));
    // The worker and the notes' own background passes share the work;
    // claims keep each action to one sender.
    h.app.case_worker().run_once(false).await.unwrap();
    h.outbox_emptied().await;
    let case = &h.aws.cases()[0];
    assert_eq!(case.communications.len(), 1);
    assert!(case.communications[0].contains("Customer confirms it is back"));
    assert_eq!(case.status, "resolved");

    let again = h.say(engineer(), &format!("/ticket resolve id:{id}")).await;
    assert!(text_of(&again).contains("already resolved"));
    let reopened = h
        .say(engineer(), &format!("/ticket reopen id:{id} note:\"back again\""))
        .await;
    assert_eq!(reopened.ticket.unwrap().status, "open");
}

#[tokio::test]
async fn case_status_changes_become_ticket_events() {
    let h = harness().await;
    let id = h
        .say(
            engineer(),
            "open an escalation: DynamoDB throttling on table orders since 07:00",
        )
        .await
        .ticket
        .unwrap()
        .id;
    h.aws.set_status("case-1", "work-in-progress");
    assert_eq!(h.app.case_worker().sync_statuses().await.unwrap(), 1);
    assert_eq!(
        h.app.case_worker().sync_statuses().await.unwrap(),
        0,
        "no change, no event"
    );
    let events = h.app.store().ticket_events(id).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.kind, "case_status");
    assert!(last.detail.ends_with("work-in-progress"), "{}", last.detail);
}

#[tokio::test]
async fn a_critical_escalation_puts_the_phone_numbers_first_and_alerts_the_outage_channel() {
    let h = harness().await;
    let answer = h.say(engineer(), "raise a critical case, the whole site is down").await;
    assert_eq!(answer.ticket.as_ref().unwrap().severity, "critical");
    assert!(answer.reply.embeds[0].title.as_ref().unwrap().contains("call now"));
    assert!(text_of(&answer).contains("1-888-638-6771"));
    assert_eq!(answer.alerts.len(), 1);
    assert!(answer.alerts[0].ping_on_call);
}

#[tokio::test]
async fn a_thin_request_asks_for_details_and_stores_nothing() {
    let h = harness().await;
    let answer = h.say(engineer(), "open a ticket").await;
    assert_eq!(answer.intent, IntentKind::Escalate);
    assert!(answer.ticket.is_none());
    assert!(text_of(&answer).contains("Tell me a bit more"));
    assert!(h.app.store().ticket(1).await.unwrap().is_none());
}

#[tokio::test]
async fn an_invalid_severity_creates_nothing_and_lists_the_valid_ones() {
    let h = harness().await;
    let answer = h
        .say(
            engineer(),
            r#"/escalate severity:sev0 subject:"x" description:"a real problem here""#,
        )
        .await;
    assert!(answer.ticket.is_none());
    assert!(text_of(&answer).contains("low, normal, high, urgent, critical"));
    assert!(h.app.store().ticket(1).await.unwrap().is_none());
}

#[tokio::test]
async fn quotes_sql_and_long_descriptions_are_kept_intact_and_shown_within_limits() {
    let h = harness().await;
    let subject = r#"RDS "prod" down'); DROP TABLE tickets;--"#;
    let description = "Long story. ".repeat(420);
    assert!(description.len() > 5_000);
    let line = format!(
        "/escalate severity:urgent subject:\"{}\" description:\"{}\"",
        subject.replace('"', "\\\""),
        description
    );
    let answer = h.say(engineer(), &line).await;
    let id = answer.ticket.unwrap().id;
    let stored = h.app.store().ticket(id).await.unwrap().unwrap();
    assert_eq!(stored.subject, subject);
    assert_eq!(stored.description, description.trim());
    assert!(h.aws.cases()[0].request.body.starts_with("Long story."));
    assert!(h.aws.cases()[0].request.body.chars().count() <= 8_000);
    let shown = h.say(engineer(), &format!("/ticket show id:{id}")).await;
    assert!(text_of(&shown).contains("DROP TABLE tickets"));
}

#[tokio::test]
async fn engineers_list_by_customer_and_status_customers_only_their_own() {
    let h = harness().await;
    for (user, text) in [
        ("2001", "open an escalation: acme's EC2 instance is impaired since noon"),
        ("3001", "open an escalation: globex's S3 bucket denies every upload"),
    ] {
        h.say(person(user, Role::Customer), text).await;
    }
    let acme = h.say(engineer(), "/ticket list filter:all customer:acme").await;
    assert!(text_of(&acme).contains("EC2 instance") && !text_of(&acme).contains("S3 bucket"));
    let resolved = h.say(engineer(), "/ticket list filter:all status:resolved").await;
    assert!(text_of(&resolved).contains("None."));
    let unknown = h.say(engineer(), "/ticket list filter:all customer:initech").await;
    assert!(text_of(&unknown).contains("acme, globex"));
    let nosy = h
        .say(
            person("2001", Role::Customer),
            "/ticket list filter:all customer:globex",
        )
        .await;
    assert!(text_of(&nosy).contains("Only support engineers"));
}

/// An engineer's explicit `/escalate` with a subject and a short
/// description is logged (and its case opened), never refused as too short;
/// control characters in it never reach the store or AWS.
#[tokio::test]
async fn an_explicit_escalation_is_always_logged_and_control_characters_are_dropped() {
    use platform_desk::inbound::Content;
    use platform_desk::intent::{OptionValue, SlashCommand};
    let h = harness().await;
    let option = |name: &str, value: &str| (name.to_owned(), OptionValue::String(value.to_owned()));
    let answer = h
        .app
        .handle(Inbound {
            actor: engineer(),
            content: Content::Command(SlashCommand {
                name: "escalate".into(),
                subcommand: None,
                options: vec![
                    option("severity", "urgent"),
                    option("subject", "Route 53\0 not\u{1b}[31m resolving\u{202e}\n"),
                    option("description", "example.com\0 NXDOMAIN"),
                ],
            }),
        })
        .await;
    let ticket = answer.ticket.expect("an explicit escalation is logged");
    let stored = h.app.store().ticket(ticket.id).await.unwrap().unwrap();
    assert_eq!(stored.subject, "Route 53 not[31m resolving");
    assert_eq!(stored.description, "example.com NXDOMAIN");
    let sent = &h.aws.cases()[0].request;
    assert!(!sent.subject.chars().any(char::is_control), "{:?}", sent.subject);
    assert!(!sent.body.contains('\0'), "{:?}", sent.body);

    // Notes too: nothing of it reaches the store.
    h.app
        .handle(Inbound {
            actor: engineer(),
            content: Content::Command(SlashCommand {
                name: "ticket".into(),
                subcommand: Some("note".into()),
                options: vec![
                    ("id".to_owned(), OptionValue::Integer(ticket.id)),
                    option("text", "resolver\0 fixed\u{1b}[2J \u{202e}now"),
                ],
            }),
        })
        .await;
    let events = h.app.store().ticket_events(ticket.id).await.unwrap();
    let note = events.iter().find(|e| e.kind == "note").expect("the note");
    assert_eq!(note.detail, "resolver fixed[2J now");

    // In chat, two words are not enough to act on: details are asked for.
    let thin = h.say(engineer(), "open an escalation: example.com NXDOMAIN").await;
    assert!(thin.ticket.is_none());
}

/// A CreateCase that failed without an answer may still be completed by
/// AWS: the next attempt (which looks before creating) waits for it to
/// settle, and a retry for the same reason does not fill the ticket's log.
#[tokio::test]
async fn an_uncertain_create_case_is_retried_only_after_aws_settles() {
    let h = harness().await;
    h.aws.fail_next([
        CaseError::Transient("no answer within 10 s".into()),
        CaseError::Transient("no answer within 10 s".into()),
        CaseError::Transient("no answer within 10 s".into()),
    ]);
    let id = h.escalation("the NAT gateway drops packets since 10:00").await;
    let stored = h.app.store().ticket(id).await.unwrap().unwrap();
    let retry_at = time::OffsetDateTime::parse(
        stored.case_next_attempt_at.as_deref().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(
        retry_at >= h.clock.now() + time::Duration::seconds(120),
        "retried at {retry_at}, too soon after an unanswered CreateCase"
    );
    // Two more failures for the same reason: one "could not open" event.
    for _ in 0..2 {
        h.clock.advance(time::Duration::hours(1));
        h.app.case_worker().run_once(false).await.unwrap();
    }
    let events = h.app.store().ticket_events(id).await.unwrap();
    let failed = events.iter().filter(|e| e.kind == "case_failed").count();
    let retried = events.iter().filter(|e| e.kind == "case_retry").count();
    assert_eq!((failed, retried), (1, 2), "{events:?}");
}

#[tokio::test]
async fn a_resolved_ticket_is_never_given_a_new_case() {
    let h = harness().await;
    // Never attempted (a customer's, awaiting approval): nothing at all.
    let customer = person("2001", Role::Customer);
    let waiting = h
        .say(
            customer.clone(),
            "open an escalation: the NAT gateway drops packets since 10:00",
        )
        .await
        .ticket
        .unwrap()
        .id;
    h.say(customer, &format!("/ticket resolve id:{waiting}")).await;
    // Attempted, and refused without an answer: looked for, never created.
    h.aws.fail_next([CaseError::Transient("throttled".into())]);
    let id = h.escalation("the VPN tunnel dropped at 09:12").await;
    h.say(
        engineer(),
        &format!("/ticket resolve id:{id} note:\"it came back by itself\""),
    )
    .await;
    let creates_before = h.aws.calls().iter().filter(|c| *c == "create_case").count();
    h.clock.advance(time::Duration::hours(2));
    h.app.case_worker().run_once(false).await.unwrap();
    h.clock.advance(time::Duration::hours(2));
    let report = h.app.case_worker().run_once(false).await.unwrap();
    assert_eq!(report.cases_created + report.cases_pending, 0);
    let creates = h.aws.calls().iter().filter(|c| *c == "create_case").count();
    assert_eq!(creates, creates_before, "{:?}", h.aws.calls());
    assert!(h.aws.cases().is_empty());
    let stored = h.app.store().ticket(id).await.unwrap().unwrap();
    assert_eq!(
        stored.case_state,
        CaseState::Failed,
        "closed out: {:?}",
        stored.case_last_error
    );
}

/// A ticket resolved while its CreateCase had no answer: AWS made the case
/// after all; the worker finds it, records it, and resolves it too.
#[tokio::test]
async fn the_case_of_a_ticket_resolved_meanwhile_is_found_and_resolved() {
    let h = harness().await;
    h.aws.lose_next_create_response();
    let id = h.escalation("the VPN tunnel dropped at 09:12").await;
    assert_eq!(h.aws.cases().len(), 1, "AWS made the case, the bot did not hear");
    h.say(engineer(), &format!("/ticket resolve id:{id}")).await;
    h.clock.advance(time::Duration::hours(1));
    h.app.case_worker().run_once(false).await.unwrap();
    h.outbox_emptied().await;
    assert_eq!(h.aws.cases().len(), 1, "no second case");
    assert_eq!(h.aws.cases()[0].status, "resolved");
    let stored = h.app.store().ticket(id).await.unwrap().unwrap();
    assert_eq!(stored.case_state, CaseState::Created);
    assert_eq!(stored.aws_case_id.as_deref(), Some("case-1"));
}

/// A queued note is claimed before it is sent: of two passes that find it
/// due at once (the background pass of `/ticket note` and the worker, or two
/// processes), one sends it; a claim that outlives its holder (a crash) is
/// taken over once it expires.
#[tokio::test]
async fn a_queued_note_is_claimed_by_one_pass_at_a_time() {
    let h = harness().await;
    let id = h.escalation("the NAT gateway drops packets since 10:00").await;
    h.aws.fail_next([CaseError::Transient("throttled".into())]);
    h.say(
        engineer(),
        &format!("/ticket note id:{id} text:\"Customer confirms the fix\""),
    )
    .await;
    // The note's own background pass tries once (and meets the failure).
    h.app.case_worker().finish_background().await;
    h.clock.advance(time::Duration::hours(1));
    let store = h.app.store();
    let now = h.clock.now();
    let due = store.due_case_actions(now, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    let hold = now + time::Duration::seconds(30);
    assert!(store.claim_case_action(due[0].id, now, hold).await.unwrap());
    assert!(
        !store.claim_case_action(due[0].id, now, hold).await.unwrap(),
        "claimed twice"
    );
    // The worker skips what another holds...
    let (done, _) = h.app.case_worker().deliver_actions(None).await.unwrap();
    assert_eq!(done, 0);
    assert!(h.aws.cases()[0].communications.is_empty());
    // ...and takes it over once the hold has expired.
    h.clock.advance(time::Duration::minutes(1));
    let (done, _) = h.app.case_worker().deliver_actions(None).await.unwrap();
    assert_eq!(done, 1);
    assert_eq!(h.aws.cases()[0].communications.len(), 1);
}

/// AWS refuses a whole DescribeCases call when it does not know one of the
/// ids: the poll asks for each case instead, so the others still get their
/// status changes.
#[tokio::test]
async fn a_case_aws_does_not_know_does_not_stop_the_status_poll() {
    let h = harness().await;
    for text in [
        "open an escalation: DynamoDB throttling on table orders since 07:00",
        "open an escalation: the NAT gateway drops packets since 10:00",
    ] {
        h.say(engineer(), text).await.ticket.unwrap();
    }
    assert_eq!(h.aws.cases().len(), 2);
    h.aws.forget_case("case-1");
    h.aws.set_status("case-2", "work-in-progress");
    assert_eq!(h.app.case_worker().sync_statuses().await.unwrap(), 1);
    let events = h.app.store().ticket_events(2).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "case_status"), "{events:?}");
}

/// In a guild channel nobody claims (neither internal nor a customer's),
/// anyone may read: an engineer's ticket listing there is for the engineer
/// only; in a DM it is shown as usual.
#[tokio::test]
async fn customers_data_in_a_channel_nobody_claims_is_for_the_asker_only() {
    let h = harness().await;
    h.escalation("the NAT gateway drops packets since 10:00").await;
    let mut in_public = engineer();
    in_public.guild_id = Some("500000000000000001".into());
    in_public.channel_id = Some("640000000000000001".into());
    let listed = h.say(in_public.clone(), "/ticket list filter:all").await;
    assert!(text_of(&listed).contains("NAT gateway"));
    assert!(listed.reply.ephemeral, "listed for everyone in a public channel");
    let policy = h.say(in_public, "is patching in scope?").await;
    assert!(!policy.reply.ephemeral, "policy answers stay in the open");
    let in_dm = h.say(engineer(), "/ticket list filter:all").await;
    assert!(!in_dm.reply.ephemeral);
}

/// A process killed in the middle of CreateCase leaves a request AWS may
/// still complete: the ticket stays held for the attempt's budget and the
/// settle wait, so the next attempt (which looks first) comes after it.
#[tokio::test]
async fn a_case_attempt_killed_mid_call_is_not_retried_before_aws_settles() {
    let h = harness().await;
    h.aws.fail_next([CaseError::Transient("throttled".into())]);
    let id = h.escalation("the NAT gateway drops packets since 10:00").await;
    h.clock.advance(time::Duration::hours(1));
    h.aws.slow_next_create(std::time::Duration::from_secs(30));
    let worker = h.app.case_worker();
    let killed = tokio::spawn(async move { worker.attempt(id).await });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    killed.abort();
    let stored = h.app.store().ticket(id).await.unwrap().unwrap();
    let held_until = time::OffsetDateTime::parse(
        stored.case_next_attempt_at.as_deref().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let config = platform_desk::config::Config::default();
    let at_least =
        time::Duration::seconds((2 * config.aws.call_timeout_seconds + config.escalations.settle_seconds) as i64);
    assert!(held_until >= h.clock.now() + at_least, "held only until {held_until}");
    let report = h.app.case_worker().run_once(false).await.unwrap();
    assert_eq!(
        report.cases_created + report.cases_pending,
        0,
        "retried while AWS may still be creating it"
    );
}

/// AWS's replies on a ticket's case: each recorded once (across passes and
/// a restart of the worker), shown in `/ticket show`, leaving the ticket
/// waiting on the customer until a note goes back; the desk's own messages
/// (the case body, its notes) are recorded without being shown as replies;
/// a message sent from AWS's console is shown as the customer side's.
#[tokio::test]
async fn aws_replies_are_recorded_once_shown_and_leave_the_ticket_waiting_on_the_customer() {
    let h = harness().await;
    let acme = person("2001", Role::Customer);
    let id = h
        .customer_ticket_with_case(&acme, "account 111111111111 our ELB returns 502 on every request")
        .await;
    let case_id = h.aws.cases()[0].case_id.clone();

    h.aws.add_reply(
        &case_id,
        "Amazon Web Services",
        "2026-11-28T10:30:00.000Z",
        "Hello,\n\nPlease attach /var/log/elasticbox/elasticbox-agent.log and the ELB access logs.",
    );
    let worker = h.app.case_worker();
    assert_eq!(worker.sync_conversations().await.unwrap(), 1);
    assert_eq!(worker.sync_conversations().await.unwrap(), 0, "each reply once");
    let restarted = platform_desk::service::case_worker::CaseWorker::new(
        h.app.store().clone(),
        h.aws.clone(),
        Default::default(),
        h.clock.clone(),
        std::time::Duration::from_secs(5),
    );
    assert_eq!(restarted.sync_conversations().await.unwrap(), 0, "and after a restart");

    let events = h.app.store().ticket_events(id).await.unwrap();
    let replies: Vec<_> = events.iter().filter(|e| e.kind == "aws_reply").collect();
    assert_eq!(replies.len(), 1, "{events:?}");
    assert_eq!(replies[0].actor_name, "AWS Support");
    assert!(replies[0].detail.contains("elasticbox-agent.log"));
    assert!(
        !events.iter().any(|e| e.kind == "customer_reply"),
        "the case body the desk sent is not a reply: {events:?}"
    );
    let ticket = h.app.store().ticket(id).await.unwrap().unwrap();
    assert_eq!(ticket.waiting_on.as_deref(), Some("customer"));

    // The opener sees it with the ticket; another customer cannot.
    let shown = h.say(acme.clone(), &format!("/ticket show id:{id}")).await;
    let text = text_of(&shown);
    assert!(text.contains("Conversation with AWS Support"), "{text}");
    assert!(text.contains("Waiting on the customer"), "{text}");
    assert!(text.contains("AWS Support's latest reply"), "{text}");
    assert!(text.contains("elasticbox-agent.log"), "{text}");
    let other = h
        .say(person("3001", Role::Customer), &format!("/ticket show id:{id}"))
        .await;
    assert!(!text_of(&other).contains("elasticbox-agent.log"));

    // A note goes back: no longer waiting; the note, once on the case, is
    // the desk's own and not shown as a reply.
    h.say(
        acme.clone(),
        &format!("/ticket note id:{id} text:\"Attached both logs\""),
    )
    .await;
    h.outbox_emptied().await;
    assert_eq!(h.app.store().ticket(id).await.unwrap().unwrap().waiting_on, None);
    h.aws.add_reply(
        &case_id,
        "ops@acme.example",
        "2026-11-28T11:00:00.000Z",
        "Also seeing it in eu-west-1 (sent from the AWS console)",
    );
    assert_eq!(worker.sync_conversations().await.unwrap(), 1);
    let events = h.app.store().ticket_events(id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "aws_reply").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "customer_reply").count(), 1, "{kinds:?}");
    let messages = h.app.store().case_messages(id, 10).await.unwrap();
    let origins: Vec<&str> = messages.iter().map(|m| m.origin.as_str()).collect();
    assert_eq!(origins, ["desk", "desk", "aws", "customer"], "{messages:?}");
}

/// Notes go where they are sent: to AWS by default, internal ones never;
/// an engineer's internal note is never shown to the customer; a customer's
/// note to the desk is theirs to see.
#[tokio::test]
async fn internal_notes_never_reach_aws_and_engineers_ones_are_hidden_from_customers() {
    let h = harness_with(|config| config.customers[0].channel_ids = vec!["acme-support".into()]).await;
    let acme = person("2001", Role::Customer);
    let id = h
        .customer_ticket_with_case(&acme, "account 111111111111 our RDS failover took 20 minutes")
        .await;

    let internal = h
        .say(
            engineer(),
            &format!("/ticket note id:{id} text:\"their DBA is on holiday; call the CTO\" to:internal"),
        )
        .await;
    assert!(
        text_of(&internal).contains("never sent to AWS"),
        "{}",
        text_of(&internal)
    );
    let to_desk = h
        .say(
            acme.clone(),
            &format!("/ticket note id:{id} text:\"please call before noon\" to:internal"),
        )
        .await;
    assert!(text_of(&to_desk).contains("not sent to AWS"), "{}", text_of(&to_desk));
    let to_aws = h
        .say(
            engineer(),
            &format!("/ticket note id:{id} text:\"failover logs attached\""),
        )
        .await;
    assert!(text_of(&to_aws).contains("Sent to AWS"), "{}", text_of(&to_aws));
    h.outbox_emptied().await;
    let sent = &h.aws.cases()[0].communications;
    assert_eq!(sent.len(), 1, "only the note to AWS: {sent:?}");
    assert!(sent[0].contains("failover logs attached"));

    let seen_by_customer = text_of(&h.say(acme, &format!("/ticket show id:{id}")).await);
    assert!(!seen_by_customer.contains("CTO"), "{seen_by_customer}");
    assert!(
        seen_by_customer.contains("please call before noon"),
        "{seen_by_customer}"
    );
    let shown = h.say(engineer(), &format!("/ticket show id:{id}")).await;
    assert!(text_of(&shown).contains("CTO"), "{}", text_of(&shown));
    // An engineer asking in the customer's own channel is answered there,
    // in the open: no internal note.
    let in_acmes_channel = Actor {
        channel_id: Some("acme-support".into()),
        guild_id: Some("shared-guild".into()),
        ..engineer()
    };
    for asked in [
        format!("/ticket show id:{id}"),
        format!("what's the status of ticket {id}?"),
    ] {
        let there = h.say(in_acmes_channel.clone(), &asked).await;
        assert!(!text_of(&there).contains("CTO"), "{asked}: {}", text_of(&there));
    }
    let noted_there = h
        .say(
            in_acmes_channel,
            &format!("/ticket note id:{id} text:\"second internal\" to:internal"),
        )
        .await;
    assert!(
        noted_there.reply.ephemeral,
        "an internal note's confirmation is private"
    );
    assert!(!text_of(&noted_there).contains("CTO"));
    assert!(
        shown.reply.buttons.iter().any(|b| b.label == "Reply to AWS"),
        "{:?}",
        shown.reply.buttons
    );
}

/// With `approve_customer_replies`, a customer's reply to AWS waits for an
/// engineer, as their escalation does, and is sent once when approved.
#[tokio::test]
async fn a_customers_reply_to_aws_waits_for_approval_when_the_configuration_asks() {
    let h = harness_with(|config| config.escalations.approve_customer_replies = true).await;
    let acme = person("2001", Role::Customer);
    let id = h
        .customer_ticket_with_case(&acme, "account 111111111111 S3 returns 503 SlowDown all morning")
        .await;

    let noted = h
        .say(
            acme.clone(),
            &format!("/ticket note id:{id} text:\"request ids attached\""),
        )
        .await;
    assert!(
        text_of(&noted).contains("waits for an engineer's approval"),
        "{}",
        text_of(&noted)
    );
    h.app.case_worker().run_once(false).await.unwrap();
    assert!(h.aws.cases()[0].communications.is_empty(), "held until approved");
    assert_eq!(h.app.store().held_replies(id).await.unwrap(), 1);
    let shown = h.say(engineer(), &format!("/ticket show id:{id}")).await;
    assert!(text_of(&shown).contains("waits for an engineer's approval"));
    assert!(
        shown.reply.buttons.iter().any(|b| b.label == "Approve reply to AWS"),
        "{:?}",
        shown.reply.buttons
    );
    let refused = h.say(acme, &format!("/ticket approve id:{id}")).await;
    assert!(text_of(&refused).contains("engineer"), "{}", text_of(&refused));

    h.say(engineer(), &format!("/ticket approve id:{id}")).await;
    h.outbox_emptied().await;
    h.app.case_worker().run_once(false).await.unwrap();
    let sent = &h.aws.cases()[0].communications;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("request ids attached"));
    assert_eq!(h.app.store().held_replies(id).await.unwrap(), 0);
    let again = h.say(engineer(), &format!("/ticket approve id:{id}")).await;
    assert!(
        text_of(&again).contains("not waiting for approval"),
        "{}",
        text_of(&again)
    );
}

/// An account whose plan offers no critical is never opened a critical
/// case: "the whole site is down" (inferred critical) opens an urgent case,
/// with the reason in the ticket; the ticket keeps its own severity (the
/// provider's urgency). A customer's ticket on that account says so before
/// approval, without asking AWS; engineers see the plan in `/ticket show`.
#[tokio::test]
async fn a_plan_without_critical_opens_an_urgent_case_and_says_why() {
    use platform_desk::domain::Severity;
    let h = harness().await;
    h.aws.set_plan(
        Some("111111111111"),
        Some(vec![Severity::Low, Severity::Normal, Severity::High, Severity::Urgent]),
    );
    let opened = h
        .say(
            engineer(),
            "open an escalation: account 111111111111 the whole site is down, every page returns 500",
        )
        .await;
    let id = opened.ticket.as_ref().unwrap().id;
    let text = text_of(&opened);
    assert!(text.contains("opened at severity **urgent**"), "{text}");
    assert!(
        text.contains("**critical** for the desk; the AWS case is **urgent**"),
        "AWS's response time is the case's: {text}"
    );
    let case = &h.aws.cases()[0];
    assert_eq!(case.request.severity, Severity::Urgent, "the case within the plan");
    let ticket = h.app.store().ticket(id).await.unwrap().unwrap();
    assert_eq!(ticket.severity, Severity::Critical, "the ticket keeps what was asked");
    assert_eq!(ticket.case_severity, Some(Severity::Urgent));
    let events = h.app.store().ticket_events(id).await.unwrap();
    let capped = events
        .iter()
        .find(|e| e.kind == "case_severity")
        .expect("an explanation");
    assert!(capped.detail.contains("no critical"), "{}", capped.detail);

    let shown = text_of(&h.say(engineer(), &format!("/ticket show id:{id}")).await);
    assert!(shown.contains("AWS support plan"), "{shown}");
    assert!(shown.contains("cases of severity low, normal, high, urgent"), "{shown}");

    // The plan is known now: a customer's critical ticket on the account
    // says what approval will open, and AWS is not asked before approval.
    let calls = h.aws.calls().len();
    let customers = h
        .say(
            person("2001", Role::Customer),
            "open an escalation: account 111111111111 everything is down for all our users",
        )
        .await;
    let text = text_of(&customers);
    assert!(
        text.contains("Once approved, the AWS case is opened at severity **urgent**"),
        "{text}"
    );
    assert_eq!(h.aws.calls().len(), calls, "no AWS call before approval");
}

/// A plan without the Support API (Basic, Developer): the ticket is logged,
/// no case is attempted, and the answer gives the policy's support-plan note.
#[tokio::test]
async fn a_plan_without_the_support_api_logs_the_ticket_and_explains() {
    let h = harness().await;
    h.aws.set_plan(Some("222222222222"), None);
    let opened = h
        .say(
            engineer(),
            "open an escalation: account 222222222222 our API gateway returns 429 to everyone",
        )
        .await;
    let id = opened.ticket.as_ref().unwrap().id;
    assert!(
        !h.aws.calls().contains(&"create_case".to_owned()),
        "{:?}",
        h.aws.calls()
    );
    let ticket = h.app.store().ticket(id).await.unwrap().unwrap();
    assert_eq!(ticket.case_state, CaseState::Failed);
    let text = text_of(&opened);
    assert!(text.contains("support plan"), "{text}");
}

/// Files for AWS with a note, typed as paths in the console: on disk with
/// the note before anything is sent, uploaded once (AddAttachmentsToSet)
/// and sent once with the note, also when the note's answer is lost; too
/// many bytes or a path from Discord are refused politely with nothing
/// stored.
#[tokio::test]
async fn a_notes_files_reach_the_case_once_even_when_the_answer_is_lost() {
    let h = harness_with(|config| config.escalations.settle_seconds = 0).await;
    let id = h.escalation("our EC2 agent stopped reporting at 09:10").await;
    let files = tempfile::tempdir().unwrap();
    let log = files.path().join("elasticbox-agent.log");
    std::fs::write(&log, b"2026-11-28 09:10 agent: lost connection\n").unwrap();
    let big = files.path().join("core.dump");
    std::fs::write(&big, vec![0u8; 6_000_000]).unwrap();
    let local = |text: String| {
        h.app
            .handle_local(platform_desk::inbound::Inbound::text(engineer(), text))
    };

    let refused = local(format!(
        "/ticket note id:{id} text:\"the dump\" file1:{}",
        big.display()
    ))
    .await;
    assert!(
        text_of(&refused).contains("at most 5.0 MB (5000000 bytes) each, and this one is 6.0 MB (6000000 bytes)"),
        "{}",
        text_of(&refused)
    );
    let from_discord = h
        .app
        .handle(platform_desk::inbound::Inbound::text(
            engineer(),
            format!("/ticket note id:{id} text:\"x\" file1:{}", log.display()),
        ))
        .await;
    assert!(
        text_of(&from_discord).contains("read only in the console"),
        "{}",
        text_of(&from_discord)
    );
    let events = h.app.store().ticket_events(id).await.unwrap();
    assert!(!events.iter().any(|e| e.kind == "note"), "nothing stored: {events:?}");

    h.aws.lose_next_communication_response();
    let noted = local(format!(
        "/ticket note id:{id} text:\"agent log attached\" file1:{}",
        log.display()
    ))
    .await;
    assert!(text_of(&noted).contains("Sent to AWS"), "{}", text_of(&noted));
    h.app.case_worker().finish_background().await;
    h.clock.advance(time::Duration::minutes(1));
    h.outbox_emptied().await;
    let case = &h.aws.cases()[0];
    assert_eq!(case.communications.len(), 1, "{:?}", case.communications);
    assert_eq!(
        case.attachments,
        vec![(
            "elasticbox-agent.log".to_owned(),
            b"2026-11-28 09:10 agent: lost connection\n".to_vec()
        )]
    );
    let uploads = h.aws.calls().iter().filter(|c| *c == "add_attachments").count();
    assert_eq!(uploads, 1, "uploaded once: {:?}", h.aws.calls());
    let events = h.app.store().ticket_events(id).await.unwrap();
    let note = events.iter().find(|e| e.kind == "note").unwrap();
    assert!(
        note.detail.contains("[attached: elasticbox-agent.log (40 B)]"),
        "{}",
        note.detail
    );
}

/// An attempt at a note cut short after AWS recorded it (its process
/// killed mid-call) is counted when claimed: the next attempt looks for the
/// note on the case and does not send it again.
#[tokio::test]
async fn a_note_whose_sender_died_mid_call_is_looked_for_before_it_is_sent_again() {
    use platform_desk::aws::support::SupportCases;
    let h = harness_with(|config| config.escalations.settle_seconds = 0).await;
    let id = h.escalation("our load balancer drops half the connections").await;
    // Queued while AWS is away, so that nothing sends it yet.
    h.aws.fail_next([CaseError::Transient("away".into())]);
    h.say(engineer(), &format!("/ticket note id:{id} text:\"drops since 08:00\""))
        .await;
    h.app.case_worker().finish_background().await;
    h.clock.advance(time::Duration::hours(1));
    let now = h.clock.now();
    let action = h.app.store().due_case_actions(now, 10).await.unwrap().remove(0);
    // A sender claims it, AWS records the note, and the sender dies.
    assert!(
        h.app
            .store()
            .claim_case_action(action.id, now, now + time::Duration::minutes(2))
            .await
            .unwrap()
    );
    let body = format!("{}\n\n[platform-desk note {id}.{}]", action.body, action.id);
    h.aws
        .add_communication(None, &action.aws_case_id, &body, None)
        .await
        .unwrap();

    h.clock.advance(time::Duration::minutes(5));
    h.outbox_emptied().await;
    let sent = &h.aws.cases()[0].communications;
    assert_eq!(sent.len(), 1, "sent once: {sent:?}");
}

/// Notes reach the case in the order they were written, before its
/// resolution; a resolved ticket takes no more notes for AWS, and shows
/// what is still waiting to reach AWS.
#[tokio::test]
async fn notes_go_before_the_resolution_and_a_resolved_ticket_takes_no_more() {
    let h = harness_with(|config| config.escalations.settle_seconds = 0).await;
    let id = h.escalation("our CloudFront distribution serves stale content").await;
    h.aws.fail_next([CaseError::Transient("HTTP 500".into())]);
    h.say(
        engineer(),
        &format!("/ticket note id:{id} text:\"invalidation did not help\""),
    )
    .await;
    h.app.case_worker().finish_background().await;
    let shown = h.say(engineer(), &format!("/ticket show id:{id}")).await;
    assert!(text_of(&shown).contains("Waiting to reach AWS"), "{}", text_of(&shown));
    h.say(engineer(), &format!("/ticket resolve id:{id}")).await;
    h.app.case_worker().finish_background().await;
    let refused = h
        .say(engineer(), &format!("/ticket note id:{id} text:\"one more thing\""))
        .await;
    assert!(text_of(&refused).contains("is resolved"), "{}", text_of(&refused));
    h.clock.advance(time::Duration::hours(1));
    h.outbox_emptied().await;
    let calls: Vec<String> = h
        .aws
        .calls()
        .into_iter()
        .filter(|c| c == "add_communication" || c == "resolve_case")
        .collect();
    assert_eq!(calls.last().map(String::as_str), Some("resolve_case"), "{calls:?}");
    let case = &h.aws.cases()[0];
    assert_eq!(case.communications.len(), 1, "{:?}", case.communications);
    assert!(!case.communications[0].contains("one more thing"));
    assert_eq!(case.status, "resolved");
}

/// Files given as paths are read only after the note is allowed, never from
/// the system's or the process's own places, and a set AWS no longer has
/// is uploaded again rather than losing the note.
#[tokio::test]
async fn local_files_are_read_after_the_check_and_an_expired_set_is_uploaded_again() {
    let h = harness_with(|config| {
        config.escalations.settle_seconds = 0;
        config.escalations.retry_initial_seconds = 1;
        config.escalations.retry_max_seconds = 1;
    })
    .await;
    let id = h.escalation("our ECS tasks restart every few minutes").await;
    let local = |actor: Actor, text: String| h.app.handle_local(Inbound::text(actor, text));

    // Someone who may not see the ticket hears so, whatever the path.
    let stranger = local(
        person("3001", Role::Customer),
        format!("/ticket note id:{id} text:\"x\" file1:/no/such/file"),
    )
    .await;
    assert!(
        text_of(&stranger).contains("can't find ticket"),
        "{}",
        text_of(&stranger)
    );
    for path in [
        "/proc/self/environ",
        "/proc/self/pagemap",
        "/sys/kernel/notes",
        "/dev/zero",
    ] {
        let refused = local(engineer(), format!("/ticket note id:{id} text:\"x\" file1:{path}")).await;
        assert!(
            text_of(&refused).contains("not a file to send to AWS"),
            "{path}: {}",
            text_of(&refused)
        );
    }

    let files = tempfile::tempdir().unwrap();
    let log = files.path().join("ecs-agent.log");
    std::fs::write(&log, b"task stopped: OutOfMemoryError\n").unwrap();
    h.aws.fail_next_communication(CaseError::Transient("HTTP 503".into()));
    local(
        engineer(),
        format!("/ticket note id:{id} text:\"ecs agent log\" file1:{}", log.display()),
    )
    .await;
    h.app.case_worker().finish_background().await;
    // The set AWS made expires before the next attempt.
    h.aws.expire_attachment_sets();
    for _ in 0..3 {
        h.clock.advance(time::Duration::minutes(1));
        h.app.case_worker().run_once(false).await.unwrap();
    }
    let case = &h.aws.cases()[0];
    assert_eq!(case.communications.len(), 1, "{:?}", case.communications);
    assert_eq!(
        case.attachments,
        vec![("ecs-agent.log".to_owned(), b"task stopped: OutOfMemoryError\n".to_vec())]
    );
    let uploads = h.aws.calls().iter().filter(|c| *c == "add_attachments").count();
    assert_eq!(uploads, 2, "uploaded again after the set expired: {:?}", h.aws.calls());
}
