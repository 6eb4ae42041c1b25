//! "Is account X covered?": an account is covered by platform-level support
//! when it is an ACTIVE member of the organization and carries the configured
//! "optimized" tag; otherwise it is out of scope, as the policy says. Answers
//! go through the cache, and only to those who may see the account.

use std::sync::Arc;

use crate::access::{Directory, Scope};
use crate::aws::accounts::{Accounts, OrgAccount};
use crate::config::SpendConfig;
use crate::domain::AccountId;
use crate::inbound::Actor;
use crate::service::cost_cache::{CacheError, CostCache};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Covered {
        name: String,
    },
    NotMember,
    NotActive {
        name: String,
        status: String,
    },
    NotOptimized {
        name: String,
    },
    /// Not known here: AWS unavailable, or not the asker's to know.
    Unknown {
        reason: String,
    },
}

pub struct CoverageService {
    accounts: Arc<dyn Accounts>,
    cache: Arc<CostCache>,
    directory: Arc<Directory>,
    config: SpendConfig,
}

impl CoverageService {
    pub fn new(
        accounts: Arc<dyn Accounts>,
        cache: Arc<CostCache>,
        directory: Arc<Directory>,
        config: SpendConfig,
    ) -> Self {
        Self {
            accounts,
            cache,
            directory,
            config,
        }
    }

    #[tracing::instrument(name = "coverage", skip_all, fields(account = %account))]
    pub async fn check(&self, actor: &Actor, account: &AccountId) -> Coverage {
        let allowed = match self.directory.scope_of(actor) {
            Scope::Everyone => true,
            Scope::Customer(customer) => customer.account_ids.contains(account),
            Scope::Nobody => false,
        };
        if !allowed {
            return Coverage::Unknown {
                reason: "I can only check accounts that belong to you".to_owned(),
            };
        }
        let accounts = self.accounts.clone();
        let listed = self
            .cache
            .get_or_fetch("organizations:ListAccounts", &"all", || async move {
                let list: Vec<OrgAccount> = accounts.list_accounts().await?;
                Ok((list, 1))
            })
            .await;
        let list = match listed {
            Ok(cached) => cached.value,
            Err(error) => return unknown(error),
        };
        let Some(member) = list.into_iter().find(|a| a.id == account.as_str()) else {
            return Coverage::NotMember;
        };
        if member.status != "ACTIVE" {
            return Coverage::NotActive {
                name: member.name,
                status: member.status,
            };
        }
        let accounts = self.accounts.clone();
        let id = account.clone();
        let tags = self
            .cache
            .get_or_fetch("organizations:ListTagsForResource", account, || async move {
                Ok((accounts.tags(&id).await?, 1))
            })
            .await;
        match tags {
            Ok(cached) => {
                let optimized = cached.value.iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case(&self.config.optimized_tag_key)
                        && v.eq_ignore_ascii_case(&self.config.optimized_tag_value)
                });
                if optimized {
                    Coverage::Covered { name: member.name }
                } else {
                    Coverage::NotOptimized { name: member.name }
                }
            }
            Err(error) => unknown(error),
        }
    }
}

fn unknown(error: CacheError) -> Coverage {
    tracing::warn!(%error, "account coverage unknown");
    Coverage::Unknown {
        reason: match error {
            CacheError::Aws(crate::aws::AwsError::NotConfigured) => {
                "AWS is not connected in this deployment".to_owned()
            }
            CacheError::Aws(error) => format!("AWS Organizations did not answer ({error})"),
            CacheError::Store(_) => "an internal error".to_owned(),
        },
    }
}
