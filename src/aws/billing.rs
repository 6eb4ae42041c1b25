//! Cost Explorer: daily costs by linked account and service, and the
//! forecast to the end of the month. Every request, and every page of one,
//! costs $0.01: callers go through the cache in `service::cost_cache`.

use async_trait::async_trait;
use aws_sdk_costexplorer::types::{
    DateInterval, Dimension, DimensionValues, Expression, Granularity, GroupDefinition, GroupDefinitionType, Metric,
};
use serde::{Deserialize, Serialize};
use time::Date;

use super::{AwsError, classify};
use crate::domain::AccountId;

/// One query, exactly: the cache is keyed by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CostQuery {
    /// First day, inclusive.
    pub start: Date,
    /// Last day, exclusive (Cost Explorer's convention).
    pub end: Date,
    /// Only these linked accounts; every account when empty.
    pub accounts: Vec<AccountId>,
    /// Cost Explorer's metric name, e.g. UnblendedCost.
    pub metric: String,
}

/// One amount of one day, one account, one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    pub date: Date,
    pub account: String,
    pub service: String,
    pub amount: f64,
}

/// What Cost Explorer answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    pub lines: Vec<CostLine>,
    pub unit: String,
    /// Days AWS still marks as estimated.
    pub estimated_days: Vec<Date>,
    /// Requests (pages) it took.
    pub requests: u32,
}

/// GetCostForecast's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    pub mean: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub unit: String,
}

#[async_trait]
pub trait Billing: Send + Sync {
    async fn cost_and_usage(&self, query: &CostQuery) -> Result<CostReport, AwsError>;
    /// The forecast from `query.start` (today) to `query.end`.
    async fn forecast(&self, query: &CostQuery) -> Result<Forecast, AwsError>;
}

/// Used when AWS is not configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBilling;

#[async_trait]
impl Billing for NoBilling {
    async fn cost_and_usage(&self, _: &CostQuery) -> Result<CostReport, AwsError> {
        Err(AwsError::NotConfigured)
    }
    async fn forecast(&self, _: &CostQuery) -> Result<Forecast, AwsError> {
        Err(AwsError::NotConfigured)
    }
}

pub struct SdkBilling {
    client: aws_sdk_costexplorer::Client,
}

/// Cost Explorer is answered from us-east-1.
const COST_EXPLORER_REGION: &str = "us-east-1";
/// A bound on pages, so that a runaway pagination cannot run up a bill.
const MAX_PAGES: u32 = 20;

impl SdkBilling {
    pub fn new(base: &aws_config::SdkConfig) -> Self {
        let config = aws_sdk_costexplorer::config::Builder::from(base)
            .region(aws_config::Region::new(COST_EXPLORER_REGION))
            .build();
        Self {
            client: aws_sdk_costexplorer::Client::from_conf(config),
        }
    }
}

fn interval(query: &CostQuery) -> Result<DateInterval, AwsError> {
    DateInterval::builder()
        .start(query.start.to_string())
        .end(query.end.to_string())
        .build()
        .map_err(|e| AwsError::Rejected(e.to_string()))
}

fn account_filter(query: &CostQuery) -> Result<Option<Expression>, AwsError> {
    if query.accounts.is_empty() {
        return Ok(None);
    }
    let values = DimensionValues::builder()
        .key(Dimension::LinkedAccount)
        .set_values(Some(query.accounts.iter().map(|a| a.as_str().to_owned()).collect()))
        .build();
    Ok(Some(Expression::builder().dimensions(values).build()))
}

fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

fn metric_enum(metric: &str) -> Metric {
    // GetCostAndUsage takes "UnblendedCost"; GetCostForecast takes "UNBLENDED_COST".
    let mut upper = String::new();
    for (i, c) in metric.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            upper.push('_');
        }
        upper.push(c.to_ascii_uppercase());
    }
    Metric::from(upper.as_str())
}

#[async_trait]
impl Billing for SdkBilling {
    #[tracing::instrument(name = "aws.get_cost_and_usage", skip_all, fields(start = %query.start, end = %query.end, accounts = query.accounts.len()))]
    async fn cost_and_usage(&self, query: &CostQuery) -> Result<CostReport, AwsError> {
        let mut report = CostReport {
            lines: Vec::new(),
            unit: "USD".to_owned(),
            estimated_days: Vec::new(),
            requests: 0,
        };
        let mut token: Option<String> = None;
        loop {
            let output = self
                .client
                .get_cost_and_usage()
                .time_period(interval(query)?)
                .granularity(Granularity::Daily)
                .metrics(&query.metric)
                .set_filter(account_filter(query)?)
                .group_by(
                    GroupDefinition::builder()
                        .r#type(GroupDefinitionType::Dimension)
                        .key("LINKED_ACCOUNT")
                        .build(),
                )
                .group_by(
                    GroupDefinition::builder()
                        .r#type(GroupDefinitionType::Dimension)
                        .key("SERVICE")
                        .build(),
                )
                .set_next_page_token(token.clone())
                .send()
                .await
                .map_err(classify)?;
            report.requests += 1;
            tracing::info!(request = report.requests, "Cost Explorer request ($0.01)");
            for day in output.results_by_time() {
                let Some(date) = day.time_period().and_then(|p| parse_date(p.start())) else {
                    continue;
                };
                if day.estimated() {
                    report.estimated_days.push(date);
                }
                for group in day.groups() {
                    let keys = group.keys();
                    let Some(value) = group.metrics().and_then(|m| m.get(&query.metric)) else {
                        continue;
                    };
                    let amount = value.amount().and_then(|a| a.parse::<f64>().ok()).unwrap_or(0.0);
                    if let Some(unit) = value.unit() {
                        report.unit = unit.to_owned();
                    }
                    report.lines.push(CostLine {
                        date,
                        account: keys.first().cloned().unwrap_or_default(),
                        service: keys.get(1).cloned().unwrap_or_else(|| "Other".to_owned()),
                        amount,
                    });
                }
            }
            match output.next_page_token() {
                Some(next) if !next.is_empty() && report.requests < MAX_PAGES => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(report)
    }

    #[tracing::instrument(name = "aws.get_cost_forecast", skip_all, fields(start = %query.start, end = %query.end))]
    async fn forecast(&self, query: &CostQuery) -> Result<Forecast, AwsError> {
        let output = self
            .client
            .get_cost_forecast()
            .time_period(interval(query)?)
            .metric(metric_enum(&query.metric))
            .granularity(Granularity::Monthly)
            .prediction_interval_level(80)
            .set_filter(account_filter(query)?)
            .send()
            .await
            .map_err(classify)?;
        tracing::info!("Cost Explorer request ($0.01)");
        let total = output
            .total()
            .ok_or_else(|| AwsError::Rejected("the forecast has no total".to_owned()))?;
        let mean = total
            .amount()
            .and_then(|a| a.parse::<f64>().ok())
            .ok_or_else(|| AwsError::Rejected("the forecast total is not a number".to_owned()))?;
        let bounds = |f: fn(&aws_sdk_costexplorer::types::ForecastResult) -> Option<&str>| -> Option<f64> {
            let values: Vec<f64> = output
                .forecast_results_by_time()
                .iter()
                .filter_map(|r| f(r).and_then(|v| v.parse().ok()))
                .collect();
            (!values.is_empty()).then(|| values.iter().sum())
        };
        Ok(Forecast {
            mean,
            low: bounds(|r| r.prediction_interval_lower_bound()),
            high: bounds(|r| r.prediction_interval_upper_bound()),
            unit: total.unit().unwrap_or("USD").to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_are_translated_for_the_forecast() {
        assert_eq!(metric_enum("UnblendedCost"), Metric::UnblendedCost);
        assert_eq!(metric_enum("AmortizedCost"), Metric::AmortizedCost);
    }
}
