//! AWS, behind narrow traits sized to what the services need, with the SDK
//! implementations next to them. Clients use the SDK's standard chain for
//! credentials, region and endpoint (`AWS_PROFILE`, `AWS_REGION`,
//! `AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`...).

pub mod accounts;
pub mod billing;
pub mod health;
pub mod support;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::config::{AwsConfig, OutagesConfig};

/// The AWS implementations the services use.
#[derive(Clone)]
pub struct AwsServices {
    pub cases: std::sync::Arc<dyn support::SupportCases>,
    pub billing: std::sync::Arc<dyn billing::Billing>,
    pub accounts: std::sync::Arc<dyn accounts::Accounts>,
    pub health: std::sync::Arc<dyn health::Health>,
}

impl AwsServices {
    /// The SDK implementations when AWS is configured; otherwise ones that
    /// answer "AWS is not configured" without touching the network.
    pub async fn from_config(config: &AwsConfig, outages: &OutagesConfig) -> Self {
        if !config.is_enabled() {
            return Self::unconfigured();
        }
        let sdk = load_sdk_config(config).await;
        Self {
            cases: std::sync::Arc::new(support::SdkSupportCases::new(
                sdk.clone(),
                &config.support_region,
                &config.member_role_name,
            )),
            billing: std::sync::Arc::new(billing::SdkBilling::new(&sdk)),
            accounts: std::sync::Arc::new(accounts::SdkAccounts::new(&sdk)),
            health: if outages.health_enabled {
                std::sync::Arc::new(health::SdkHealth::new(&sdk, outages.organization_view))
            } else {
                std::sync::Arc::new(health::NoHealth)
            },
        }
    }

    pub fn unconfigured() -> Self {
        Self {
            cases: std::sync::Arc::new(support::NoSupport),
            billing: std::sync::Arc::new(billing::NoBilling),
            accounts: std::sync::Arc::new(accounts::NoAccounts),
            health: std::sync::Arc::new(health::NoHealth),
        }
    }

    /// AWS Support only (the other APIs unconfigured).
    pub fn with_cases(cases: std::sync::Arc<dyn support::SupportCases>) -> Self {
        Self {
            cases,
            ..Self::unconfigured()
        }
    }
}

/// Loads the SDK's shared configuration once: the standard chain, the
/// configured fallback region, and a bound on every call.
pub async fn load_sdk_config(config: &AwsConfig) -> aws_config::SdkConfig {
    let timeout = Duration::from_secs(config.call_timeout_seconds);
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            .operation_attempt_timeout(timeout)
            .operation_timeout(timeout)
            .build(),
    );
    if let Some(region) = &config.region {
        let fallback = aws_config::meta::region::RegionProviderChain::default_provider()
            .or_else(aws_config::Region::new(region.clone()));
        loader = loader.region(fallback);
    }
    loader.load().await
}

/// Why an AWS call failed, sorted by what the bot should do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// No AWS in this deployment.
    #[error("AWS is not configured for this deployment")]
    NotConfigured,
    /// The network, a timeout, throttling, a 5xx or credentials that may be
    /// refreshed: try again later.
    #[error("AWS could not be reached or was busy: {0}")]
    Transient(String),
    /// The account has no Business, Enterprise On-Ramp or Enterprise support
    /// plan: retrying will not help.
    #[error("the account has no AWS support plan (Business, Enterprise On-Ramp or Enterprise) that this API needs")]
    SubscriptionRequired,
    /// AWS refused the request for good (validation, permissions, data not
    /// available, unknown case).
    #[error("AWS refused the request: {0}")]
    Rejected(String),
}

impl AwsError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, AwsError::NotConfigured | AwsError::Transient(_))
    }
}

/// Sorts an SDK error into an [`AwsError`].
pub(crate) fn classify<E, R>(error: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HttpStatus,
    SdkError<E, R>: std::error::Error + 'static,
{
    let described = crate::error::cause_chain(&error);
    match &error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            let status = service.raw().status_code();
            let message = service.err().message().unwrap_or(code).to_owned();
            match code {
                "SubscriptionRequiredException" => AwsError::SubscriptionRequired,
                "ThrottlingException"
                | "Throttling"
                | "TooManyRequestsException"
                | "RequestLimitExceeded"
                | "LimitExceededException"
                | "CaseCreationLimitExceeded"
                | "ExpiredToken"
                | "ExpiredTokenException"
                | "RequestExpired" => AwsError::Transient(format!("{code}: {message}")),
                _ if status >= 500 || status == 429 => AwsError::Transient(format!("HTTP {status} {code}: {message}")),
                _ => AwsError::Rejected(format!("{code}: {message}")),
            }
        }
        SdkError::ResponseError(response) if response.raw().status_code() >= 500 => AwsError::Transient(described),
        SdkError::ResponseError(_) => AwsError::Rejected(described),
        // Timeouts, dispatch failures (network, credentials) and requests that
        // could not be built (no credentials yet) may all succeed later.
        _ => AwsError::Transient(described),
    }
}

/// The HTTP status of a raw response, whatever its type.
pub(crate) trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}
