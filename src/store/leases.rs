//! Leases: an instance holds a named duty until a time, renews it while it
//! works, and another instance takes it over once it has expired. Times are
//! read from the database's clock, so hosts whose clocks disagree still agree
//! on who holds what.

use std::time::Duration;

use sqlx::Row;

use super::{Backend, Store, StoreError};

/// Who holds a lease, and for how much longer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    pub holder: String,
    /// Left before it expires unless renewed.
    pub remaining: Duration,
    /// How long the holder has held it without a break.
    pub held_for: Duration,
}

/// The database's clock, in milliseconds since 1970, as an integer.
macro_rules! sqlite_clock {
    () => {
        "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
    };
}
macro_rules! postgres_clock {
    () => {
        "CAST(floor(extract(epoch FROM clock_timestamp()) * 1000) AS BIGINT)"
    };
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2)
}

impl Store {
    /// Takes the lease `name` for `holder` for `ttl`, or renews it when
    /// `holder` has it already. True when `holder` holds it now; false when
    /// another holder's lease has not expired. One statement: of instances
    /// racing for an expired lease, exactly one gets it.
    pub async fn acquire_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => ACQUIRE_SQLITE,
            Backend::Postgres => ACQUIRE_POSTGRES,
        };
        let taken = sqlx::query(sql)
            .bind(name)
            .bind(holder)
            .bind(millis(ttl))
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(taken > 0)
    }

    /// Gives the lease up at once (a clean shutdown), so that another
    /// instance takes the duty without waiting for it to expire.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<bool, StoreError> {
        let released = sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(released > 0)
    }

    /// Gives up every lease `holder` has (a clean shutdown, once its loops
    /// have stopped). Returns how many there were.
    pub async fn release_leases_of(&self, holder: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM leases WHERE holder = $1")
            .bind(holder)
            .execute(self.pool())
            .await?
            .rows_affected())
    }

    /// Who holds `name` now, if anyone.
    pub async fn lease_holder(&self, name: &str) -> Result<Option<LeaseHolder>, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => HOLDER_SQLITE,
            Backend::Postgres => HOLDER_POSTGRES,
        };
        let row = sqlx::query(sql).bind(name).fetch_optional(self.pool()).await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let duration = |ms: i64| Duration::from_millis(u64::try_from(ms).unwrap_or(0));
        Ok(Some(LeaseHolder {
            holder: row.try_get("holder")?,
            remaining: duration(row.try_get("remaining_ms")?),
            held_for: duration(row.try_get("held_ms")?),
        }))
    }
}

/// The statements above, written once and made for each backend's clock as
/// static strings.
macro_rules! acquire_sql {
    ($now:expr) => {
        concat!(
            "INSERT INTO leases (name, holder, expires_ms, acquired_ms)
             SELECT $1, $2, clock.now + $3, clock.now FROM (SELECT ",
            $now,
            " AS now) AS clock WHERE true
             ON CONFLICT (name) DO UPDATE SET
                 holder = excluded.holder,
                 expires_ms = excluded.expires_ms,
                 acquired_ms = CASE WHEN leases.holder = excluded.holder
                                    THEN leases.acquired_ms ELSE excluded.acquired_ms END
             WHERE leases.holder = excluded.holder OR leases.expires_ms <= excluded.acquired_ms"
        )
    };
}

macro_rules! holder_sql {
    ($now:expr) => {
        concat!(
            "SELECT holder, expires_ms - clock.now AS remaining_ms, clock.now - acquired_ms AS held_ms
             FROM leases, (SELECT ",
            $now,
            " AS now) AS clock
             WHERE name = $1 AND expires_ms > clock.now"
        )
    };
}

const ACQUIRE_SQLITE: &str = acquire_sql!(sqlite_clock!());
const ACQUIRE_POSTGRES: &str = acquire_sql!(postgres_clock!());
const HOLDER_SQLITE: &str = holder_sql!(sqlite_clock!());
const HOLDER_POSTGRES: &str = holder_sql!(postgres_clock!());
