//! What the benchmarks share: the database they run on, and the app started on it.
//!
//! SQLite (a file in `dir`) by default; PostgreSQL when `BENCH_POSTGRES` names a server
//! (`postgres://user@host:port`, as `make bench` passes it from a throwaway cluster), where a
//! database of its own is created for the run.
use server::config::Config;
use server::state::AppState;
use sqlx::Connection;

/// The real app with demo data on `db_url`, and a loopback listener on a free port for it
/// (`server::serve(listener, router)` starts it).
pub async fn app(db_url: &str) -> (tokio::net::TcpListener, axum::Router, AppState) {
    let config = Config {
        database_url: db_url.to_string(),
        demo: true,
        ..Config::default()
    };
    let options = leptos::config::LeptosOptions::builder()
        .output_name("drims")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build();
    let (router, state) = server::build(config, options).await.expect("app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    (listener, router, state)
}

/// (database URL, a label for the report).
pub async fn database(dir: &std::path::Path, file: &str) -> (String, String) {
    match std::env::var("BENCH_POSTGRES")
        .ok()
        .filter(|v| !v.is_empty())
    {
        None => {
            let path = dir.join(file);
            (
                format!("sqlite://{}", path.display()),
                format!("SQLite at {}", path.display()),
            )
        }
        Some(server) => {
            sqlx::any::install_default_drivers();
            let name = format!("drims_bench_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::AnyConnection::connect(&format!("{server}/postgres"))
                .await
                .expect("connect to the PostgreSQL server");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .expect("create the bench database");
            (
                format!("{server}/{name}"),
                format!("PostgreSQL database {name}"),
            )
        }
    }
}

pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres")
}
