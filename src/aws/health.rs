//! AWS Health: the `issue` events (open, upcoming and closed), then, for the
//! ones that changed, their latest description and the accounts they affect.
//! Health is a global service answered from us-east-1 (us-east-2 when it
//! fails over). With the organization
//! view it reads the whole organization (DescribeEventsForOrganization,
//! DescribeAffectedAccountsForOrganization,
//! DescribeEventDetailsForOrganization); without it, the bot's own account
//! (DescribeEvents, DescribeAffectedEntities, DescribeEventDetails).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use aws_sdk_health::types::{
    EntityFilter, EventAccountFilter, EventFilter, EventScopeCode, EventTypeCategory, OrganizationEventFilter,
};
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
    /// A public service event (everyone using the service in the region),
    /// rather than one about named accounts.
    pub public: bool,
    pub start: Option<OffsetDateTime>,
    pub end: Option<OffsetDateTime>,
    pub last_updated: Option<OffsetDateTime>,
    /// Filled by [`Health::complete`].
    pub description: Option<String>,
    /// Filled by [`Health::complete`]; empty for public events.
    pub affected_accounts: BTreeSet<String>,
}

#[async_trait]
pub trait Health: Send + Sync {
    /// The issue events, without descriptions or affected accounts (cheap:
    /// what the poller compares with what it has).
    async fn issues(&self) -> Result<Vec<HealthEvent>, AwsError>;

    /// Fills in the latest description and the affected accounts.
    async fn complete(&self, events: &mut [HealthEvent]) -> Result<(), AwsError>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct NoHealth;

#[async_trait]
impl Health for NoHealth {
    async fn issues(&self) -> Result<Vec<HealthEvent>, AwsError> {
        Err(AwsError::NotConfigured)
    }

    async fn complete(&self, _events: &mut [HealthEvent]) -> Result<(), AwsError> {
        Err(AwsError::NotConfigured)
    }
}

/// AWS Health's global endpoint is in us-east-1; when it fails over, the
/// active one is in us-east-2. A poll that cannot reach one tries the other,
/// and keeps using the one that answered.
pub struct SdkHealth {
    endpoints: [Endpoint; 2],
    active: AtomicUsize,
    organization_view: bool,
}

const REGIONS: [&str; 2] = ["us-east-1", "us-east-2"];

/// One regional endpoint of AWS Health.
struct Endpoint {
    client: aws_sdk_health::Client,
}

/// Pages of events read in one call, at most (100 events a page).
const MAX_PAGES: usize = 20;
/// The details and entity calls take at most 10 event ARNs.
const BATCH: usize = 10;

impl SdkHealth {
    pub fn new(base: &aws_config::SdkConfig, organization_view: bool) -> Self {
        let endpoint = |region: &'static str| Endpoint {
            client: aws_sdk_health::Client::from_conf(
                aws_sdk_health::config::Builder::from(base)
                    .region(aws_config::Region::new(region))
                    .build(),
            ),
        };
        Self {
            endpoints: REGIONS.map(endpoint),
            active: AtomicUsize::new(0),
            organization_view,
        }
    }

    /// Runs `call` on the active endpoint, and on the other one when the
    /// active one could not be reached or was busy.
    async fn with_failover<'a, T, F, Fut>(&'a self, call: F) -> Result<T, AwsError>
    where
        F: Fn(&'a Endpoint) -> Fut,
        Fut: std::future::Future<Output = Result<T, AwsError>>,
    {
        let first = self.active.load(Ordering::Relaxed);
        match call(&self.endpoints[first]).await {
            Err(AwsError::Transient(why)) => {
                let other = 1 - first;
                tracing::info!(failed = REGIONS[first], reason = %why, trying = REGIONS[other], "AWS Health endpoint failing over");
                let result = call(&self.endpoints[other]).await;
                if result.is_ok() {
                    self.active.store(other, Ordering::Relaxed);
                }
                result
            }
            result => result,
        }
    }
}

impl Endpoint {
    async fn account_issues(&self) -> Result<Vec<HealthEvent>, AwsError> {
        paged(|token| {
            let request = self
                .client
                .describe_events()
                .filter(
                    EventFilter::builder()
                        .event_type_categories(EventTypeCategory::Issue)
                        .build(),
                )
                .max_results(100)
                .set_next_token(token);
            async move {
                let page = request.send().await.map_err(classify)?;
                let events = page.events().iter().filter_map(|e| summary_of!(e));
                Ok((events.collect(), page.next_token().map(str::to_owned)))
            }
        })
        .await
    }

    async fn organization_issues(&self) -> Result<Vec<HealthEvent>, AwsError> {
        paged(|token| {
            let request = self
                .client
                .describe_events_for_organization()
                .filter(
                    OrganizationEventFilter::builder()
                        .event_type_categories(EventTypeCategory::Issue)
                        .build(),
                )
                .max_results(100)
                .set_next_token(token);
            async move {
                let page = request.send().await.map_err(classify)?;
                let events = page.events().iter().filter_map(|e| summary_of!(e));
                Ok((events.collect(), page.next_token().map(str::to_owned)))
            }
        })
        .await
    }

    async fn complete_account(&self, events: &mut [HealthEvent]) -> Result<(), AwsError> {
        for batch in events.chunks_mut(BATCH) {
            let arns: Vec<String> = batch.iter().map(|e| e.arn.clone()).collect();
            let details = self
                .client
                .describe_event_details()
                .set_event_arns(Some(arns.clone()))
                .send()
                .await
                .map_err(classify)?;
            for detail in details.successful_set() {
                set_description(batch, detail.event().and_then(|e| e.arn()), detail.event_description());
            }
            let filter = EntityFilter::builder()
                .set_event_arns(Some(arns))
                .build()
                .map_err(|e| AwsError::Rejected(e.to_string()))?;
            let entities = paged(|token| {
                let request = self
                    .client
                    .describe_affected_entities()
                    .filter(filter.clone())
                    .max_results(100)
                    .set_next_token(token);
                async move {
                    let page = request.send().await.map_err(classify)?;
                    let next = page.next_token().map(str::to_owned);
                    Ok((page.entities.unwrap_or_default(), next))
                }
            })
            .await?;
            for entity in entities {
                let (Some(arn), Some(account)) = (entity.event_arn(), entity.aws_account_id()) else {
                    continue;
                };
                if let Some(event) = batch.iter_mut().find(|e| e.arn == arn && !e.public) {
                    event.affected_accounts.insert(account.to_owned());
                }
            }
        }
        Ok(())
    }

    async fn complete_organization(&self, events: &mut [HealthEvent]) -> Result<(), AwsError> {
        for event in events.iter_mut() {
            let arn = event.arn.clone();
            let pages = paged(|token| {
                let request = self
                    .client
                    .describe_affected_accounts_for_organization()
                    .event_arn(&arn)
                    .max_results(100)
                    .set_next_token(token);
                async move {
                    let page = request.send().await.map_err(classify)?;
                    let next = page.next_token().map(str::to_owned);
                    let public = page.event_scope_code() == Some(&EventScopeCode::Public);
                    Ok((vec![(public, page.affected_accounts.unwrap_or_default())], next))
                }
            })
            .await?;
            for (public, accounts) in pages {
                event.public |= public;
                event.affected_accounts.extend(accounts);
            }
        }
        for batch in events.chunks_mut(BATCH) {
            // An account-specific event's details are read through one of the
            // accounts it affects; a public one's through none.
            let mut filters = Vec::with_capacity(batch.len());
            for event in batch.iter() {
                let filter = EventAccountFilter::builder()
                    .event_arn(&event.arn)
                    .set_aws_account_id(event.affected_accounts.iter().next().cloned())
                    .build()
                    .map_err(|e| AwsError::Rejected(e.to_string()))?;
                filters.push(filter);
            }
            let details = self
                .client
                .describe_event_details_for_organization()
                .set_organization_event_detail_filters(Some(filters))
                .send()
                .await
                .map_err(classify)?;
            for detail in details.successful_set() {
                set_description(batch, detail.event().and_then(|e| e.arn()), detail.event_description());
            }
        }
        Ok(())
    }
}

/// Reads up to [`MAX_PAGES`] pages: `fetch` takes a page's token and
/// returns its items and the next token.
async fn paged<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut items = Vec::new();
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let (page, next) = fetch(token.take()).await?;
        items.extend(page);
        match next {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => break,
        }
    }
    Ok(items)
}

fn timestamp(value: Option<&aws_smithy_types::DateTime>) -> Option<OffsetDateTime> {
    value.and_then(|t| OffsetDateTime::from_unix_timestamp(t.secs()).ok())
}

/// [`summary`] of an `Event` or an `OrganizationEvent` (the same accessors
/// on two types).
macro_rules! summary_of {
    ($e:expr) => {
        summary(
            $e.arn(),
            $e.service(),
            $e.event_type_code(),
            $e.region(),
            $e.status_code().map(|s| s.as_str()),
            $e.event_scope_code(),
            [$e.start_time(), $e.end_time(), $e.last_updated_time()],
        )
    };
}
use summary_of;

/// The fields both views share; `None` for an event without an ARN.
fn summary(
    arn: Option<&str>,
    service: Option<&str>,
    event_type_code: Option<&str>,
    region: Option<&str>,
    status: Option<&str>,
    scope: Option<&EventScopeCode>,
    [start, end, last_updated]: [Option<&aws_smithy_types::DateTime>; 3],
) -> Option<HealthEvent> {
    Some(HealthEvent {
        arn: arn?.to_owned(),
        service: service.unwrap_or_default().to_owned(),
        event_type_code: event_type_code.unwrap_or_default().to_owned(),
        region: region.unwrap_or_default().to_owned(),
        status: status.unwrap_or_default().to_owned(),
        public: scope == Some(&EventScopeCode::Public),
        start: timestamp(start),
        end: timestamp(end),
        last_updated: timestamp(last_updated),
        description: None,
        affected_accounts: BTreeSet::new(),
    })
}

fn set_description(
    batch: &mut [HealthEvent],
    arn: Option<&str>,
    description: Option<&aws_sdk_health::types::EventDescription>,
) {
    let (Some(arn), Some(text)) = (arn, description.and_then(|d| d.latest_description())) else {
        return;
    };
    if let Some(event) = batch.iter_mut().find(|e| e.arn == arn) {
        event.description = Some(text.to_owned());
    }
}

#[async_trait]
impl Health for SdkHealth {
    #[tracing::instrument(name = "aws.health_issues", skip_all, fields(organization = self.organization_view))]
    async fn issues(&self) -> Result<Vec<HealthEvent>, AwsError> {
        self.with_failover(|endpoint| async move {
            if self.organization_view {
                endpoint.organization_issues().await
            } else {
                endpoint.account_issues().await
            }
        })
        .await
    }

    #[tracing::instrument(name = "aws.health_complete", skip_all, fields(events = events.len()))]
    async fn complete(&self, events: &mut [HealthEvent]) -> Result<(), AwsError> {
        let original = events.to_vec();
        let completed = self
            .with_failover(|endpoint| {
                let mut copy = original.clone();
                async move {
                    if self.organization_view {
                        endpoint.complete_organization(&mut copy).await?;
                    } else {
                        endpoint.complete_account(&mut copy).await?;
                    }
                    Ok(copy)
                }
            })
            .await?;
        events.clone_from_slice(&completed);
        Ok(())
    }
}
