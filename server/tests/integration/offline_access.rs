//! Offline access over HTTP: sign-in with a device kept for offline use (secret + signed
//! grant), grant verification, `/api/offline/access`, sign-out, and the ADMIN offline policy.
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{read, spawn, TestApp, DEMO_USERS};

/// Signs `who` in from `device` (when given); returns the client and the response body.
pub async fn sign_in_on(
    app: &TestApp,
    who: &str,
    password: &str,
    device: Option<&str>,
    keep: bool,
) -> (Client, Value) {
    let client = app.client();
    let mut body = json!({ "username": who, "password": password, "keep_offline": keep });
    if let Some(d) = device {
        body["device"] = json!({ "id": d, "name": "Field laptop" });
    }
    let (status, value) = read(
        client
            .post(app.url("/api/session"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{who}: {value}");
    (client, value)
}

async fn kept(app: &TestApp, who: &str, device: &str) -> (Client, Value) {
    sign_in_on(app, who, "drims-demo", Some(device), true).await
}

fn time(v: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap()
}

async fn verify(app: &TestApp, client: &Client, grant: &str) -> (StatusCode, Value) {
    read(
        client
            .post(app.url("/api/offline/grant/verify"))
            .json(&json!({ "grant": grant }))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn access(app: &TestApp, client: &Client) -> (StatusCode, Value) {
    read(
        client
            .get(app.url("/api/offline/access"))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn device_keys(app: &TestApp, who: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM device_keys WHERE user_id = $1")
        .bind(app.user_id(who).await)
        .fetch_one(&app.db().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_device_gets_a_signed_grant_for_the_policy_window() {
    let app = spawn().await;
    let (sub, body) = kept(&app, "sub", "laptop-1").await;
    // Today's shape is kept at the top level.
    assert_eq!(body["username"], "sub");
    assert_eq!(body["role"], "SUB_HUB_USER");
    assert_eq!(body["id"], app.user_id("sub").await);
    assert_eq!(body["device_mode"], "offline");
    let offline = &body["offline"];
    let claims = &offline["claims"];
    assert_eq!(claims["user_id"], body["id"]);
    assert_eq!(claims["device_id"], "laptop-1");
    assert_eq!(claims["role"], "SUB_HUB_USER");
    assert_eq!(claims["hub_id"], body["hub_id"]);
    assert_eq!(
        time(&claims["expires_at"]) - time(&claims["issued_at"]),
        chrono::Duration::days(7)
    );
    assert_eq!(offline["idle_lock_minutes"], 15);
    assert!(offline["server_time"].is_string());
    let secret = app::offline::crypto::unb64(offline["device_secret"].as_str().unwrap()).unwrap();
    assert_eq!(secret.len(), 32);

    let grant = offline["grant"].as_str().unwrap();
    let (status, check) = verify(&app, &sub, grant).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(check["valid"], true, "{check}");
    assert_eq!(&check["claims"], claims);

    // Claims changed (a longer window) under the old signature: refused.
    let (_, sig) = grant.split_once('.').unwrap();
    let mut longer = claims.clone();
    longer["expires_at"] = json!("2099-01-01T00:00:00.000Z");
    let forged = format!(
        "{}.{sig}",
        app::offline::crypto::b64(longer.to_string().as_bytes())
    );
    let (_, check) = verify(&app, &sub, &forged).await;
    assert_eq!(check["valid"], false);
    assert_eq!(check["reason"], "bad_signature");
    let (_, check) = verify(&app, &sub, "not a grant").await;
    assert_eq!(check["reason"], "malformed");
    let (status, _) = verify(&app, &app.client(), grant).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Without "keep", or without a device: online only, nothing kept.
    let (_, body) = sign_in_on(&app, "lm", "drims-demo", Some("laptop-1"), false).await;
    assert_eq!(body["device_mode"], "online-only");
    assert!(body["offline"].is_null());
    let (_, body) = sign_in_on(&app, "lo", "drims-demo", None, true).await;
    assert_eq!(body["device_mode"], "online-only");
    assert_eq!(
        device_keys(&app, "lm").await + device_keys(&app, "lo").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_window_of_zero_keeps_no_device() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let res = admin
        .put(app.url("/api/offline-policy"))
        .json(&json!({ "offline_window_days": 0, "idle_lock_minutes": 15 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (sub, body) = kept(&app, "sub", "laptop-1").await;
    assert_eq!(body["device_mode"], "online-only");
    assert!(body["offline"].is_null());
    assert_eq!(device_keys(&app, "sub").await, 0);
    let (status, _) = access(&app, &sub).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_secret_survives_sign_ins_and_a_password_change() {
    let app = spawn().await;
    let (_, first) = kept(&app, "sub", "laptop-1").await;
    let (_, second) = kept(&app, "sub", "laptop-1").await;
    let secret = first["offline"]["device_secret"].clone();
    assert_eq!(second["offline"]["device_secret"], secret);
    assert_ne!(second["offline"]["grant"], first["offline"]["grant"]);
    let (_, other) = kept(&app, "sub", "laptop-2").await;
    assert_ne!(
        other["offline"]["device_secret"], secret,
        "one secret per device"
    );

    let admin = app.signed_in("admin").await;
    let id = app.user_id("sub").await;
    let res = admin
        .put(app.url(&format!("/api/users/{id}")))
        .json(&json!({
            "username": "sub", "display_name": first["display_name"], "role": "SUB_HUB_USER",
            "hub_id": first["hub_id"], "password": "a brand new password",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, after) = sign_in_on(&app, "sub", "a brand new password", Some("laptop-1"), true).await;
    assert_eq!(after["offline"]["device_secret"], secret);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_access_goes_only_to_the_sessions_own_kept_device() {
    let app = spawn().await;
    let (sub, body) = kept(&app, "sub", "laptop-1").await;
    let secret = body["offline"]["device_secret"].clone();
    let (status, fresh) = access(&app, &sub).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(fresh["device_secret"], secret);
    assert_eq!(fresh["claims"]["device_id"], "laptop-1");
    let (_, check) = verify(&app, &sub, fresh["grant"].as_str().unwrap()).await;
    assert_eq!(check["valid"], true);

    // The same user on another device, never kept; or with no device at all.
    let (other_device, _) = sign_in_on(&app, "sub", "drims-demo", Some("laptop-2"), false).await;
    let (no_device, _) = sign_in_on(&app, "sub", "drims-demo", None, false).await;
    // Another user on the very device sub keeps.
    let (lm_there, _) = sign_in_on(&app, "lm", "drims-demo", Some("laptop-1"), false).await;
    for client in [&other_device, &no_device, &lm_there] {
        let (status, err) = access(&app, client).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{err}");
        assert_eq!(err["error"]["code"], "not_found");
        assert_eq!(
            err["error"]["message"],
            "This device is not kept for offline use."
        );
    }
    let (status, _) = access(&app, &app.client()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // sub's device is still kept after the others signed in.
    assert_eq!(access(&app, &sub).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_stops_keeping_the_device() {
    let app = spawn().await;
    let (sub, first) = kept(&app, "sub", "laptop-1").await;
    let (_, other) = kept(&app, "sub", "laptop-2").await;
    let res = sub.delete(app.url("/api/session")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        device_keys(&app, "sub").await,
        1,
        "only laptop-1 is forgotten"
    );
    let (again, body) = kept(&app, "sub", "laptop-1").await;
    assert_ne!(
        body["offline"]["device_secret"], first["offline"]["device_secret"],
        "a new secret after sign-out"
    );
    // The no-JS sign-out too.
    let res = app.post_form(&again, "/logout", &[("", ""); 0]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(device_keys(&app, "sub").await, 1);
    // A sign-in without "keep" forgets the device as well.
    let (_, body) = sign_in_on(&app, "sub", "drims-demo", Some("laptop-2"), false).await;
    assert_eq!(body["device_mode"], "online-only");
    assert_eq!(device_keys(&app, "sub").await, 0);
    assert!(other["offline"]["device_secret"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_device_id_is_refused_and_deactivation_keeps_its_403() {
    let app = spawn().await;
    for id in ["", "has space", "a/b", &"x".repeat(101)] {
        let (status, err) = read(
            app.client()
                .post(app.url("/api/session"))
                .json(&json!({ "username": "sub", "password": "drims-demo",
                               "device": { "id": id }, "keep_offline": true }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{id:?}");
        assert_eq!(err["error"]["code"], "invalid");
        assert_eq!(err["error"]["field"], "device");
    }
    let admin = app.signed_in("admin").await;
    let id = app.user_id("clerk").await;
    let (_, clerk) = kept(&app, "clerk", "laptop-9").await;
    let res = admin
        .put(app.url(&format!("/api/users/{id}")))
        .json(
            &json!({ "username": "clerk", "display_name": clerk["display_name"],
                       "role": "INVENTORY_CLERK", "hub_id": clerk["hub_id"], "active": false }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, err) = read(
        app.client()
            .post(app.url("/api/session"))
            .json(&json!({ "username": "clerk", "password": "drims-demo",
                           "device": { "id": "laptop-9" }, "keep_offline": true }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        err["error"]["message"],
        "This account has been deactivated. Contact your administrator."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_policy_is_admin_only_validated_and_audited() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let (status, policy) = read(
        admin
            .get(app.url("/api/offline-policy"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        policy,
        json!({ "offline_window_days": 7, "idle_lock_minutes": 15 })
    );
    let change = json!({ "offline_window_days": 3, "idle_lock_minutes": 5 });
    for who in DEMO_USERS.into_iter().filter(|w| *w != "admin") {
        let client = app.signed_in(who).await;
        let (status, err) = read(
            client
                .get(app.url("/api/offline-policy"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} GET: {err}");
        assert_eq!(err["error"]["code"], "forbidden");
        let res = client
            .put(app.url("/api/offline-policy"))
            .json(&change)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who} PUT");
        let html = client
            .get(app.url("/admin/offline-policy"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("may not manage users, devices or offline policy"),
            "{who}"
        );
        assert!(
            !html.contains("name=\"offline_window_days\""),
            "{who} sees no form"
        );
    }
    let signed_out = app.client();
    assert_eq!(
        signed_out
            .get(app.url("/api/offline-policy"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        signed_out
            .put(app.url("/api/offline-policy"))
            .json(&change)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    for (bad, field) in [
        (
            json!({ "offline_window_days": -1, "idle_lock_minutes": 5 }),
            "offline_window_days",
        ),
        (
            json!({ "offline_window_days": 91, "idle_lock_minutes": 5 }),
            "offline_window_days",
        ),
        (
            json!({ "offline_window_days": 3, "idle_lock_minutes": 0 }),
            "idle_lock_minutes",
        ),
        (
            json!({ "offline_window_days": 3, "idle_lock_minutes": 1441 }),
            "idle_lock_minutes",
        ),
    ] {
        let (status, err) = read(
            admin
                .put(app.url("/api/offline-policy"))
                .json(&bad)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(err["error"]["field"], field, "{bad}");
    }
    assert_eq!(
        app.audit_count("offline_policy").await,
        0,
        "refusals change nothing"
    );

    let (status, saved) = read(
        admin
            .put(app.url("/api/offline-policy"))
            .json(&change)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(saved, change);
    let details: String = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE entity = 'offline_policy' AND action = 'update' \
         AND user_id = $1",
    )
    .bind(app.user_id("admin").await)
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    let details: Value = serde_json::from_str(&details).unwrap();
    assert_eq!(details["before"]["offline_window_days"], 7);
    assert_eq!(details["after"], change);
    // The new window applies to the next grant.
    let (_, body) = kept(&app, "sub", "laptop-1").await;
    let claims = &body["offline"]["claims"];
    assert_eq!(
        time(&claims["expires_at"]) - time(&claims["issued_at"]),
        chrono::Duration::days(3)
    );
    assert_eq!(body["offline"]["idle_lock_minutes"], 5);

    // The page and its no-JS form.
    let html = admin
        .get(app.url("/admin/offline-policy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("name=\"offline_window_days\"") && html.contains("value=\"3\""));
    assert!(html.contains("href=\"/admin/offline-policy\""), "nav link");
    let res = app
        .post_form(
            &admin,
            "/forms/offline-policy",
            &[("offline_window_days", "10"), ("idle_lock_minutes", "20")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/admin/offline-policy?notice="),
        "{location}"
    );
    let res = app
        .post_form(
            &admin,
            "/forms/offline-policy",
            &[("offline_window_days", "100"), ("idle_lock_minutes", "20")],
        )
        .await;
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/admin/offline-policy?error="),
        "{location}"
    );
    let html = admin
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("The offline window must be 0 to 90 days"),
        "error shown"
    );
    assert!(html.contains("value=\"100\""), "the entered value is kept");
    let lm = app.signed_in("lm").await;
    let res = app
        .post_form(
            &lm,
            "/forms/offline-policy",
            &[("offline_window_days", "1"), ("idle_lock_minutes", "1")],
        )
        .await;
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("error="), "{location}");
    let (_, policy) = read(
        admin
            .get(app.url("/api/offline-policy"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        policy,
        json!({ "offline_window_days": 10, "idle_lock_minutes": 20 })
    );
    assert_eq!(app.audit_count("offline_policy").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_form_can_keep_the_device_too() {
    let app = spawn().await;
    let client = app.client();
    let res = app
        .post_form(
            &client,
            "/login",
            &[
                ("username", "sub"),
                ("password", "drims-demo"),
                ("next", "/"),
                ("device_id", "form-laptop"),
                ("keep_offline", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, fresh) = access(&app, &client).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(fresh["claims"]["device_id"], "form-laptop");
    let res = app
        .post_form(
            &app.client(),
            "/login",
            &[
                ("username", "sub"),
                ("password", "drims-demo"),
                ("device_id", "bad id"),
            ],
        )
        .await;
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/login?error="), "{location}");
}
