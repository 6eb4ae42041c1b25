//! Small value types shared by intents, services and the store.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Who is asking, as far as permissions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Customer,
    Engineer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Engineer => "engineer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// AWS Support's severity levels, in increasing order of urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Normal,
    High,
    Urgent,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Low,
        Severity::Normal,
        Severity::High,
        Severity::Urgent,
        Severity::Critical,
    ];

    /// AWS's severity code, as the Support API takes it.
    pub const fn code(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Normal => "normal",
            Severity::High => "high",
            Severity::Urgent => "urgent",
            Severity::Critical => "critical",
        }
    }

    /// What the level means, in AWS's words.
    pub fn meaning(self) -> &'static str {
        match self {
            Severity::Low => "general guidance",
            Severity::Normal => "system impaired",
            Severity::High => "production system impaired",
            Severity::Urgent => "production system down",
            Severity::Critical => "business-critical system down",
        }
    }

    /// AWS's first-response target for the level.
    pub fn response_target(self) -> &'static str {
        match self {
            Severity::Low => "24 hours",
            Severity::Normal => "12 hours",
            Severity::High => "4 hours",
            Severity::Urgent => "1 hour",
            Severity::Critical => "15 minutes (30 on Enterprise On-Ramp)",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a severity")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Severity::ALL
            .into_iter()
            .find(|level| level.code().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownSeverity(s.to_owned()))
    }
}

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an AWS account id is exactly 12 digits")]
pub struct InvalidAccountId;

impl AccountId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccountId {
    type Err = InvalidAccountId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: String = s.trim().chars().filter(|c| *c != '-' && *c != ' ').collect();
        if digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(InvalidAccountId)
        }
    }
}

impl TryFrom<String> for AccountId {
    type Error = InvalidAccountId;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<AccountId> for String {
    fn from(value: AccountId) -> Self {
        value.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_parse_case_insensitively_and_reject_others() {
        assert_eq!("URGENT".parse::<Severity>(), Ok(Severity::Urgent));
        assert_eq!(" low ".parse::<Severity>(), Ok(Severity::Low));
        assert!("extreme".parse::<Severity>().is_err());
    }

    #[test]
    fn severities_are_ordered_by_urgency() {
        assert!(Severity::Critical > Severity::Urgent && Severity::Normal > Severity::Low);
    }

    #[test]
    fn account_ids_are_twelve_digits_with_optional_dashes() {
        assert_eq!("1234-5678-9012".parse::<AccountId>().unwrap().as_str(), "123456789012");
        assert!("12345678901".parse::<AccountId>().is_err());
        assert!("12345678901a".parse::<AccountId>().is_err());
        assert!("1234567890123".parse::<AccountId>().is_err());
    }
}
