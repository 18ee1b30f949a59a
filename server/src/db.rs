//! The connection pool, on either engine, chosen by `DATABASE_URL`:
//! - `sqlite://…` (the embedded default): the file is created if missing, WAL and foreign keys
//!   on, migrations from `migrations/` applied at start-up;
//! - `postgres://…`: migrations from `migrations/postgres/` (same numbers, same meaning).
//!
//! Queries go through sqlx's `Any` driver and are written once for both engines: numbered
//! parameters (`$1`, which SQLite reads too) and SQL both understand. Where the engines differ
//! (the write lock, a date difference), `Engine` says which one runs.
use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{
    Any, AnyConnection, AnyPool, Arguments, ConnectOptions, Connection, Encode, Executor, Type,
};

pub type Db = AnyPool;
pub type Tx = sqlx::Transaction<'static, Any>;

/// Which database engine a pool or connection talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of_url(url: &str) -> Result<Engine, sqlx::Error> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Engine::Postgres)
        } else {
            Err(sqlx::Error::Configuration(
                "DATABASE_URL must start with sqlite:// or postgres://".into(),
            ))
        }
    }

    pub fn of_pool(db: &Db) -> Engine {
        match db.connect_options().database_url.scheme() {
            "sqlite" => Engine::Sqlite,
            _ => Engine::Postgres,
        }
    }

    pub fn of_conn(conn: &AnyConnection) -> Engine {
        match conn.backend_name() {
            "SQLite" => Engine::Sqlite,
            _ => Engine::Postgres,
        }
    }
}

/// The advisory lock every PostgreSQL write transaction takes first (an arbitrary constant,
/// "DRIMS" in ASCII): writers on all server processes take turns, as SQLite's one writer does.
const WRITE_LOCK: i64 = 0x44_52_49_4d_53;

pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
    connect_with(url, default_pool_size(url)?).await
}

/// The URL as it may be logged: a password in it is replaced by `***`.
pub fn redacted(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((userinfo, host)) = rest.rsplit_once('@') {
            if let Some((user, _password)) = userinfo.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

/// `connect` with the configured pool size, if any.
pub async fn open(config: &crate::config::Config) -> Result<Db, sqlx::Error> {
    let url = &config.database_url;
    match config.db_pool_size {
        Some(size) => connect_with(url, size).await,
        None => connect(url).await,
    }
}

fn default_pool_size(url: &str) -> Result<u32, sqlx::Error> {
    Ok(match Engine::of_url(url)? {
        Engine::Sqlite => 8,
        Engine::Postgres => 16,
    })
}

pub async fn connect_with(url: &str, max_connections: u32) -> Result<Db, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let engine = Engine::of_url(url)?;
    if engine == Engine::Sqlite {
        // Create the file and switch it to WAL once (the journal mode stays with the file).
        let first = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .connect()
            .await?;
        first.close().await?;
    }
    let options = AnyConnectOptions::from_str(url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if engine == Engine::Sqlite {
                    for pragma in [
                        "PRAGMA foreign_keys = ON",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA busy_timeout = 10000",
                    ] {
                        conn.execute(pragma).await?;
                    }
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    match engine {
        Engine::Sqlite => sqlx::migrate!("../migrations").run(&pool).await?,
        Engine::Postgres => sqlx::migrate!("../migrations/postgres").run(&pool).await?,
    }
    Ok(pool)
}

/// A write transaction. On SQLite `BEGIN IMMEDIATE` takes the write lock at the start (waiting
/// in the busy handler while another writer holds it), so a transaction that reads and then
/// writes never fails with "database is locked" because a sync batch wrote in between. On
/// PostgreSQL the transaction takes the writers' advisory lock first, held until it ends: what
/// it reads is what every writer before it committed, on whichever server process.
pub async fn write_tx(db: &Db) -> Result<Tx, sqlx::Error> {
    match Engine::of_pool(db) {
        Engine::Sqlite => db.begin_with("BEGIN IMMEDIATE").await,
        Engine::Postgres => {
            let mut tx = db.begin().await?;
            sqlx::query("SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock($1)) AS turn")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok(tx)
        }
    }
}

/// Runs `$run`, a future using `$conn`, under the savepoint `$name`: rolled back to it if the
/// future fails, so the transaction goes on without its writes (and, on PostgreSQL, usable
/// after a failed statement). Savepoints nest; the innermost of a name is the one meant.
macro_rules! savepoint {
    ($conn:ident, $name:literal, $run:expr) => {{
        sqlx::query(concat!("SAVEPOINT ", $name))
            .execute(&mut *$conn)
            .await?;
        let result = $run.await;
        if result.is_err() {
            sqlx::query(concat!("ROLLBACK TO SAVEPOINT ", $name))
                .execute(&mut *$conn)
                .await?;
        }
        sqlx::query(concat!("RELEASE SAVEPOINT ", $name))
            .execute(&mut *$conn)
            .await?;
        result
    }};
}
pub(crate) use savepoint;

/// Current UTC time as stored: RFC 3339 with milliseconds, so text order is time order.
pub fn now() -> String {
    timestamp(chrono::Utc::now())
}

pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// SQL built at run time with numbered parameters (`$1`, `$2`, …), which both engines read.
/// (sqlx's `QueryBuilder` writes `?` under the `Any` driver, which PostgreSQL refuses.)
pub struct Sql {
    text: String,
    args: AnyArguments<'static>,
    count: usize,
}

impl Sql {
    pub fn new(start: &str) -> Sql {
        Sql {
            text: start.to_string(),
            args: AnyArguments::default(),
            count: 0,
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a parameter holding `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Sql
    where
        T: Encode<'static, Any> + Type<Any> + 'static,
    {
        self.count += 1;
        let _ = write!(self.text, "${}", self.count);
        // Adding to an `AnyArguments` buffer only fails for a type `Any` cannot carry, which
        // `T: Encode<Any>` rules out at compile time.
        let _ = self.args.add(value);
        self
    }

    /// Appends `(…)` with one parameter per value, comma-separated.
    pub fn bind_list<T, I>(&mut self, values: I) -> &mut Sql
    where
        I: IntoIterator<Item = T>,
        T: Encode<'static, Any> + Type<Any> + 'static,
    {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self.push(")")
    }

    pub async fn execute(self, conn: &mut AnyConnection) -> Result<u64, sqlx::Error> {
        let done = sqlx::query_with(&self.text, self.args)
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn fetch_all<O>(self, conn: &mut AnyConnection) -> Result<Vec<O>, sqlx::Error>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        sqlx::query_as_with(&self.text, self.args)
            .fetch_all(conn)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::{redacted, Engine};

    #[test]
    fn the_engine_comes_from_the_url_and_a_password_is_never_shown() {
        assert_eq!(Engine::of_url("sqlite://drims.db").unwrap(), Engine::Sqlite);
        assert_eq!(Engine::of_url("postgres://h/db").unwrap(), Engine::Postgres);
        assert_eq!(
            Engine::of_url("postgresql://h/db").unwrap(),
            Engine::Postgres
        );
        assert!(Engine::of_url("mysql://h/db").is_err());
        assert_eq!(
            redacted("postgres://drims:s3cr@t@db:5432/drims"),
            "postgres://drims:***@db:5432/drims"
        );
        assert_eq!(
            redacted("postgres://drims@db/drims"),
            "postgres://drims@db/drims"
        );
        assert_eq!(redacted("sqlite://drims.db"), "sqlite://drims.db");
    }
}
