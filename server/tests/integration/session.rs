//! Sign-in, sign-out, sessions, rate limits, health.
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{read, spawn, spawn_with, DEMO_USERS};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_demo_user_signs_in_and_sees_themselves() {
    let app = spawn().await;
    for username in DEMO_USERS {
        let client = app.signed_in(username).await;
        let (status, me) = read(client.get(app.url("/api/session")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["username"], username);
        for key in ["id", "display_name", "role", "hub_id", "hub_type"] {
            assert!(me.get(key).is_some(), "{key} missing in {me}");
        }
    }
    let clerk = app.signed_in("clerk").await;
    let (_, me) = read(clerk.get(app.url("/api/session")).send().await.unwrap()).await;
    assert_eq!(me["role"], "INVENTORY_CLERK");
    assert_eq!(me["hub_type"], "SUB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_is_http_only_and_same_site() {
    let app = spawn().await;
    let res = app
        .client()
        .post(app.url("/api/session"))
        .json(&json!({ "username": "admin", "password": "drims-demo" }))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("drims_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let token = cookie
        .trim_start_matches("drims_session=")
        .split(';')
        .next()
        .unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = $1")
        .bind(token)
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(stored, 0, "the raw token must not be stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_user_get_the_same_clear_401() {
    let app = spawn().await;
    for (user, pass) in [("admin", "wrong-password"), ("nobody", "drims-demo")] {
        let res = app
            .client()
            .post(app.url("/api/session"))
            .json(&json!({ "username": user, "password": pass }))
            .send()
            .await
            .unwrap();
        let (status, body) = read(res).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "unauthorized");
        assert_eq!(body["error"]["message"], "Incorrect username or password.");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_specific_400s() {
    let app = spawn().await;
    let client = app.client();
    let cases = [
        (
            json!({ "username": "", "password": "x" }),
            "username",
            "Username is required.",
        ),
        (
            json!({ "username": "admin", "password": "" }),
            "password",
            "Password is required.",
        ),
        (
            json!({ "username": "a".repeat(65), "password": "x" }),
            "username",
            "too long",
        ),
        (
            json!({ "username": "admin", "password": "p".repeat(300) }),
            "password",
            "too long",
        ),
    ];
    for (body, field, message) in cases {
        let (status, err) = read(
            client
                .post(app.url("/api/session"))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(err["error"]["field"], field);
        assert!(
            err["error"]["message"].as_str().unwrap().contains(message),
            "{err}"
        );
    }
    let res = client
        .post(app.url("/api/session"))
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    let (status, err) = read(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{err}"
    );
    let res = client
        .post(app.url("/api/session"))
        .body("username=admin")
        .send()
        .await
        .unwrap();
    let (status, err) = read(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Content-Type"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_the_account_but_not_others() {
    let app = spawn().await;
    let client = app.client();
    let attempt = |user: &'static str, pass: &'static str| {
        client
            .post(app.url("/api/session"))
            .json(&json!({ "username": user, "password": pass }))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("lm", "bad").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, err) = read(attempt("lm", "drims-demo").await.unwrap()).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert_eq!(err["error"]["code"], "rate_limited");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Too many"),
        "{err}"
    );
    assert_eq!(
        attempt("lo", "drims-demo").await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_from_one_address_are_limited() {
    let app = spawn_with(|c| c.max_failures_per_address = 3).await;
    let client = app.client();
    for user in ["admin", "lm", "lo"] {
        let res = client
            .post(app.url("/api/session"))
            .json(&json!({ "username": user, "password": "bad" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = client
        .post(app.url("/api/session"))
        .json(&json!({ "username": "auditor", "password": "drims-demo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_are_refused() {
    let app = spawn().await;
    let client = app.signed_in("auditor").await;
    assert_eq!(
        client
            .get(app.url("/api/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    sqlx::query("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z'")
        .execute(&app.db().await)
        .await
        .unwrap();
    let (status, err) = read(client.get(app.url("/api/session")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["error"]["code"], "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_requests_get_401_everywhere() {
    let app = spawn().await;
    let client = app.client();
    for path in [
        "/api/session",
        "/api/hubs",
        "/api/items",
        "/api/events",
        "/api/users",
    ] {
        let (status, err) = read(client.get(app.url(path)).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(err["error"]["code"], "unauthorized", "{path}");
    }
    let res = client
        .post(app.url("/api/hubs"))
        .json(&json!({"name": "X", "type": "SUB"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_ends_the_session() {
    let app = spawn().await;
    let client = app.signed_in("lo").await;
    let res = client.delete(app.url("/api/session")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        client
            .get(app.url("/api/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivated_accounts_lose_their_sessions_and_get_a_clear_message() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let clerk = app.signed_in("clerk").await;
    let clerk_id = app.user_id("clerk").await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let res = admin
        .put(app.url(&format!("/api/users/{clerk_id}")))
        .json(&json!({ "display_name": "Carl Clerk", "role": "INVENTORY_CLERK", "hub_id": hub, "active": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        clerk
            .get(app.url("/api/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, err) = read(
        app.client()
            .post(app.url("/api/session"))
            .json(&json!({ "username": "clerk", "password": "drims-demo" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deactivated"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_ping() {
    let app = spawn().await;
    let (status, body) = read(
        app.client()
            .get(app.url("/api/health"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["database"], "ok");
    let res = app.client().get(app.url("/api/ping")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.text().await.unwrap().is_empty());
}
