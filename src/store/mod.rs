//! The SQLite store, through sqlx: tickets and their events, and the ids of
//! interactions already handled. The database is created on first use and
//! migrated at open; it runs in WAL mode.
//!
//! Durability: `synchronous = NORMAL`. In WAL mode a commit is durable across
//! a crash or `kill -9` of the process (the WAL is written before the commit
//! returns); only a power loss or kernel crash can lose the last commits.
//! `FULL` would fsync on every commit and cost an order of magnitude in ticket
//! creations per second for no gain against process crashes.

pub mod cache;
mod group_commit;
pub mod interactions;
pub mod outages;
pub mod threads;
pub mod tickets;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use time::OffsetDateTime;

pub use outages::{Outage, OutagePost, OutageRecord, OutageSource, OutageStatus, PollState, Recorded, Subscription};
pub use tickets::{ActorRef, CaseAction, CaseState, NewTicket, Ticket, TicketEvent, TicketQuery, TicketStatus};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {source}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "the database URL {url} names no file: platform-desk keeps its tickets on disk, so give it a file, e.g. sqlite://platform-desk.db (an in-memory or nameless database would be a different, empty one for each connection and lost at exit)"
    )]
    NoFile { url: String },
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("the database holds a value this version does not know: {0}")]
    Corrupt(String),
    #[error("the store is shutting down: the ticket was not confirmed as written")]
    WriterStopped,
    #[error("database error, nothing of this ticket was written: {0}")]
    GroupFailed(String),
}

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    writer: group_commit::TicketWriter,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let open_error = |source| StoreError::Open {
            url: url.to_owned(),
            source,
        };
        let options = SqliteConnectOptions::from_str(url).map_err(open_error)?;
        if names_no_file(url, options.get_filename()) {
            return Err(StoreError::NoFile { url: url.to_owned() });
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(open_error)?;
        migrate(&pool).await?;
        Ok(Self {
            writer: group_commit::TicketWriter::start(pool.clone()),
            pool,
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A transaction that will write: it takes SQLite's write lock at once
    /// (`BEGIN IMMEDIATE`, waiting up to the busy timeout), so a read
    /// followed by a write never fails with "database is locked" when
    /// another process wrote in between.
    pub async fn write_transaction(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// The journal mode SQLite reports (`wal` once opened).
    pub async fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&self.pool).await?)
    }

    /// How many migrations have been applied.
    pub async fn applied_migrations(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Applies the migrations not yet applied. When some are missing, it holds
/// SQLite's write lock for the whole run: processes started together on a
/// new database (several `ask` at once) would otherwise each create the same
/// tables, and all but one fail. The others wait for the lock (up to the
/// busy timeout), then find every migration applied. sqlx's own migration
/// lock does nothing on SQLite; inside this transaction, each migration
/// runs as a savepoint. A database already up to date is only read, so a
/// process opening it never waits for another's write.
async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    let migrator = sqlx::migrate!("./migrations");
    let bookkept: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(pool)
    .await?;
    let applied: i64 = if bookkept {
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?
    } else {
        0
    };
    if applied == migrator.iter().count() as i64 {
        // Checks the applied migrations' checksums; writes nothing.
        migrator.run(pool).await?;
        return Ok(());
    }
    let mut connection = pool.acquire().await?;
    let mut tx = sqlx::Connection::begin_with(&mut *connection, "BEGIN IMMEDIATE").await?;
    // `run_direct` is `run` on a connection already in hand (public, though
    // hidden from sqlx's docs: `run` on a borrowed connection cannot be
    // proven `Send` for every lifetime, which `tokio::spawn` needs).
    migrator.run_direct(None, &mut *tx, false).await?;
    tx.commit().await?;
    Ok(())
}

/// An in-memory database (`sqlite::memory:`, `mode=memory`) or none at all
/// (`sqlite://`): each pooled connection would get its own.
fn names_no_file(url: &str, filename: &std::path::Path) -> bool {
    let name = filename.to_string_lossy();
    // Parameters may be percent-encoded ("mo%64e=memory").
    let url = percent_decoded(url).to_ascii_lowercase();
    name.trim().is_empty()
        || name.starts_with("file:sqlx-in-memory-")
        || name.contains(":memory:")
        || url.contains("mode=memory")
        || url.contains("vfs=memdb")
}

/// `text` with its %XX escapes decoded (invalid ones kept as they are).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Timestamps are stored as fixed-width RFC 3339 UTC text with milliseconds,
/// so that they sort as text.
pub fn timestamp(at: OffsetDateTime) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .expect("a UTC timestamp always formats")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_url_naming_no_file_is_refused() {
        for url in [
            "sqlite://",
            "sqlite::memory:",
            "sqlite://x.db?mode=memory",
            "sqlite:",
            "sqlite://file::memory:?cache=shared",
            "sqlite:file::memory:",
            "sqlite://x.db?vfs=memdb",
            "sqlite://x.db?mo%64e=memory",
            "sqlite://x.db?v%66s=%6Demdb",
        ] {
            let error = Store::open(url).await.expect_err(url);
            assert!(error.to_string().contains("names no file"), "{url}: {error}");
        }
    }

    #[test]
    fn timestamps_are_fixed_width_utc() {
        let at = time::macros::datetime!(2026-11-28 09:05:03.5 +02:00);
        assert_eq!(timestamp(at), "2026-11-28T07:05:03.500Z");
    }
}
