//! Findings 1-3: lock-out by strangers, parallel guesses, open redirect after sign-in.
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{read, spawn, spawn_with, TestApp};

async fn attempt(app: &TestApp, from: &str, user: &str, pass: &str) -> StatusCode {
    app.client()
        .post(app.url("/api/session"))
        .header("x-forwarded-for", from)
        .json(&json!({ "username": user, "password": pass }))
        .send()
        .await
        .unwrap()
        .status()
}

/// Finding 1: failures count per (account, address) and per address, so a stranger cannot
/// lock the real user out; the proxy's `X-Forwarded-For` is believed only when it is trusted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_cannot_lock_a_user_out() {
    let app = spawn_with(|c| {
        c.trusted_proxies = server::auth::client_address::parse_ranges("127.0.0.1").unwrap()
    })
    .await;
    let attacker = "198.51.100.7";
    for _ in 0..5 {
        assert_eq!(
            attempt(&app, attacker, "lm", "guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // The attacker now waits, even with the right password...
    assert_eq!(
        attempt(&app, attacker, "lm", "drims-demo").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...but the real LM, from the office, signs in.
    assert_eq!(
        attempt(&app, "203.0.113.5", "lm", "drims-demo").await,
        StatusCode::OK
    );
    // The delay grows with each failure and is counted in the database.
    let rows: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE key LIKE 'pair:lm|198.51.100.7'",
    )
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    assert_eq!(rows, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_are_ignored_unless_the_proxy_is_trusted() {
    let app = spawn().await;
    for i in 0..5 {
        let from = format!("198.51.100.{i}");
        assert_eq!(
            attempt(&app, &from, "lo", "guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Spoofing another X-Forwarded-For changes nothing: the peer address is the client.
    assert_eq!(
        attempt(&app, "203.0.113.99", "lo", "drims-demo").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Finding 2: each attempt is recorded before the password is checked, atomically with the
/// check, so guesses sent in parallel are limited like sequential ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_are_limited() {
    let app = spawn().await;
    let guesses = (0..30).map(|i| {
        let client = app.client();
        let url = app.url("/api/session");
        async move {
            client
                .post(url)
                .json(&json!({ "username": "lm", "password": format!("guess-{i}") }))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked <= 5,
        "{checked} passwords were checked: {statuses:?}"
    );
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS));
}

/// Finding 2: only a bounded number of password checks run at once; the rest get a quick 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_password_checks_are_bounded() {
    let app = spawn_with(|c| {
        c.max_concurrent_sign_ins = 1;
        c.sign_in_wait_ms = 0;
        c.trusted_proxies = server::auth::client_address::parse_ranges("127.0.0.1").unwrap();
    })
    .await;
    let started = std::time::Instant::now();
    let sign_ins = (0..40).map(|i| {
        let app = &app;
        async move { attempt(app, &format!("203.0.113.{i}"), "auditor", "drims-demo").await }
    });
    let statuses = futures::future::join_all(sign_ins).await;
    let busy = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(busy > 0, "some were told to wait: {statuses:?}");
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::OK || *s == StatusCode::TOO_MANY_REQUESTS));
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // A refusal for load is no failure: the user is not held back afterwards.
    assert_eq!(
        attempt(&app, "203.0.113.1", "auditor", "drims-demo").await,
        StatusCode::OK
    );
}

/// Finding 3: `next` is followed only when it is a path on this site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_follows_only_local_paths() {
    let app = spawn().await;
    for (next, expected) in [
        ("/\\evil.example", "/"),
        ("/\\/evil.example", "/"),
        ("//evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/%5Cevil.example", "/%5Cevil.example"),
        ("/needs-lists?queue=all", "/needs-lists?queue=all"),
    ] {
        let res = app
            .post_form(
                &app.client(),
                "/login",
                &[
                    ("username", "lo"),
                    ("password", "drims-demo"),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], expected, "next={next:?}");
    }
    let (status, _) = read(app.client().get(app.url("/api/ping")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
