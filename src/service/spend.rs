//! Month-to-date spend and month-end estimates from Cost Explorer, for the
//! asker's own accounts only, through the cache (every request costs $0.01).
//! Where the forecast is unavailable the estimate falls back to the daily
//! run-rate, and says which method produced it.

use std::collections::BTreeMap;
use std::sync::Arc;

use time::{Date, Month};

use crate::access::{Directory, Scope};
use crate::aws::AwsError;
use crate::aws::accounts::{Accounts, OrgAccount};
use crate::aws::billing::{Billing, CostQuery, CostReport, Forecast};
use crate::clock::Clock;
use crate::config::SpendConfig;
use crate::domain::{AccountId, Role};
use crate::error::{ServiceError, UserError};
use crate::inbound::Actor;
use crate::intent::SpendRequest;
use crate::reply::{Attachment, Embed, Reply, colour};
use crate::service::cost_cache::{CacheError, Cached, CostCache};

pub struct SpendService {
    billing: Arc<dyn Billing>,
    accounts: Arc<dyn Accounts>,
    cache: Arc<CostCache>,
    directory: Arc<Directory>,
    clock: Arc<dyn Clock>,
    config: SpendConfig,
    charts: ChartCache,
}

/// The period a month-to-date answer covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Date,
    /// Exclusive.
    pub end: Date,
    /// True on the first of a month: no complete day yet, so the period is
    /// the whole previous month.
    pub previous_month: bool,
}

pub fn first_of_month(day: Date) -> Date {
    day.replace_day(1).expect("every month has a first day")
}

pub fn first_of_next_month(day: Date) -> Date {
    let first = first_of_month(day);
    let (year, month) = match first.month() {
        Month::December => (first.year() + 1, Month::January),
        month => (first.year(), month.next()),
    };
    Date::from_calendar_date(year, month, 1).expect("the first of a month exists")
}

pub fn days_in_month(day: Date) -> i64 {
    (first_of_next_month(day) - first_of_month(day)).whole_days()
}

/// Month to date, as Cost Explorer needs it: from the first (inclusive) to
/// today (exclusive); on the first itself, the whole previous month.
pub fn month_to_date(today: Date) -> Period {
    let first = first_of_month(today);
    if today == first {
        let previous_first = first_of_month(first.previous_day().expect("dates before 2026 exist"));
        Period {
            start: previous_first,
            end: first,
            previous_month: true,
        }
    } else {
        Period {
            start: first,
            end: today,
            previous_month: false,
        }
    }
}

/// `1234.5` → `1,234.50 USD`.
pub fn money(amount: f64, unit: &str) -> String {
    let cents = (amount * 100.0).round() as i64;
    let (sign, cents) = if cents < 0 { ("-", -cents) } else { ("", cents) };
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}.{:02} {unit}", cents % 100)
}

/// Totals of a report, by account, service and day.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    pub total: f64,
    pub unit: String,
    pub by_account: Vec<(String, f64)>,
    pub by_service: Vec<(String, f64)>,
    pub by_day: Vec<(Date, f64)>,
    pub estimated: bool,
}

pub fn breakdown(report: &CostReport) -> Breakdown {
    let mut by_account: BTreeMap<&str, f64> = BTreeMap::new();
    let mut by_service: BTreeMap<&str, f64> = BTreeMap::new();
    let mut by_day: BTreeMap<Date, f64> = BTreeMap::new();
    for line in &report.lines {
        *by_account.entry(&line.account).or_default() += line.amount;
        *by_service.entry(&line.service).or_default() += line.amount;
        *by_day.entry(line.date).or_default() += line.amount;
    }
    let sorted = |map: BTreeMap<&str, f64>| {
        let mut v: Vec<(String, f64)> = map.into_iter().map(|(k, a)| (k.to_owned(), a)).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    };
    Breakdown {
        total: report.lines.iter().map(|l| l.amount).sum(),
        unit: report.unit.clone(),
        by_account: sorted(by_account),
        by_service: sorted(by_service),
        by_day: by_day.into_iter().collect(),
        estimated: !report.estimated_days.is_empty(),
    }
}

/// How a month-end estimate was made.
#[derive(Debug, Clone, PartialEq)]
pub enum EstimateMethod {
    Forecast { low: Option<f64>, high: Option<f64> },
    RunRate { reason: String },
}

pub struct SpendOutcome {
    pub reply: Reply,
}

const TOP: usize = 5;
/// Cost Explorer's API name in the request log.
const COST_AND_USAGE: &str = "ce:GetCostAndUsage";
const FORECAST: &str = "ce:GetCostForecast";
const LIST_ACCOUNTS: &str = "organizations:ListAccounts";

impl SpendService {
    pub fn new(
        billing: Arc<dyn Billing>,
        accounts: Arc<dyn Accounts>,
        cache: Arc<CostCache>,
        directory: Arc<Directory>,
        clock: Arc<dyn Clock>,
        config: SpendConfig,
    ) -> Self {
        Self {
            billing,
            accounts,
            cache,
            directory,
            clock,
            config,
            charts: ChartCache::default(),
        }
    }

    /// Whose accounts the asker may see, narrowed by the request.
    fn accounts_for(&self, actor: &Actor, request: &SpendRequest) -> Result<(Vec<AccountId>, String), ServiceError> {
        match self.directory.scope_of(actor) {
            Scope::Nobody => Err(UserError::NotACustomer.into()),
            Scope::Customer(customer) => {
                if customer.account_ids.is_empty() {
                    return Err(UserError::NothingToChange(format!(
                        "No AWS accounts are registered for {} yet; an engineer can add them.",
                        customer.name
                    ))
                    .into());
                }
                let elsewhere = || UserError::OtherCustomersHere(customer.name.clone());
                if request.customer.as_deref().is_some_and(|c| c != customer.name) {
                    return Err(if actor.role == Role::Engineer {
                        elsewhere()
                    } else {
                        UserError::EngineersOnly("look at other customers' spend")
                    }
                    .into());
                }
                match &request.account {
                    Some(account) if !customer.account_ids.contains(account) => Err(if actor.role == Role::Engineer {
                        elsewhere()
                    } else {
                        UserError::AccountNotYours(account.to_string())
                    }
                    .into()),
                    Some(account) => Ok((vec![account.clone()], format!("account {account}"))),
                    None => Ok((customer.account_ids.clone(), customer.name.clone())),
                }
            }
            Scope::Everyone => match (&request.account, &request.customer) {
                (Some(account), _) => Ok((vec![account.clone()], format!("account {account}"))),
                (None, Some(name)) => match self.directory.customer(name) {
                    Some(customer) if !customer.account_ids.is_empty() => {
                        Ok((customer.account_ids.clone(), customer.name.clone()))
                    }
                    Some(customer) => Err(UserError::NothingToChange(format!(
                        "No AWS accounts are registered for {} yet.",
                        customer.name
                    ))
                    .into()),
                    None => {
                        let names: Vec<&str> = self.directory.customers().iter().map(|c| c.name.as_str()).collect();
                        Err(UserError::NothingToChange(format!(
                            "I don't know the customer \"{}\". The customers are: {}.",
                            crate::reply::quote_user_text(name, 40),
                            if names.is_empty() {
                                "none configured".to_owned()
                            } else {
                                names.join(", ")
                            }
                        ))
                        .into())
                    }
                },
                (None, None) => Ok((Vec::new(), "all accounts".to_owned())),
            },
        }
    }

    async fn costs(&self, period: Period, accounts: &[AccountId]) -> Result<Cached<CostReport>, ServiceError> {
        let query = CostQuery {
            start: period.start,
            end: period.end,
            accounts: accounts.to_vec(),
            metric: self.config.metric.clone(),
        };
        let billing = self.billing.clone();
        let fetch_query = query.clone();
        self.cache
            .get_or_fetch(COST_AND_USAGE, &query, || async move {
                let report = billing.cost_and_usage(&fetch_query).await?;
                let pages = report.requests.max(1);
                Ok((report, pages))
            })
            .await
            .map_err(|e| aws_failure(e, "Cost Explorer"))
    }

    async fn account_names(&self) -> BTreeMap<String, String> {
        let accounts = self.accounts.clone();
        let listed = self
            .cache
            .get_or_fetch(LIST_ACCOUNTS, &"all", || async move {
                let list: Vec<OrgAccount> = accounts.list_accounts().await?;
                Ok((list, 1))
            })
            .await;
        match listed {
            Ok(cached) => cached.value.into_iter().map(|a| (a.id, a.name)).collect(),
            Err(error) => {
                tracing::info!(%error, "account names unavailable; showing ids");
                BTreeMap::new()
            }
        }
    }

    #[tracing::instrument(name = "spend", skip_all, fields(role = %actor.role))]
    pub async fn month_to_date(&self, actor: &Actor, request: &SpendRequest) -> Result<SpendOutcome, ServiceError> {
        let (accounts, whose) = self.accounts_for(actor, request)?;
        let today = self.clock.now().date();
        let period = month_to_date(today);
        let costs = self.costs(period, &accounts).await?;
        let names = self.account_names().await;
        let b = breakdown(&costs.value);

        let title = if period.previous_month {
            format!("💰 {} closed at {}", month_name(period.start), money(b.total, &b.unit))
        } else {
            format!("💰 Spent so far this month: {}", money(b.total, &b.unit))
        };
        let mut description = format!("{} · {}", whose, period_words(period));
        if period.previous_month {
            description.push_str("\nToday is the first of the month: there is no complete day of this month yet, so this is last month's closing figure.");
        }
        if b.estimated {
            description.push_str("\nThe latest days are still estimated by AWS and may be revised.");
        }
        let mut embed = Embed::new(title.clone(), colour::INFO).description(description);
        embed = self.add_breakdown(embed, &b, &names);
        embed = embed.footer(self.footer(actor, &costs.fetched_at, costs.from_cache).await);
        let chart_title = format!("Spend, {} ({})", month_name(period.start), b.unit);
        let reply = self
            .with_chart(embed, "spend.png", &chart_title, &b.by_day, None, &b.unit)
            .await;
        Ok(SpendOutcome { reply })
    }

    #[tracing::instrument(name = "estimate", skip_all, fields(role = %actor.role, method))]
    pub async fn estimate(&self, actor: &Actor, request: &SpendRequest) -> Result<SpendOutcome, ServiceError> {
        let (accounts, whose) = self.accounts_for(actor, request)?;
        let today = self.clock.now().date();
        let first = first_of_month(today);
        let month_end = first_of_next_month(today);
        // Month to date: nothing yet on the first.
        let (so_far, fetched) = if today == first {
            (None, None)
        } else {
            let costs = self.costs(month_to_date(today), &accounts).await?;
            (
                Some(breakdown(&costs.value)),
                Some((costs.fetched_at, costs.from_cache)),
            )
        };
        let mtd = so_far.as_ref().map_or(0.0, |b| b.total);
        let unit = so_far.as_ref().map_or_else(|| "USD".to_owned(), |b| b.unit.clone());

        let query = CostQuery {
            start: today,
            end: month_end,
            accounts: accounts.clone(),
            metric: self.config.metric.clone(),
        };
        let billing = self.billing.clone();
        let fetch_query = query.clone();
        // A refusal (no data yet) is an answer too, cached like one, so that
        // every estimate question early in the month does not pay again.
        let forecast: Result<Cached<Result<Forecast, String>>, CacheError> = self
            .cache
            .get_or_fetch(FORECAST, &query, || async move {
                match billing.forecast(&fetch_query).await {
                    Ok(forecast) => Ok((Ok(forecast), 1)),
                    Err(AwsError::Rejected(why)) => Ok((Err(forecast_unavailable(&AwsError::Rejected(why))), 1)),
                    Err(other) => Err(other),
                }
            })
            .await;
        let forecast = match forecast {
            Ok(Cached {
                value: Ok(forecast), ..
            }) => Ok(forecast),
            Ok(Cached { value: Err(reason), .. }) => Err(reason),
            Err(CacheError::Store(error)) => return Err(ServiceError::Internal(error.into())),
            Err(CacheError::Aws(error)) => Err(forecast_unavailable(&error)),
        };

        let elapsed_days = (today - first).whole_days();
        let (estimate, method) = match forecast {
            Ok(forecast) => (
                mtd + forecast.mean,
                EstimateMethod::Forecast {
                    low: forecast.low.map(|l| mtd + l),
                    high: forecast.high.map(|h| mtd + h),
                },
            ),
            Err(reason) if elapsed_days > 0 => (
                mtd / elapsed_days as f64 * days_in_month(today) as f64,
                EstimateMethod::RunRate { reason },
            ),
            Err(reason) => {
                return Err(UserError::NothingToChange(format!(
                    "I can't estimate this month yet: it has no complete day, and the AWS forecast is unavailable ({reason}). Ask again tomorrow."
                ))
                .into());
            }
        };
        tracing::Span::current().record(
            "method",
            match method {
                EstimateMethod::Forecast { .. } => "forecast",
                EstimateMethod::RunRate { .. } => "run_rate",
            },
        );

        let mut embed = Embed::new(
            format!(
                "📈 Estimated bill for {}: {}",
                month_name(today),
                money(estimate, &unit)
            ),
            colour::INFO,
        )
        .description(format!(
            "{whose} · to {}",
            month_end.previous_day().unwrap_or(month_end)
        ));
        embed = embed.inline_field("So far", money(mtd, &unit));
        embed = match &method {
            EstimateMethod::Forecast { low, high } => {
                let mut text = "AWS Cost Explorer forecast for the rest of the month, added to the spend so far".to_owned();
                if let (Some(low), Some(high)) = (low, high) {
                    text.push_str(&format!(
                        "; 80% prediction interval {} to {}",
                        money(*low, &unit),
                        money(*high, &unit)
                    ));
                }
                embed.field("Method: forecast", text)
            }
            EstimateMethod::RunRate { reason } => embed.field(
                "Method: daily run-rate",
                format!(
                    "{} over {elapsed_days} complete days, times {} days in the month. The AWS forecast was unavailable: {reason}.",
                    money(mtd, &unit),
                    days_in_month(today)
                ),
            ),
        };
        if let Some(b) = &so_far {
            embed = self.add_breakdown(embed, b, &self.account_names().await);
        }
        if let Some((fetched_at, from_cache)) = fetched {
            embed = embed.footer(self.footer(actor, &fetched_at, from_cache).await);
        }
        let days = so_far.as_ref().map(|b| b.by_day.clone()).unwrap_or_default();
        let chart_title = format!("Spend and estimate, {} ({unit})", month_name(today));
        let reply = self
            .with_chart(
                embed,
                "estimate.png",
                &chart_title,
                &days,
                Some((month_end, estimate)),
                &unit,
            )
            .await;
        Ok(SpendOutcome { reply })
    }

    fn add_breakdown(&self, mut embed: Embed, b: &Breakdown, names: &BTreeMap<String, String>) -> Embed {
        let share = |amount: f64| {
            if b.total > 0.0 {
                format!(" ({:.0}%)", amount / b.total * 100.0)
            } else {
                String::new()
            }
        };
        let top = |rows: &[(String, f64)], label: &dyn Fn(&str) -> String| -> String {
            if rows.is_empty() {
                return "No costs recorded.".to_owned();
            }
            let mut lines: Vec<String> = rows
                .iter()
                .take(TOP)
                .map(|(key, amount)| format!("{}: {}{}", label(key), money(*amount, &b.unit), share(*amount)))
                .collect();
            if rows.len() > TOP {
                let other: f64 = rows[TOP..].iter().map(|(_, a)| a).sum();
                lines.push(format!(
                    "Other ({}): {}{}",
                    rows.len() - TOP,
                    money(other, &b.unit),
                    share(other)
                ));
            }
            lines.join("\n")
        };
        let account_label = |id: &str| match names.get(id) {
            Some(name) if !name.is_empty() => format!("{name} ({id})"),
            _ => id.to_owned(),
        };
        embed = embed.field("Top accounts", top(&b.by_account, &account_label));
        embed = embed.field("Top services", top(&b.by_service, &|s: &str| s.to_owned()));
        if let (Some(first), Some(last)) = (b.by_day.first(), b.by_day.last())
            && b.by_day.len() > 1
        {
            embed = embed.field(
                "Trend",
                format!(
                    "{}: {} · {}: {}",
                    first.0,
                    money(first.1, &b.unit),
                    last.0,
                    money(last.1, &b.unit)
                ),
            );
        }
        embed
    }

    async fn footer(&self, actor: &Actor, fetched_at: &str, from_cache: bool) -> String {
        let mut text = format!(
            "Cost Explorer data fetched {}{}",
            &fetched_at[..16.min(fetched_at.len())].replace('T', " "),
            if from_cache { " UTC (cached)" } else { " UTC" }
        );
        if actor.role == Role::Engineer {
            let since = self
                .clock
                .now()
                .replace_day(1)
                .unwrap_or(self.clock.now())
                .replace_time(time::Time::MIDNIGHT);
            let store = self.cache.store();
            if let Ok(count) = store.paid_requests_since(COST_AND_USAGE, since).await
                && let Ok(forecasts) = store.paid_requests_since(FORECAST, since).await
            {
                text.push_str(&format!(
                    " · Cost Explorer requests this month: {} (about ${:.2})",
                    count + forecasts,
                    (count + forecasts) as f64 * 0.01
                ));
            }
        }
        text
    }
}

/// Rendered charts by the data drawn: a warm answer reuses its picture
/// instead of drawing it again (drawing costs milliseconds).
#[derive(Default)]
struct ChartCache {
    pictures: std::sync::Mutex<std::collections::HashMap<u64, Arc<Vec<u8>>>>,
}

/// Pictures kept; the cache is emptied when it grows past this.
const CHARTS_KEPT: usize = 64;

impl ChartCache {
    /// Drawn on a blocking thread (milliseconds of CPU), never on the async
    /// runtime's threads.
    async fn png(
        &self,
        title: &str,
        days: &[(Date, f64)],
        projection: Option<(Date, f64)>,
        unit: &str,
    ) -> Result<Arc<Vec<u8>>, crate::chart::ChartError> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (title, unit).hash(&mut hasher);
        for (day, amount) in days {
            (day, amount.to_bits()).hash(&mut hasher);
        }
        projection.map(|(d, a)| (d, a.to_bits())).hash(&mut hasher);
        let key = hasher.finish();
        if let Some(hit) = self.pictures.lock().expect("never poisoned").get(&key) {
            return Ok(hit.clone());
        }
        let (title, days, unit) = (title.to_owned(), days.to_vec(), unit.to_owned());
        let picture = tokio::task::spawn_blocking(move || crate::chart::spend_png(&title, &days, projection, &unit))
            .await
            .map_err(|error| crate::chart::ChartError(format!("drawing stopped: {error}")))??;
        let picture = Arc::new(picture);
        let mut pictures = self.pictures.lock().expect("never poisoned");
        if pictures.len() >= CHARTS_KEPT {
            pictures.clear();
        }
        pictures.insert(key, picture.clone());
        Ok(picture)
    }
}

impl SpendService {
    /// The embed with a chart of the days attached; without one when there is
    /// nothing to draw or drawing fails (the figures are in the embed anyway).
    async fn with_chart(
        &self,
        embed: Embed,
        filename: &str,
        title: &str,
        days: &[(Date, f64)],
        projection: Option<(Date, f64)>,
        unit: &str,
    ) -> Reply {
        if days.is_empty() {
            return Reply::embed(embed);
        }
        match self.charts.png(title, days, projection, unit).await {
            Ok(bytes) => Reply::embed(embed.image_attachment(filename)).with_attachment(Attachment {
                filename: filename.to_owned(),
                content_type: "image/png".to_owned(),
                bytes: bytes.as_ref().clone(),
            }),
            Err(error) => {
                tracing::warn!(%error, "no chart");
                Reply::embed(embed)
            }
        }
    }
}

fn aws_failure(error: CacheError, what: &str) -> ServiceError {
    match error {
        CacheError::Store(error) => ServiceError::Internal(error.into()),
        CacheError::Aws(AwsError::NotConfigured) => UserError::NothingToChange(format!(
            "{what} is not connected in this deployment, so I can't show spend yet."
        ))
        .into(),
        CacheError::Aws(error) => {
            tracing::warn!(%error, "{what} failed");
            UserError::NothingToChange(format!(
                "{what} did not answer just now ({error}). Nothing was charged for a failed request; please try again in a minute."
            ))
            .into()
        }
    }
}

fn forecast_unavailable(error: &AwsError) -> String {
    match error {
        AwsError::NotConfigured => "AWS is not configured".to_owned(),
        AwsError::Rejected(why) if why.contains("DataUnavailable") => {
            "not enough data yet (early in the month, or a new account)".to_owned()
        }
        other => other.to_string(),
    }
}

fn month_name(day: Date) -> String {
    format!("{} {}", day.month(), day.year())
}

fn period_words(period: Period) -> String {
    let last = period.end.previous_day().unwrap_or(period.end);
    let days = (period.end - period.start).whole_days();
    format!(
        "{} to {} ({days} day{})",
        period.start,
        last,
        if days == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn money_is_grouped_and_rounded_to_cents() {
        assert_eq!(money(1234.56, "USD"), "1,234.56 USD");
        assert_eq!(money(0.004, "USD"), "0.00 USD");
        assert_eq!(money(1_000_000.0, "EUR"), "1,000,000.00 EUR");
        assert_eq!(money(-12.5, "USD"), "-12.50 USD");
        assert_eq!(money(999.999, "USD"), "1,000.00 USD");
    }

    #[test]
    fn month_to_date_ends_today_exclusive() {
        let p = month_to_date(date!(2026 - 11 - 28));
        assert_eq!(
            (p.start, p.end, p.previous_month),
            (date!(2026 - 11 - 01), date!(2026 - 11 - 28), false)
        );
    }

    #[test]
    fn on_the_first_the_previous_month_is_shown() {
        let p = month_to_date(date!(2026 - 12 - 01));
        assert_eq!(
            (p.start, p.end, p.previous_month),
            (date!(2026 - 11 - 01), date!(2026 - 12 - 01), true)
        );
        let p = month_to_date(date!(2027 - 01 - 01));
        assert_eq!((p.start, p.end), (date!(2026 - 12 - 01), date!(2027 - 01 - 01)));
    }

    #[test]
    fn the_last_day_of_the_month_and_leap_februaries() {
        assert_eq!(first_of_next_month(date!(2026 - 12 - 31)), date!(2027 - 01 - 01));
        assert_eq!(days_in_month(date!(2028 - 02 - 29)), 29);
        assert_eq!(days_in_month(date!(2027 - 02 - 10)), 28);
        let p = month_to_date(date!(2026 - 11 - 30));
        assert_eq!((p.start, p.end), (date!(2026 - 11 - 01), date!(2026 - 11 - 30)));
        let p = month_to_date(date!(2028 - 02 - 29));
        assert_eq!((p.start, p.end), (date!(2028 - 02 - 01), date!(2028 - 02 - 29)));
        assert_eq!(month_to_date(date!(2028 - 03 - 01)).start, date!(2028 - 02 - 01));
    }
}
