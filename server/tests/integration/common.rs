//! Test harness: a running server, clients with their own cookie jars, and its database.
//!
//! The engine: SQLite (a file in a temp dir) by default; PostgreSQL when
//! `DRIMS_TEST_POSTGRES` names a server (`postgres://user@host:port`), where every app gets a
//! database of its own, created here.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::config::Config;

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    _dir: tempfile::TempDir,
}

/// The PostgreSQL server the tests run on, if any (`DRIMS_TEST_POSTGRES`).
pub fn postgres() -> Option<String> {
    std::env::var("DRIMS_TEST_POSTGRES")
        .ok()
        .filter(|v| !v.is_empty())
}

/// A new, empty database on the engine under test: a file in `dir`, or a database created on
/// the PostgreSQL server.
pub async fn fresh_database_url(dir: &std::path::Path) -> String {
    match postgres() {
        None => format!("sqlite://{}", dir.join("drims-test.db").display()),
        Some(server) => {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let name = format!("drims_t_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::AnyConnection::connect(&format!("{server}/postgres"))
                .await
                .expect("connect to the test PostgreSQL server");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .expect("create a test database");
            format!("{server}/{name}")
        }
    }
}

pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    // The server's errors, shown with a failing test's output (RUST_LOG, default "error").
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "error".into()),
        )
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(dir.path()).await;
    let mut config = Config {
        database_url: database_url.clone(),
        demo: true,
        ..Config::default()
    };
    adjust(&mut config);
    let options = leptos::config::LeptosOptions::builder()
        .output_name("drims")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build();
    let (router, _) = server::build(config, options).await.expect("app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(server::serve(listener, router));
    TestApp {
        base: format!("http://{addr}"),
        database_url,
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A fresh browser-like client: its own cookies, redirects not followed.
    pub fn client(&self) -> Client {
        // A request that hangs fails its test instead of stalling the whole run.
        Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A client signed in as `username` (demo password).
    pub async fn signed_in(&self, username: &str) -> Client {
        let client = self.client();
        let res = client
            .post(self.url("/api/session"))
            .json(&json!({ "username": username, "password": "drims-demo" }))
            .send()
            .await
            .expect("sign in");
        assert_eq!(res.status(), StatusCode::OK, "sign in as {username}");
        client
    }

    /// The form token this client's pages carry (the `csrf-token` meta tag).
    pub async fn form_token(&self, client: &Client) -> String {
        let html = client
            .get(self.url("/login"))
            .send()
            .await
            .expect("login page")
            .text()
            .await
            .expect("page body");
        form_token_in(&html)
    }

    /// Posts a URL-encoded form as the page would: with this client's form token.
    pub async fn post_form<T: serde::Serialize + ?Sized>(
        &self,
        client: &Client,
        path: &str,
        form: &T,
    ) -> reqwest::Response {
        let token = self.form_token(client).await;
        let mut body = serde_urlencoded::to_string(form).expect("form encodes");
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(&serde_urlencoded::to_string([("csrf", token)]).expect("token encodes"));
        client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("form post")
    }

    pub async fn db(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.database_url)
            .await
            .expect("open test db")
    }

    pub async fn hub_id(&self, name: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM hubs WHERE name = $1")
            .bind(name)
            .fetch_one(&self.db().await)
            .await
            .expect("hub exists")
    }

    pub async fn user_id(&self, username: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(username)
            .fetch_one(&self.db().await)
            .await
            .expect("user exists")
    }

    pub async fn audit_count(&self, entity: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity = $1")
            .bind(entity)
            .fetch_one(&self.db().await)
            .await
            .expect("count audit")
    }
}

/// The form token rendered into a page.
pub fn form_token_in(html: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker).expect("page has a form token") + marker.len();
    html[start..]
        .split('"')
        .next()
        .expect("token ends")
        .to_string()
}

/// Status and JSON body of a response.
pub async fn read(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

pub const DEMO_USERS: [&str; 8] = [
    "admin", "lm", "lo", "main", "sub", "agency", "clerk", "auditor",
];
