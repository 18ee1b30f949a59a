//! The connection pool: SQLite file created if missing, WAL and foreign keys on,
//! migrations from `migrations/` embedded and applied at start-up.
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub type Db = SqlitePool;

pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("../migrations").run(&pool).await?;
    Ok(pool)
}

/// A write transaction. `BEGIN IMMEDIATE` takes SQLite's write lock at the start (waiting in
/// the busy handler while another writer holds it), so a transaction that reads and then
/// writes never fails with "database is locked" because a sync batch wrote in between.
pub async fn write_tx(db: &Db) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    db.begin_with("BEGIN IMMEDIATE").await
}

/// Current UTC time as stored: RFC 3339 with milliseconds, so text order is time order.
pub fn now() -> String {
    timestamp(chrono::Utc::now())
}

pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
