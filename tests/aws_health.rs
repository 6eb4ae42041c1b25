//! AWS Health through the real SDK, against the JSON 1.1 stub in
//! tests/common/aws_stub.rs (moto has no Health API): both views, pagination,
//! details in batches of ten, affected accounts. Health is all the stub's
//! own, so these tests need no moto.

mod common;

use common::aws_stub::{AwsStub, HealthFixture};
use platform_desk::aws::health::{Health, SdkHealth};

fn event(n: u32, category: &str, status: &str, scope: &str) -> serde_json::Value {
    serde_json::json!({
        "arn": format!("arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/{n}"),
        "service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE", "eventTypeCategory": category,
        "region": "us-east-1", "startTime": 1_795_000_000 + n, "lastUpdatedTime": 1_795_000_600 + n,
        "statusCode": status, "eventScopeCode": scope
    })
}

/// 23 issues (even ones public, odd ones touching two accounts) and one
/// scheduled change.
fn fixtures() -> Vec<HealthFixture> {
    let mut events: Vec<HealthFixture> = (0..23)
        .map(|n| HealthFixture {
            event: event(
                n,
                "issue",
                if n % 2 == 0 { "open" } else { "closed" },
                if n % 2 == 0 { "PUBLIC" } else { "ACCOUNT_SPECIFIC" },
            ),
            description: format!("description {n}"),
            accounts: if n % 2 == 0 {
                vec![]
            } else {
                vec!["111111111111".into(), format!("2222222222{n:02}")]
            },
        })
        .collect();
    events.push(HealthFixture {
        event: event(99, "scheduledChange", "upcoming", "ACCOUNT_SPECIFIC"),
        description: "maintenance".into(),
        accounts: vec!["111111111111".into()],
    });
    events
}

fn count(stub: &AwsStub, operation: &str) -> usize {
    stub.operations().iter().filter(|o| *o == operation).count()
}

#[tokio::test]
async fn the_account_view_lists_issues_over_pages_then_completes_them_in_batches_of_ten() {
    let stub = AwsStub::without_moto().await;
    stub.set_health_events(fixtures());
    stub.set_health_page_size(10);

    let health = SdkHealth::new(&common::sdk_config(&stub.endpoint).await, false);
    let mut issues = health.issues().await.unwrap();
    assert_eq!(issues.len(), 23, "issues only, over every page");
    assert_eq!(count(&stub, "DescribeEvents"), 3, "24 events in pages of 10");
    let first = &issues[0];
    assert_eq!(first.service, "EC2");
    assert_eq!(first.status, "open");
    assert!(first.public);
    assert_eq!(first.region, "us-east-1");
    assert_eq!(first.start.unwrap().unix_timestamp(), 1_795_000_000);
    assert_eq!(first.description, None, "the list alone has no details");

    health.complete(&mut issues).await.unwrap();
    assert_eq!(issues[0].description.as_deref(), Some("description 0"));
    assert!(issues.iter().all(|i| i.description.is_some()));
    assert!(issues[0].affected_accounts.is_empty());
    assert_eq!(
        issues[1].affected_accounts.iter().cloned().collect::<Vec<_>>(),
        vec!["111111111111".to_owned(), "222222222201".to_owned()]
    );
    assert_eq!(
        count(&stub, "DescribeEventDetails"),
        3,
        "23 events in batches of at most 10"
    );
    assert_eq!(count(&stub, "DescribeAffectedEntities"), 3);
}

#[tokio::test]
async fn the_organization_view_reads_affected_accounts_and_details_through_them() {
    let stub = AwsStub::without_moto().await;
    stub.set_health_events(fixtures());
    stub.set_health_page_size(5);

    let health = SdkHealth::new(&common::sdk_config(&stub.endpoint).await, true);
    let mut issues = health.issues().await.unwrap();
    assert_eq!(issues.len(), 23);
    assert_eq!(count(&stub, "DescribeEventsForOrganization"), 5);
    assert_eq!(count(&stub, "DescribeEvents"), 0);
    // Affected accounts one per page.
    stub.set_health_page_size(1);
    let mut some: Vec<_> = issues.drain(..4).collect();
    health.complete(&mut some).await.unwrap();
    assert!(some[0].public && some[0].affected_accounts.is_empty());
    assert_eq!(some[1].affected_accounts.len(), 2, "both pages of accounts");
    assert_eq!(
        count(&stub, "DescribeAffectedAccountsForOrganization"),
        1 + 2 + 1 + 2,
        "one page per account, at least one per event"
    );
    assert!(
        some.iter().all(|e| e.description.is_some()),
        "account-specific details are read through an affected account: {some:?}"
    );
    assert_eq!(count(&stub, "DescribeEventDetailsForOrganization"), 1);
}

#[tokio::test]
async fn a_failing_health_api_is_a_retryable_error() {
    let stub = AwsStub::without_moto().await;
    stub.set_away(true);
    let health = SdkHealth::new(&common::sdk_config(&stub.endpoint).await, false);
    assert!(health.issues().await.unwrap_err().is_retryable());
    stub.set_away(false);
    // Throttled on both endpoints, every attempt the SDK makes.
    stub.inject_every_attempt("DescribeEvents", common::aws_stub::Fault::Throttle);
    stub.inject_every_attempt("DescribeEvents", common::aws_stub::Fault::Throttle);
    assert!(health.issues().await.unwrap_err().is_retryable(), "throttling");
}

#[tokio::test]
async fn health_fails_over_to_us_east_2_and_stays_there() {
    let stub = AwsStub::without_moto().await;
    stub.set_health_events(fixtures());
    let health = SdkHealth::new(&common::sdk_config(&stub.endpoint).await, false);
    health.issues().await.unwrap();
    assert_eq!(stub.signing_regions(), vec!["us-east-1"]);

    // us-east-1 fails every attempt of the SDK's retries: us-east-2 answers.
    stub.inject_every_attempt("DescribeEvents", common::aws_stub::Fault::ServerError);
    let issues = health.issues().await.unwrap();
    assert_eq!(issues.len(), 23);
    let mut expected = vec!["us-east-1"; 1 + common::aws_stub::SDK_ATTEMPTS];
    expected.push("us-east-2");
    assert_eq!(stub.signing_regions(), expected);
    health.issues().await.unwrap();
    assert_eq!(
        stub.signing_regions().last().unwrap(),
        "us-east-2",
        "the endpoint that answered"
    );

    // Both endpoints failing: the error comes back, to be retried later.
    stub.inject_every_attempt("DescribeEvents", common::aws_stub::Fault::Throttle);
    stub.inject_every_attempt("DescribeEvents", common::aws_stub::Fault::Throttle);
    assert!(health.issues().await.unwrap_err().is_retryable());
}
