//! AWS Health through the real SDK, against the JSON 1.1 stub in
//! tests/common/aws_stub.rs (moto has no Health API).

mod common;

use common::aws_stub::AwsStub;
use platform_desk::aws::health::{Health, SdkHealth};

fn event(n: u32, category: &str, status: &str) -> serde_json::Value {
    serde_json::json!({
        "arn": format!("arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/{n}"),
        "service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE", "eventTypeCategory": category,
        "region": "us-east-1", "startTime": 1_795_000_000 + n, "lastUpdatedTime": 1_795_000_600 + n,
        "statusCode": status, "eventScopeCode": "PUBLIC"
    })
}

#[tokio::test]
async fn issues_come_with_their_latest_descriptions_in_batches_of_ten() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let mut events: Vec<(serde_json::Value, String)> = (0..23)
        .map(|n| {
            (
                event(n, "issue", if n % 2 == 0 { "open" } else { "closed" }),
                format!("description {n}"),
            )
        })
        .collect();
    events.push((event(99, "scheduledChange", "upcoming"), "maintenance".into()));
    stub.set_health_events(events);

    let health = SdkHealth::new(&common::sdk_config(&stub.endpoint).await);
    let issues = health.issues().await.unwrap();
    assert_eq!(issues.len(), 23, "issues only");
    let first = &issues[0];
    assert_eq!(first.service, "EC2");
    assert_eq!(first.status, "open");
    assert_eq!(first.region, "us-east-1");
    assert_eq!(first.description.as_deref(), Some("description 0"));
    assert_eq!(first.start.unwrap().unix_timestamp(), 1_795_000_000);
    assert!(issues.iter().all(|i| i.description.is_some()));
    let detail_calls = stub
        .operations()
        .iter()
        .filter(|o| *o == "DescribeEventDetails")
        .count();
    assert_eq!(detail_calls, 3, "23 events in batches of at most 10");
}

#[tokio::test]
async fn a_failing_health_api_is_a_retryable_error() {
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    stub.set_away(true);
    let health = SdkHealth::new(&common::sdk_config(&stub.endpoint).await);
    assert!(health.issues().await.unwrap_err().is_retryable());
}
