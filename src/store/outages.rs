//! Outages (AWS Health events, provider-declared outages and critical
//! escalations), the channels subscribed to them, what was posted where, and
//! the state of the Health poller.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Store, StoreError, timestamp};
use crate::domain::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutageSource {
    Aws,
    Provider,
    Escalation,
}

impl OutageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            OutageSource::Aws => "aws",
            OutageSource::Provider => "provider",
            OutageSource::Escalation => "escalation",
        }
    }
}

impl FromStr for OutageSource {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "aws" => OutageSource::Aws,
            "provider" => OutageSource::Provider,
            "escalation" => OutageSource::Escalation,
            other => return Err(StoreError::Corrupt(format!("outage source {other:?}"))),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutageStatus {
    Open,
    Upcoming,
    Closed,
}

impl OutageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutageStatus::Open => "open",
            OutageStatus::Upcoming => "upcoming",
            OutageStatus::Closed => "closed",
        }
    }

    /// AWS Health's statusCode; anything unknown counts as open, the side
    /// that keeps people informed.
    pub fn from_health(code: &str) -> Self {
        match code {
            "closed" => OutageStatus::Closed,
            "upcoming" => OutageStatus::Upcoming,
            _ => OutageStatus::Open,
        }
    }
}

impl FromStr for OutageStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "open" => OutageStatus::Open,
            "upcoming" => OutageStatus::Upcoming,
            "closed" => OutageStatus::Closed,
            other => return Err(StoreError::Corrupt(format!("outage status {other:?}"))),
        })
    }
}

/// An outage as it should be recorded (from a Health event, or declared).
#[derive(Debug, Clone, PartialEq)]
pub struct OutageRecord {
    pub source: OutageSource,
    pub key: String,
    pub title: String,
    pub service: String,
    pub event_type: String,
    pub region: String,
    pub status: OutageStatus,
    pub severity: Severity,
    pub public: bool,
    pub description: String,
    pub started_at: Option<OffsetDateTime>,
    pub ended_at: Option<OffsetDateTime>,
    pub last_updated: OffsetDateTime,
    pub accounts: BTreeSet<String>,
    pub customers: BTreeSet<String>,
    pub declared_by: Option<String>,
}

/// A recorded outage.
#[derive(Debug, Clone, PartialEq)]
pub struct Outage {
    pub id: i64,
    pub revision: i64,
    pub first_seen: OffsetDateTime,
    pub record: OutageRecord,
}

impl std::ops::Deref for Outage {
    type Target = OutageRecord;
    fn deref(&self) -> &OutageRecord {
        &self.record
    }
}

/// What recording an outage did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Not known before.
    New(i64),
    /// Something a reader sees changed: the revision went up.
    Changed(i64),
    /// A newer last-updated time, but nothing a reader would see.
    Touched(i64),
    /// The same last-updated time as recorded: nothing done.
    Unchanged(i64),
}

impl Recorded {
    pub fn id(self) -> i64 {
        match self {
            Recorded::New(id) | Recorded::Changed(id) | Recorded::Touched(id) | Recorded::Unchanged(id) => id,
        }
    }
}

/// A channel's subscription; empty lists match anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub channel_id: String,
    pub guild_id: Option<String>,
    /// Upper-case AWS service names as Health writes them (EC2, RDS...).
    pub services: Vec<String>,
    /// Region codes (us-east-1...).
    pub regions: Vec<String>,
    /// Customer names.
    pub customers: Vec<String>,
    /// Event type codes never posted here (noisy ones).
    pub muted_types: Vec<String>,
    pub min_severity: Severity,
    pub created_by: String,
    pub created_at: String,
}

/// One outage's message in one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutagePost {
    pub outage_id: i64,
    pub channel_id: String,
    pub nonce: String,
    pub message_id: Option<String>,
    pub posted_revision: i64,
    /// The on-call role was pinged about the outage in this channel.
    pub pinged: bool,
}

/// The Health poller's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollState {
    pub last_attempt: Option<String>,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub failures: i64,
}

fn parse_time(text: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| StoreError::Corrupt(format!("timestamp {text:?}")))
}

fn optional_time(text: Option<String>) -> Result<Option<OffsetDateTime>, StoreError> {
    text.as_deref().map(parse_time).transpose()
}

fn json_list(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt(format!("list {text:?}")))
}

fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).expect("a list of strings always serializes")
}

/// `SELECT <every outage column> FROM outages o <rest>`, as a static string.
macro_rules! select_outages {
    ($rest:literal) => {
        concat!(
            "SELECT id, source, key, title, service, event_type, region, status, severity, public, description,
                 started_at, ended_at, last_updated, revision, first_seen, declared_by FROM outages o ",
            $rest
        )
    };
}

async fn load_outage(conn: &mut AnyConnection, row: AnyRow) -> Result<Outage, StoreError> {
    let mut outages = load_outages(conn, vec![row]).await?;
    Ok(outages.pop().expect("one row, one outage"))
}

fn outage_from_row(
    row: &AnyRow,
    accounts: BTreeSet<String>,
    customers: BTreeSet<String>,
) -> Result<Outage, StoreError> {
    let severity: String = row.try_get("severity")?;
    Ok(Outage {
        id: row.try_get("id")?,
        revision: row.try_get("revision")?,
        first_seen: parse_time(&row.try_get::<String, _>("first_seen")?)?,
        record: OutageRecord {
            source: row.try_get::<String, _>("source")?.parse()?,
            key: row.try_get("key")?,
            title: row.try_get("title")?,
            service: row.try_get("service")?,
            event_type: row.try_get("event_type")?,
            region: row.try_get("region")?,
            status: row.try_get::<String, _>("status")?.parse()?,
            severity: severity
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("severity {severity:?}")))?,
            public: row.try_get::<i64, _>("public")? != 0,
            description: row.try_get("description")?,
            started_at: optional_time(row.try_get("started_at")?)?,
            ended_at: optional_time(row.try_get("ended_at")?)?,
            last_updated: parse_time(&row.try_get::<String, _>("last_updated")?)?,
            accounts,
            customers,
            declared_by: row.try_get("declared_by")?,
        },
    })
}

/// Outages from their rows, with their accounts and customers read in one
/// query each (not one per outage).
async fn load_outages(conn: &mut AnyConnection, rows: Vec<AnyRow>) -> Result<Vec<Outage>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?;
    let mut accounts = members(conn, "SELECT outage_id, account_id AS value FROM outage_accounts", &ids).await?;
    let mut customers = members(conn, "SELECT outage_id, customer AS value FROM outage_customers", &ids).await?;
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get("id")?;
            outage_from_row(
                row,
                accounts.remove(&id).unwrap_or_default(),
                customers.remove(&id).unwrap_or_default(),
            )
        })
        .collect()
}

/// `(outage_id, value)` rows of the outages `ids`, grouped by outage.
async fn members(
    conn: &mut AnyConnection,
    select: &'static str,
    ids: &[i64],
) -> Result<HashMap<i64, BTreeSet<String>>, StoreError> {
    let mut grouped: HashMap<i64, BTreeSet<String>> = HashMap::new();
    for chunk in ids.chunks(super::MAX_PARAMETERS) {
        let sql = format!(
            "{select} WHERE outage_id IN ({})",
            super::parameter_list(1, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            grouped
                .entry(row.try_get("outage_id")?)
                .or_default()
                .insert(row.try_get("value")?);
        }
    }
    Ok(grouped)
}

fn post_from_row(row: &AnyRow) -> Result<OutagePost, StoreError> {
    Ok(OutagePost {
        outage_id: row.try_get("outage_id")?,
        channel_id: row.try_get("channel_id")?,
        nonce: row.try_get("nonce")?,
        message_id: row.try_get("message_id")?,
        posted_revision: row.try_get("posted_revision")?,
        pinged: row.try_get::<i64, _>("pinged")? != 0,
    })
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, AnyArguments>;

/// Binds the columns an outage's insert and update share, in this order:
/// title, service, event_type, region, status, severity, public,
/// description, started_at, ended_at, last_updated.
fn bind_record<'q>(query: AnyQuery<'q>, record: &'q OutageRecord) -> AnyQuery<'q> {
    query
        .bind(&record.title)
        .bind(&record.service)
        .bind(&record.event_type)
        .bind(&record.region)
        .bind(record.status.as_str())
        .bind(record.severity.code())
        .bind(i64::from(record.public))
        .bind(&record.description)
        .bind(record.started_at.map(timestamp))
        .bind(record.ended_at.map(timestamp))
        .bind(timestamp(record.last_updated))
}

/// What a reader of the post would see change.
fn visible_change(old: &OutageRecord, new: &OutageRecord) -> bool {
    old.title != new.title
        || old.status != new.status
        || old.severity != new.severity
        || old.description != new.description
        || old.accounts != new.accounts
        || old.customers != new.customers
        || old.ended_at != new.ended_at
        || old.public != new.public
}

impl Store {
    /// The last-updated time recorded for each outage of a source, by key:
    /// what the poller compares AWS's list with before asking for details.
    pub async fn outage_versions(&self, source: OutageSource) -> Result<HashMap<String, String>, StoreError> {
        let rows = sqlx::query("SELECT key, last_updated FROM outages WHERE source = $1")
            .bind(source.as_str())
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("key")?, row.try_get("last_updated")?)))
            .collect()
    }

    /// Records an outage, deduplicated by its key and last-updated time; the
    /// revision (which posts follow) goes up only on a visible change.
    pub async fn record_outage(&self, record: &OutageRecord, now: OffsetDateTime) -> Result<Recorded, StoreError> {
        let mut tx = self.write_transaction().await?;
        let existing = sqlx::query(select_outages!("WHERE key = $1"))
            .bind(&record.key)
            .fetch_optional(&mut *tx)
            .await?;
        let recorded = match existing {
            None => {
                let insert = sqlx::query(
                    "INSERT INTO outages (title, service, event_type, region, status, severity, public,
                         description, started_at, ended_at, last_updated, source, key, first_seen, declared_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
                );
                let id: i64 = bind_record(insert, record)
                    .bind(record.source.as_str())
                    .bind(&record.key)
                    .bind(timestamp(now))
                    .bind(&record.declared_by)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
                Recorded::New(id)
            }
            Some(row) => {
                let old = load_outage(&mut tx, row).await?;
                if timestamp(old.last_updated) == timestamp(record.last_updated) {
                    return Ok(Recorded::Unchanged(old.id));
                }
                let changed = visible_change(&old.record, record);
                let update = sqlx::query(
                    "UPDATE outages SET title = $1, service = $2, event_type = $3, region = $4, status = $5, severity = $6,
                         public = $7, description = $8, started_at = $9, ended_at = $10, last_updated = $11,
                         revision = revision + $12
                     WHERE id = $13",
                );
                bind_record(update, record)
                    .bind(i64::from(changed))
                    .bind(old.id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM outage_accounts WHERE outage_id = $1")
                    .bind(old.id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM outage_customers WHERE outage_id = $1")
                    .bind(old.id)
                    .execute(&mut *tx)
                    .await?;
                if changed {
                    Recorded::Changed(old.id)
                } else {
                    Recorded::Touched(old.id)
                }
            }
        };
        let id = recorded.id();
        for account in &record.accounts {
            sqlx::query("INSERT INTO outage_accounts (outage_id, account_id) VALUES ($1, $2)")
                .bind(id)
                .bind(account)
                .execute(&mut *tx)
                .await?;
        }
        for customer in &record.customers {
            sqlx::query("INSERT INTO outage_customers (outage_id, customer) VALUES ($1, $2)")
                .bind(id)
                .bind(customer)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(recorded)
    }

    pub async fn outage(&self, id: i64) -> Result<Option<Outage>, StoreError> {
        self.one_outage(sqlx::query(select_outages!("WHERE id = $1")).bind(id))
            .await
    }

    pub async fn outage_by_key(&self, key: &str) -> Result<Option<Outage>, StoreError> {
        self.one_outage(sqlx::query(select_outages!("WHERE key = $1")).bind(key))
            .await
    }

    async fn one_outage(&self, query: AnyQuery<'_>) -> Result<Option<Outage>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        match query.fetch_optional(&mut *conn).await? {
            Some(row) => Ok(Some(load_outage(&mut conn, row).await?)),
            None => Ok(None),
        }
    }

    /// Outages not closed, newest first.
    pub async fn open_outages(&self) -> Result<Vec<Outage>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let rows = sqlx::query(select_outages!(
            "WHERE status != 'closed' ORDER BY coalesce(started_at, first_seen) DESC, id DESC"
        ))
        .fetch_all(&mut *conn)
        .await?;
        load_outages(&mut conn, rows).await
    }

    /// Outages the poster must look at: open ones, ones that ended after
    /// `closed_since`, and ones with a post behind their revision.
    pub async fn outages_to_post(&self, closed_since: OffsetDateTime) -> Result<Vec<Outage>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let rows = sqlx::query(select_outages!(
            "WHERE id IN (
                 SELECT id FROM outages WHERE status IN ('open', 'upcoming')
                 UNION SELECT id FROM outages WHERE coalesce(ended_at, last_updated) >= $1
                 UNION SELECT p.outage_id FROM outage_posts p JOIN outages r ON r.id = p.outage_id
                       WHERE p.posted_revision < r.revision)
             ORDER BY id"
        ))
        .bind(timestamp(closed_since))
        .fetch_all(&mut *conn)
        .await?;
        load_outages(&mut conn, rows).await
    }

    pub async fn outage_posts(&self, outage_id: i64) -> Result<Vec<OutagePost>, StoreError> {
        let rows = sqlx::query(
            "SELECT outage_id, channel_id, nonce, message_id, posted_revision, pinged FROM outage_posts
             WHERE outage_id = $1 ORDER BY channel_id",
        )
        .bind(outage_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(post_from_row).collect()
    }

    /// Writes the post's row (with the nonce its message is sent with)
    /// before the message is sent; an existing row is kept as it is.
    pub async fn claim_outage_post(
        &self,
        outage_id: i64,
        channel_id: &str,
        nonce: &str,
        now: OffsetDateTime,
    ) -> Result<OutagePost, StoreError> {
        sqlx::query(
            "INSERT INTO outage_posts (outage_id, channel_id, nonce, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (outage_id, channel_id) DO NOTHING",
        )
        .bind(outage_id)
        .bind(channel_id)
        .bind(nonce)
        .bind(timestamp(now))
        .execute(self.pool())
        .await?;
        let row = sqlx::query(
            "SELECT outage_id, channel_id, nonce, message_id, posted_revision, pinged FROM outage_posts
             WHERE outage_id = $1 AND channel_id = $2",
        )
        .bind(outage_id)
        .bind(channel_id)
        .fetch_one(self.pool())
        .await?;
        post_from_row(&row)
    }

    /// Records, in one statement, the message that shows a revision (and
    /// whether the on-call role has now been pinged there).
    pub async fn record_outage_post(
        &self,
        outage_id: i64,
        channel_id: &str,
        message_id: &str,
        revision: i64,
        pinged: bool,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outage_posts SET message_id = $1, posted_revision = CASE WHEN posted_revision > $2 THEN posted_revision ELSE $2 END,
                 pinged = CASE WHEN pinged > $3 THEN pinged ELSE $3 END, updated_at = $4
             WHERE outage_id = $5 AND channel_id = $6",
        )
        .bind(message_id)
        .bind(revision)
        .bind(i64::from(pinged))
        .bind(timestamp(now))
        .bind(outage_id)
        .bind(channel_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets a post's message (deleted in Discord) so that it is posted
    /// again, with a fresh nonce.
    pub async fn forget_outage_message(&self, outage_id: i64, channel_id: &str, nonce: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outage_posts SET message_id = NULL, posted_revision = 0, nonce = $1
             WHERE outage_id = $2 AND channel_id = $3",
        )
        .bind(nonce)
        .bind(outage_id)
        .bind(channel_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Critical tickets whose announcement is missing or disagrees with the
    /// ticket's status (after a crash between the two writes).
    pub async fn escalations_out_of_sync(&self) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT t.id FROM tickets t LEFT JOIN outages o ON o.key = 'ticket/' || t.id
             WHERE t.severity = 'critical'
               AND ((o.id IS NULL AND t.status = 'open')
                 OR (o.id IS NOT NULL AND (t.status = 'open') != (o.status != 'closed')))
             ORDER BY t.id",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Subscribes a channel, replacing its filters if it was subscribed.
    pub async fn subscribe(&self, subscription: &Subscription) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO outage_subscriptions
                 (channel_id, guild_id, services, regions, customers, muted_types, min_severity, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id, services = excluded.services,
                 regions = excluded.regions, customers = excluded.customers, muted_types = excluded.muted_types,
                 min_severity = excluded.min_severity, created_by = excluded.created_by",
        )
        .bind(&subscription.channel_id)
        .bind(&subscription.guild_id)
        .bind(to_json(&subscription.services))
        .bind(to_json(&subscription.regions))
        .bind(to_json(&subscription.customers))
        .bind(to_json(&subscription.muted_types))
        .bind(subscription.min_severity.code())
        .bind(&subscription.created_by)
        .bind(&subscription.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Removes a channel's subscription; false when it had none.
    pub async fn unsubscribe(&self, channel_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM outage_subscriptions WHERE channel_id = $1")
            .bind(channel_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(
            "SELECT channel_id, guild_id, services, regions, customers, muted_types, min_severity, created_by, created_at
             FROM outage_subscriptions ORDER BY created_at, channel_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let severity: String = row.try_get("min_severity")?;
                Ok(Subscription {
                    channel_id: row.try_get("channel_id")?,
                    guild_id: row.try_get("guild_id")?,
                    services: json_list(&row.try_get::<String, _>("services")?)?,
                    regions: json_list(&row.try_get::<String, _>("regions")?)?,
                    customers: json_list(&row.try_get::<String, _>("customers")?)?,
                    muted_types: json_list(&row.try_get::<String, _>("muted_types")?)?,
                    min_severity: severity
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("severity {severity:?}")))?,
                    created_by: row.try_get("created_by")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Records a poll attempt's outcome; returns the failures in a row.
    pub async fn record_poll(&self, at: OffsetDateTime, error: Option<&str>) -> Result<i64, StoreError> {
        let at = timestamp(at);
        let failures: i64 = match error {
            None => sqlx::query_scalar(
                "INSERT INTO health_polls (id, last_attempt, last_success, last_error, failures) VALUES (1, $1, $2, NULL, 0)
                 ON CONFLICT (id) DO UPDATE SET last_attempt = excluded.last_attempt,
                     last_success = excluded.last_success, last_error = NULL, failures = 0
                 RETURNING failures",
            )
            .bind(&at)
            .bind(&at)
            .fetch_one(self.pool())
            .await?,
            Some(error) => sqlx::query_scalar(
                "INSERT INTO health_polls (id, last_attempt, last_error, failures) VALUES (1, $1, $2, 1)
                 ON CONFLICT (id) DO UPDATE SET last_attempt = excluded.last_attempt,
                     last_error = excluded.last_error, failures = health_polls.failures + 1
                 RETURNING failures",
            )
            .bind(&at)
            .bind(error)
            .fetch_one(self.pool())
            .await?,
        };
        Ok(failures)
    }

    pub async fn poll_state(&self) -> Result<PollState, StoreError> {
        let row = sqlx::query("SELECT last_attempt, last_success, last_error, failures FROM health_polls WHERE id = 1")
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            None => PollState::default(),
            Some(row) => PollState {
                last_attempt: row.try_get("last_attempt")?,
                last_success: row.try_get("last_success")?,
                last_error: row.try_get("last_error")?,
                failures: row.try_get("failures")?,
            },
        })
    }
}
