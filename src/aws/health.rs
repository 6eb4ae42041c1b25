//! AWS Health: the `issue` events (open, upcoming and closed) of the
//! account, with their latest description. Health is a global service
//! answered from us-east-1. (The organization view, the poller and the
//! posting come with the outage issue.)

use async_trait::async_trait;
use aws_sdk_health::types::{EventFilter, EventTypeCategory};
use time::OffsetDateTime;

use super::{AwsError, classify};

/// One Health event, as the outage service needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthEvent {
    pub arn: String,
    pub service: String,
    pub event_type_code: String,
    pub region: String,
    /// open, upcoming or closed.
    pub status: String,
    pub start: Option<OffsetDateTime>,
    pub end: Option<OffsetDateTime>,
    pub last_updated: Option<OffsetDateTime>,
    pub description: Option<String>,
}

#[async_trait]
pub trait Health: Send + Sync {
    async fn issues(&self) -> Result<Vec<HealthEvent>, AwsError>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct NoHealth;

#[async_trait]
impl Health for NoHealth {
    async fn issues(&self) -> Result<Vec<HealthEvent>, AwsError> {
        Err(AwsError::NotConfigured)
    }
}

pub struct SdkHealth {
    client: aws_sdk_health::Client,
}

/// Pages of events read in one call, at most (100 events a page).
const MAX_PAGES: usize = 20;
/// DescribeEventDetails takes at most 10 event ARNs.
const DETAILS_BATCH: usize = 10;

impl SdkHealth {
    pub fn new(base: &aws_config::SdkConfig) -> Self {
        let config = aws_sdk_health::config::Builder::from(base)
            .region(aws_config::Region::new("us-east-1"))
            .build();
        Self {
            client: aws_sdk_health::Client::from_conf(config),
        }
    }
}

fn timestamp(value: Option<&aws_smithy_types::DateTime>) -> Option<OffsetDateTime> {
    value.and_then(|t| OffsetDateTime::from_unix_timestamp(t.secs()).ok())
}

#[async_trait]
impl Health for SdkHealth {
    #[tracing::instrument(name = "aws.health_issues", skip_all)]
    async fn issues(&self) -> Result<Vec<HealthEvent>, AwsError> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .client
                .describe_events()
                .filter(
                    EventFilter::builder()
                        .event_type_categories(EventTypeCategory::Issue)
                        .build(),
                )
                .max_results(100)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(classify)?;
            events.extend(page.events().iter().filter_map(|e| {
                Some(HealthEvent {
                    arn: e.arn()?.to_owned(),
                    service: e.service().unwrap_or_default().to_owned(),
                    event_type_code: e.event_type_code().unwrap_or_default().to_owned(),
                    region: e.region().unwrap_or_default().to_owned(),
                    status: e.status_code().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    start: timestamp(e.start_time()),
                    end: timestamp(e.end_time()),
                    last_updated: timestamp(e.last_updated_time()),
                    description: None,
                })
            }));
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        for batch in events.chunks_mut(DETAILS_BATCH) {
            let arns: Vec<String> = batch.iter().map(|e| e.arn.clone()).collect();
            let details = self
                .client
                .describe_event_details()
                .set_event_arns(Some(arns))
                .send()
                .await
                .map_err(classify)?;
            for detail in details.successful_set() {
                let (Some(arn), Some(text)) = (
                    detail.event().and_then(|e| e.arn()),
                    detail.event_description().and_then(|d| d.latest_description()),
                ) else {
                    continue;
                };
                if let Some(event) = batch.iter_mut().find(|e| e.arn == arn) {
                    event.description = Some(text.to_owned());
                }
            }
        }
        Ok(events)
    }
}
