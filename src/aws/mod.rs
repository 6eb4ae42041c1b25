//! AWS, behind narrow traits sized to what the services need, with the SDK
//! implementations next to them. Clients use the SDK's standard chain for
//! credentials, region and endpoint (`AWS_PROFILE`, `AWS_REGION`,
//! `AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`...).

pub mod support;

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;

use crate::config::AwsConfig;

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
