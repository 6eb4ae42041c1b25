//! AWS Organizations: the member accounts' names and states, and their tags
//! (an account is covered when it is ACTIVE and carries the "optimized" tag).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{AwsError, classify};
use crate::domain::AccountId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    /// ACTIVE, SUSPENDED or PENDING_CLOSURE.
    pub status: String,
}

#[async_trait]
pub trait Accounts: Send + Sync {
    async fn list_accounts(&self) -> Result<Vec<OrgAccount>, AwsError>;
    async fn tags(&self, account: &AccountId) -> Result<Vec<(String, String)>, AwsError>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct NoAccounts;

#[async_trait]
impl Accounts for NoAccounts {
    async fn list_accounts(&self) -> Result<Vec<OrgAccount>, AwsError> {
        Err(AwsError::NotConfigured)
    }
    async fn tags(&self, _: &AccountId) -> Result<Vec<(String, String)>, AwsError> {
        Err(AwsError::NotConfigured)
    }
}

pub struct SdkAccounts {
    client: aws_sdk_organizations::Client,
}

impl SdkAccounts {
    pub fn new(base: &aws_config::SdkConfig) -> Self {
        // Organizations is a global service answered from us-east-1.
        let config = aws_sdk_organizations::config::Builder::from(base)
            .region(aws_config::Region::new("us-east-1"))
            .build();
        Self {
            client: aws_sdk_organizations::Client::from_conf(config),
        }
    }
}

#[async_trait]
impl Accounts for SdkAccounts {
    #[tracing::instrument(name = "aws.list_accounts", skip_all)]
    async fn list_accounts(&self) -> Result<Vec<OrgAccount>, AwsError> {
        let mut accounts = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..100 {
            let output = self
                .client
                .list_accounts()
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(classify)?;
            accounts.extend(output.accounts().iter().filter_map(|a| {
                Some(OrgAccount {
                    id: a.id()?.to_owned(),
                    name: a.name().unwrap_or_default().to_owned(),
                    status: a.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                })
            }));
            match output.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(accounts)
    }

    #[tracing::instrument(name = "aws.list_tags_for_resource", skip_all, fields(account = %account))]
    async fn tags(&self, account: &AccountId) -> Result<Vec<(String, String)>, AwsError> {
        let output = self
            .client
            .list_tags_for_resource()
            .resource_id(account.as_str())
            .send()
            .await
            .map_err(classify)?;
        Ok(output
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect())
    }
}
