//! The database a test runs on: a SQLite file in the test's own temporary
//! directory, or, when `PLATFORM_DESK_TEST_POSTGRES` names a PostgreSQL
//! server (`postgres://user@host:port`, no database; `./scripts/test` starts
//! one for its second pass), a new, empty database on that server for each
//! file name, so tests never see each other's rows, and a test that opens
//! the same file again (a restart) finds its rows, as on SQLite.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{Connection, Executor};

/// The variable naming the PostgreSQL server to test against.
pub const POSTGRES_SERVER: &str = "PLATFORM_DESK_TEST_POSTGRES";

/// The PostgreSQL server this run tests against, if any.
pub fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_SERVER)
        .ok()
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .filter(|url| !url.is_empty())
}

/// Whether this run tests against PostgreSQL.
pub fn on_postgres() -> bool {
    postgres_server().is_some()
}

/// The database URL of `<dir>/<file>`: `sqlite://<dir>/<file>`, or on
/// PostgreSQL the database made for that path the first time it is asked
/// for.
pub fn url(dir: &Path, file: &str) -> String {
    static MADE: Mutex<Option<HashMap<PathBuf, String>>> = Mutex::new(None);
    let path = dir.join(file);
    match postgres_server() {
        None => format!("sqlite://{}", path.display()),
        Some(server) => {
            let mut made = MADE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            made.get_or_insert_with(HashMap::new)
                .entry(path)
                .or_insert_with(|| new_postgres_database(&server))
                .clone()
        }
    }
}

/// Creates an empty database on `server` and returns its URL. Runs on a
/// thread of its own, so that it can be called from sync and async code.
pub fn new_postgres_database(server: &str) -> String {
    static CREATED: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "pd_test_{}_{}_{}",
        std::process::id(),
        CREATED.fetch_add(1, Ordering::Relaxed),
        fastrand::u32(..)
    );
    let admin = format!("{server}/postgres");
    let statement = format!("CREATE DATABASE {name}");
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let mut connection = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach the PostgreSQL server {admin}: {e}"));
                connection
                    .execute(sqlx::AssertSqlSafe(statement))
                    .await
                    .expect("CREATE DATABASE");
                connection.close().await.ok();
            })
    })
    .join()
    .expect("the database is created");
    format!("{server}/{name}")
}

/// How many migrations each backend has (the same number on both).
pub fn migrations() -> usize {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count()
}
