//! What each account's AWS support plan allows: which severities its cases
//! may have (DescribeSeverityLevels, asked in the account through the
//! assumed role), or no Support API at all (SubscriptionRequiredException:
//! Basic and Developer plans). Kept per account for a while, since plans
//! change rarely (and only with the account's root credentials).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::aws::support::{CaseError, SupportCases};
use crate::domain::{AccountId, Severity};

/// How long a reply waits for an account's plan.
const ASK_WITHIN: Duration = Duration::from_secs(3);

/// How long an account's plan is trusted before it is asked again.
pub const PLAN_TTL: Duration = Duration::from_secs(6 * 3600);

/// An account's support plan, as far as cases are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The severities AWS offers this account, lowest first.
    Severities(Vec<Severity>),
    /// No Support API (Basic or Developer support): no case can be opened
    /// through it.
    NoSupportApi,
}

/// A severity asked for, against what the plan allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// The plan offers it.
    AsAsked(Severity),
    /// The plan does not: the highest severity it offers below the one
    /// asked for.
    Capped { asked: Severity, to: Severity },
    /// The plan has no Support API.
    NoSupportApi,
}

impl Plan {
    /// What the plan makes of a severity asked for.
    pub fn allow(&self, asked: Severity) -> Allowed {
        let Plan::Severities(offered) = self else {
            return Allowed::NoSupportApi;
        };
        if offered.is_empty() || offered.contains(&asked) {
            return Allowed::AsAsked(asked);
        }
        let below = offered.iter().copied().filter(|s| *s < asked).max();
        match below.or_else(|| offered.iter().copied().min()) {
            Some(to) => Allowed::Capped { asked, to },
            None => Allowed::AsAsked(asked),
        }
    }

    /// The severities a form may offer: the plan's, or all when it has no
    /// Support API (the ticket is logged for the provider either way).
    pub fn offered(&self) -> Vec<Severity> {
        match self {
            Plan::Severities(offered) if !offered.is_empty() => offered.clone(),
            _ => Severity::ALL.to_vec(),
        }
    }

    /// The plan in words, for engineers.
    pub fn describe(&self) -> String {
        match self {
            Plan::NoSupportApi => {
                "no AWS Support API (Basic or Developer support): cases cannot be opened from here".to_owned()
            }
            Plan::Severities(offered) => {
                let codes: Vec<&str> = offered.iter().map(|s| s.code()).collect();
                let critical = if offered.contains(&Severity::Critical) {
                    ""
                } else {
                    " (no critical: that needs Enterprise On-Ramp or Enterprise support)"
                };
                format!("cases of severity {}{critical}", codes.join(", "))
            }
        }
    }
}

/// After AWS could not say an account's plan, it is not asked again for
/// this long (each ask would make every engineer's `/ticket show` wait).
pub const FAILURE_TTL: Duration = Duration::from_secs(600);

/// The support plans of the accounts the desk opens cases in, asked of AWS
/// once per [`PLAN_TTL`] per account; a failure is kept for [`FAILURE_TTL`].
pub struct SupportPlans {
    cases: Arc<dyn SupportCases>,
    known: Mutex<HashMap<Option<AccountId>, (Instant, Plan)>>,
    failed: Mutex<HashMap<Option<AccountId>, (Instant, String)>>,
}

impl SupportPlans {
    pub fn new(cases: Arc<dyn SupportCases>) -> Self {
        Self {
            cases,
            known: Mutex::new(HashMap::new()),
            failed: Mutex::new(HashMap::new()),
        }
    }

    /// The plan of `account` (None: the bot's own) if it is known and fresh,
    /// without asking AWS.
    pub async fn known(&self, account: Option<&AccountId>) -> Option<Plan> {
        let known = self.known.lock().await;
        known
            .get(&account.cloned())
            .filter(|(at, _)| at.elapsed() < PLAN_TTL)
            .map(|(_, plan)| plan.clone())
    }

    /// The plan of `account` for a reply that cannot wait long: asked of
    /// AWS within [`ASK_WITHIN`] when not known; None when AWS did not say.
    pub async fn plan_within(&self, account: Option<&AccountId>) -> Option<Plan> {
        match tokio::time::timeout(ASK_WITHIN, self.plan(account)).await {
            Ok(Ok(plan)) => Some(plan),
            Ok(Err(error)) => {
                tracing::debug!(%error, "the account's support plan is not known");
                None
            }
            Err(_) => None,
        }
    }

    /// The plan of `account`, asking AWS when it is not known or stale.
    #[tracing::instrument(name = "support_plan", skip(self), fields(account = account.map(AccountId::as_str)))]
    pub async fn plan(&self, account: Option<&AccountId>) -> Result<Plan, CaseError> {
        if let Some(plan) = self.known(account).await {
            return Ok(plan);
        }
        if let Some((at, error)) = self.failed.lock().await.get(&account.cloned())
            && at.elapsed() < FAILURE_TTL
        {
            return Err(CaseError::Transient(format!("not asked again yet: {error}")));
        }
        let plan = match self.cases.severity_levels(account).await {
            Ok(mut offered) => {
                offered.sort();
                offered.dedup();
                Plan::Severities(offered)
            }
            Err(CaseError::SubscriptionRequired) => Plan::NoSupportApi,
            Err(CaseError::NotConfigured) => return Err(CaseError::NotConfigured),
            Err(error) => {
                self.failed
                    .lock()
                    .await
                    .insert(account.cloned(), (Instant::now(), error.to_string()));
                return Err(error);
            }
        };
        self.known
            .lock()
            .await
            .insert(account.cloned(), (Instant::now(), plan.clone()));
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUSINESS: [Severity; 4] = [Severity::Low, Severity::Normal, Severity::High, Severity::Urgent];

    #[test]
    fn a_severity_the_plan_lacks_is_capped_to_the_highest_below_it() {
        let business = Plan::Severities(BUSINESS.to_vec());
        assert_eq!(
            business.allow(Severity::Critical),
            Allowed::Capped {
                asked: Severity::Critical,
                to: Severity::Urgent
            }
        );
        assert_eq!(business.allow(Severity::High), Allowed::AsAsked(Severity::High));
        let odd = Plan::Severities(vec![Severity::High]);
        assert_eq!(
            odd.allow(Severity::Low),
            Allowed::Capped {
                asked: Severity::Low,
                to: Severity::High
            },
            "nothing below: the lowest offered"
        );
        assert_eq!(Plan::NoSupportApi.allow(Severity::Low), Allowed::NoSupportApi);
        assert_eq!(
            Plan::Severities(vec![]).allow(Severity::Critical),
            Allowed::AsAsked(Severity::Critical)
        );
    }

    #[test]
    fn plans_are_described_for_engineers() {
        assert!(Plan::Severities(BUSINESS.to_vec()).describe().contains("no critical"));
        assert!(
            !Plan::Severities(Severity::ALL.to_vec())
                .describe()
                .contains("no critical")
        );
        assert!(Plan::NoSupportApi.describe().contains("Basic or Developer"));
        assert_eq!(Plan::NoSupportApi.offered(), Severity::ALL.to_vec());
    }
}
