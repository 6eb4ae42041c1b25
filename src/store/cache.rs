//! The cache of paid AWS answers, and the log of paid requests.

use time::OffsetDateTime;

use super::{Store, StoreError, timestamp};

/// A cached answer: its JSON and when it was fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedValue {
    pub value: String,
    pub fetched_at: String,
}

impl Store {
    /// The cached answer for `key`, unless it expired before `now`.
    pub async fn cached(&self, key: &str, now: OffsetDateTime) -> Result<Option<CachedValue>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT value, fetched_at FROM aws_cache WHERE key = $1 AND expires_at > $2")
                .bind(key)
                .bind(timestamp(now))
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(value, fetched_at)| CachedValue { value, fetched_at }))
    }

    /// Stores an answer and logs the paid request that produced it.
    pub async fn cache_answer(
        &self,
        key: &str,
        value: &str,
        api: &str,
        pages: u32,
        fetched_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "INSERT INTO aws_cache (key, value, fetched_at, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, fetched_at = excluded.fetched_at,
                                             expires_at = excluded.expires_at",
        )
        .bind(key)
        .bind(value)
        .bind(timestamp(fetched_at))
        .bind(timestamp(expires_at))
        .execute(&mut *tx)
        .await?;
        self.log_request(&mut tx, api, pages, fetched_at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn log_request(
        &self,
        tx: &mut super::Transaction,
        api: &str,
        pages: u32,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO aws_requests (at, api, pages) VALUES ($1, $2, $3)")
            .bind(timestamp(at))
            .bind(api)
            .bind(i64::from(pages))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Logs a paid request whose answer was not cached (it failed).
    pub async fn log_failed_request(&self, api: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        self.log_request(&mut tx, api, 1, at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Paid requests (pages) to `api` since `since`.
    pub async fn paid_requests_since(&self, api: &str, since: OffsetDateTime) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(coalesce(sum(pages), 0) AS BIGINT) FROM aws_requests WHERE api = $1 AND at >= $2",
        )
        .bind(api)
        .bind(timestamp(since))
        .fetch_one(self.pool())
        .await?)
    }
}

/// How long the record of paid requests is kept: this month's count is
/// shown, and a year (and a month) of history is enough to compare.
pub const REQUEST_LOG_DAYS: i64 = 400;

impl Store {
    /// Retention: cached answers a day past their expiry, and paid-request
    /// records older than [`REQUEST_LOG_DAYS`]. Returns the rows removed.
    pub async fn prune_aws_records(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let cache = sqlx::query("DELETE FROM aws_cache WHERE expires_at < $1")
            .bind(timestamp(now - time::Duration::days(1)))
            .execute(self.pool())
            .await?
            .rows_affected();
        let requests = sqlx::query("DELETE FROM aws_requests WHERE at < $1")
            .bind(timestamp(now - time::Duration::days(REQUEST_LOG_DAYS)))
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(cache + requests)
    }
}
