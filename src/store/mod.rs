//! The store, through sqlx: tickets and their events, outages and their
//! posts, the cache of paid AWS answers, and the ids of interactions already
//! handled. Two backends behind one API, chosen by the database URL:
//!
//! - **SQLite** (`sqlite://path/to.db`, the default): one machine, one
//!   file, created on first use, in WAL mode.
//! - **PostgreSQL** (`postgres://user:password@host/db`): the shared store
//!   of several instances.
//!
//! Queries are written once, in the SQL both understand (`$1` parameters,
//! `ON CONFLICT`, `RETURNING`, `CAST`), and run through sqlx's `Any` driver;
//! the few places where the two differ ask [`Backend`]. Both keep
//! timestamps as fixed-width RFC 3339 UTC text (see [`timestamp`]) and flags
//! as integers, so every comparison means the same on both. Each backend has
//! its migrations (`migrations/sqlite`, `migrations/postgres`), applied at
//! open.
//!
//! Durability on SQLite: `synchronous = NORMAL`. In WAL mode a commit is
//! durable across a crash or `kill -9` of the process (the WAL is written
//! before the commit returns); only a power loss or kernel crash can lose
//! the last commits. `FULL` would fsync on every commit and cost an order of
//! magnitude in ticket creations per second for no gain against process
//! crashes. PostgreSQL keeps its server's settings (by default every commit
//! is flushed to its log).

pub mod cache;
pub mod conversation;
mod group_commit;
pub mod interactions;
pub mod leases;
pub mod notices;
pub mod outages;
pub mod threads;
pub mod tickets;

use std::str::FromStr;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, Executor};
use time::OffsetDateTime;

pub use outages::{Outage, OutagePost, OutageRecord, OutageSource, OutageStatus, PollState, Recorded, Subscription};
pub use tickets::{
    ActorRef, CaseAction, CaseState, NewTicket, NoteFile, NoteKind, Ticket, TicketEvent, TicketQuery, TicketStatus,
};

/// A transaction on the store, whichever the backend.
pub type Transaction = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "the database URL {url} names no file: platform-desk keeps its tickets on disk, so give it a file, e.g. sqlite://platform-desk.db (an in-memory or nameless database would be a different, empty one for each connection and lost at exit)"
    )]
    NoFile { url: String },
    #[error(
        "the database URL {url} is neither SQLite nor PostgreSQL: write sqlite://path/to.db or postgres://user:password@host/database"
    )]
    UnknownBackend { url: String },
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

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if any.
    pub fn of_url(url: &str) -> Option<Self> {
        let scheme = url.trim().split(':').next()?.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    writer: group_commit::TicketWriter,
    /// This process among the instances sharing the database (the holder
    /// of its leases).
    instance: std::sync::Arc<str>,
}

/// Connections per process. SQLite has one writer at a time anyway; a
/// PostgreSQL server is shared by the fleet, so each instance takes few.
const SQLITE_CONNECTIONS: u32 = 4;
const POSTGRES_CONNECTIONS: u32 = 8;

impl Store {
    /// Opens (creating if needed, for SQLite) and migrates the database at
    /// `url`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let shown = redacted_url(url);
        let open_error = |source| StoreError::Open {
            url: shown.clone(),
            source,
        };
        let backend = Backend::of_url(url).ok_or_else(|| StoreError::UnknownBackend { url: shown.clone() })?;
        let pool = match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url).map_err(open_error)?;
                if names_no_file(url, options.get_filename()) {
                    return Err(StoreError::NoFile { url: url.to_owned() });
                }
                // sqlx's SQLite defaults (foreign keys on, a 5-second busy
                // timeout) apply; the file is created unless a mode is given.
                AnyPoolOptions::new()
                    .max_connections(SQLITE_CONNECTIONS)
                    .after_connect(|connection, _| {
                        Box::pin(async move {
                            connection
                                .execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(&creating_if_missing(url))
                    .await
                    .map_err(open_error)?
            }
            Backend::Postgres => AnyPoolOptions::new()
                .max_connections(POSTGRES_CONNECTIONS)
                // A server that cannot be reached is said so in 10 s, not 30.
                .acquire_timeout(std::time::Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(open_error)?,
        };
        migrate(&pool, backend).await?;
        Ok(Self {
            writer: group_commit::TicketWriter::start(pool.clone(), backend),
            pool,
            backend,
            instance: crate::fleet::new_instance_id(),
        })
    }

    /// This instance's name among those sharing the database: the holder
    /// of its duties' leases (see `fleet`).
    pub fn instance_id(&self) -> std::sync::Arc<str> {
        self.instance.clone()
    }

    /// The pool, for queries of one's own (tests, tools).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction that will read, then write what it read decides. Such
    /// transactions run one at a time on each database, whatever the number
    /// of processes: on SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`, waiting up to the busy timeout), so a read followed by a
    /// write never fails with "database is locked"; on PostgreSQL it takes
    /// one transaction-scoped advisory lock, held until commit or rollback,
    /// so that the instances of a fleet see the same order SQLite gives.
    /// Single-statement claims (`UPDATE … WHERE` still claimable) need no
    /// such transaction: a row is updated by one of the racers on both.
    pub async fn write_transaction(&self) -> Result<Transaction, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// What the database says of itself, for `migrate` and `check-config`:
    /// SQLite's journal mode (`wal` once opened), PostgreSQL's version.
    pub async fn describe(&self) -> Result<String, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&self.pool).await?;
                format!("SQLite, journal mode {mode}")
            }
            Backend::Postgres => {
                let version: String = sqlx::query_scalar("SHOW server_version").fetch_one(&self.pool).await?;
                format!("PostgreSQL {version}")
            }
        })
    }

    /// The journal mode SQLite reports (`wal` once opened); PostgreSQL has
    /// none (`None`).
    pub async fn journal_mode(&self) -> Result<Option<String>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => Some(sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&self.pool).await?),
            Backend::Postgres => None,
        })
    }

    /// Whether the database answers (health checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
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

/// The key of the advisory lock that [`Store::write_transaction`] takes on
/// PostgreSQL ("pdesk-w" in ASCII, so it is recognisable in `pg_locks`).
const WRITE_LOCK: i64 = i64::from_be_bytes(*b"\0pdesk-w");

/// The migrations of each backend, embedded in the binary.
fn migrator(backend: Backend) -> sqlx::migrate::Migrator {
    match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    }
}

/// Applies the migrations not yet applied.
///
/// On PostgreSQL, sqlx holds an advisory lock for the whole run, so
/// instances started together apply each migration once.
///
/// On SQLite, sqlx's own lock does nothing; when some migrations are
/// missing, this holds SQLite's write lock for the whole run: processes
/// started together on a new database (several `ask` at once) would
/// otherwise each create the same tables, and all but one fail. The others
/// wait for the lock (up to the busy timeout), then find every migration
/// applied. Inside this transaction, each migration runs as a savepoint. A
/// database already up to date is only read, so a process opening it never
/// waits for another's write.
async fn migrate(pool: &AnyPool, backend: Backend) -> Result<(), StoreError> {
    let migrator = migrator(backend);
    if backend == Backend::Postgres {
        migrator.run(pool).await?;
        return Ok(());
    }
    let bookkept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
            .fetch_one(pool)
            .await?;
    let applied: i64 = if bookkept > 0 {
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

/// The most parameters one statement of this crate binds: below SQLite's
/// limit (32,766) and PostgreSQL's (65,535).
pub(crate) const MAX_PARAMETERS: usize = 16_000;

/// `$first, $first+1, …` for `count` parameters.
pub(crate) fn parameter_list(first: usize, count: usize) -> String {
    let mut list = String::with_capacity(count * 5);
    for n in first..first + count {
        if n > first {
            list.push_str(", ");
        }
        list.push('$');
        list.push_str(&n.to_string());
    }
    list
}

/// `($1, $2), ($3, $4), …`: the `VALUES` of `rows` rows of `columns`.
pub(crate) fn values_list(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", parameter_list(1 + row * columns, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A SQLite URL that creates its file when missing, unless it says
/// otherwise (`mode=ro`, `mode=rw`).
fn creating_if_missing(url: &str) -> String {
    if percent_decoded(url).to_ascii_lowercase().contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// A database URL fit to show in logs and replies: its password replaced
/// by `***` (`postgres://desk:***@db.internal/desk`).
pub fn redacted_url(url: &str) -> String {
    let url = &redacted_password_parameter(url);
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((credentials, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = credentials.split_once(':').map_or(credentials, |(user, _)| user);
    if user.len() == credentials.len() {
        return url.to_owned();
    }
    format!("{scheme}://{user}:***@{host}{path}")
}

/// `url` with the value of every `password=`-like key (`password`,
/// `sslpassword`, in any case; in a query string or in a libpq-style
/// `key=value` string) replaced by `***`.
fn redacted_password_parameter(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(at) = rest.to_ascii_lowercase().find("password=") {
        let value_start = at + "password=".len();
        out.push_str(&rest[..value_start]);
        out.push_str("***");
        let value_end = rest[value_start..]
            .find(['&', ' ', '#'])
            .map_or(rest.len(), |end| value_start + end);
        rest = &rest[value_end..];
    }
    out.push_str(rest);
    out
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
    fn parameter_lists_count_from_their_first() {
        assert_eq!(parameter_list(3, 3), "$3, $4, $5");
        assert_eq!(values_list(2, 2), "($1, $2), ($3, $4)");
    }

    #[test]
    fn passwords_are_not_shown() {
        for (url, shown) in [
            (
                "postgres://desk:s3cr3t@db:5432/desk",
                "postgres://desk:***@db:5432/desk",
            ),
            (
                "postgresql://desk:p@ss@db/desk?sslmode=require",
                "postgresql://desk:***@db/desk?sslmode=require",
            ),
            ("postgres://desk@db/desk", "postgres://desk@db/desk"),
            (
                "postgres://db/desk?user=desk&password=hunter2",
                "postgres://db/desk?user=desk&password=***",
            ),
            ("sqlite://platform-desk.db", "sqlite://platform-desk.db"),
        ] {
            assert_eq!(redacted_url(url), shown);
        }
    }

    #[test]
    fn the_url_scheme_chooses_the_backend() {
        assert_eq!(Backend::of_url("sqlite://a.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("postgres://h/d"), Some(Backend::Postgres));
        assert_eq!(Backend::of_url("PostgreSQL://h/d"), Some(Backend::Postgres));
        assert_eq!(Backend::of_url("mysql://h/d"), None);
        assert_eq!(Backend::of_url("platform-desk.db"), None);
    }

    #[test]
    fn a_sqlite_file_is_created_unless_a_mode_is_given() {
        assert_eq!(creating_if_missing("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            creating_if_missing("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(creating_if_missing("sqlite://a.db?mode=ro"), "sqlite://a.db?mode=ro");
    }

    #[test]
    fn timestamps_are_fixed_width_utc() {
        let at = time::macros::datetime!(2026-11-28 09:05:03.5 +02:00);
        assert_eq!(timestamp(at), "2026-11-28T07:05:03.500Z");
    }
}
