//! The device registry over HTTP (issue 12): registration at sign-in (JSON and no-JS form),
//! sync and last-seen bookkeeping, the device policy, the offline cap under concurrency,
//! revocation and deprovisioning enforced by the server, the ADMIN-only API and CSV exports,
//! and the first administrator from configuration.
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{read, spawn, spawn_with, TestApp, DEMO_USERS};

/// Signs `who` in from `device`; returns the client and the answer.
async fn on_device(app: &TestApp, who: &str, device: &str, keep: bool) -> (Client, Value) {
    let client = app.client();
    let (status, body) = read(
        client
            .post(app.url("/api/session"))
            .header("user-agent", "Mozilla/5.0 (X11; Linux) FieldBrowser/1.0")
            .json(&json!({
                "username": who, "password": "drims-demo", "keep_offline": keep,
                "device": { "id": device, "name": format!("{who}'s tablet") },
                "app_version": "0.9.1",
            }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{who} on {device}: {body}");
    (client, body)
}

async fn get(app: &TestApp, client: &Client, path: &str) -> (StatusCode, Value) {
    read(client.get(app.url(path)).send().await.unwrap()).await
}

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    read(client.post(app.url(path)).json(&body).send().await.unwrap()).await
}

async fn put(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    read(client.put(app.url(path)).json(&body).send().await.unwrap()).await
}

async fn sync_as(
    app: &TestApp,
    client: &Client,
    device: &str,
    ops: Vec<Value>,
) -> (StatusCode, Value) {
    post(
        app,
        client,
        "/api/offline/sync",
        json!({ "device_id": device, "operations": ops }),
    )
    .await
}

fn device<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("device {id} listed in {list}"))
}

fn kinds(detail: &Value) -> Vec<String> {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn policy(app: &TestApp, admin: &Client, body: Value) {
    let (status, answer) = put(app, admin, "/api/device-policy", body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

async fn scalar(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&app.db().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_registers_the_device_and_sync_and_calls_update_it() {
    let app = spawn().await;
    let (sub, body) = on_device(&app, "sub", "tab-1", true).await;
    assert_eq!(body["device_mode"], "offline", "ask-user + ticked: kept");
    let admin = app.signed_in("admin").await;
    let (status, list) = get(&app, &admin, "/api/devices").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let d = device(&list, "tab-1");
    assert_eq!(d["name"], "sub's tablet");
    assert_eq!(d["user"], "sub");
    assert_eq!(d["platform"], "Mozilla/5.0 (X11; Linux) FieldBrowser/1.0");
    assert_eq!(d["app_version"], "0.9.1");
    assert_eq!(d["offline_enabled"], true);
    assert_eq!(d["revoked"], false);
    assert!(d["registered_at"].is_string() && d["last_sync_at"].is_null());
    assert_eq!(list["policy"]["default_mode"], "ask-user");
    assert_eq!(list["policy"]["current_offline_count"], 1);

    // A sync records when and how many.
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let event = crate::sync::event_id(&app).await;
    let item = crate::sync::item_id(&app, "Rice 5 kg").await;
    let intake = crate::sync::op(
        "intake",
        hub,
        json!({ "item_id": item, "quantity": 3, "event_id": event }),
    );
    let (status, answer) = sync_as(&app, &sub, "tab-1", vec![intake]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, list) = get(&app, &admin, "/api/devices").await;
    let d = device(&list, "tab-1");
    assert!(d["last_sync_at"].is_string(), "{d}");
    assert_eq!(d["last_sync_count"], 1);

    // A signed-in call naming the device marks it seen.
    sqlx::query("UPDATE devices SET last_seen_at = NULL WHERE id = 'tab-1'")
        .execute(&app.db().await)
        .await
        .unwrap();
    let res = sub
        .get(app.url("/api/session"))
        .header("x-device-id", "tab-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, list) = get(&app, &admin, "/api/devices").await;
    assert!(device(&list, "tab-1")["last_seen_at"].is_string());
    // Written at most once a minute: a call 30 s after the last one leaves it alone.
    let recent = (chrono::Utc::now() - chrono::Duration::seconds(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE id = 'tab-1'")
        .bind(&recent)
        .execute(&app.db().await)
        .await
        .unwrap();
    sub.get(app.url("/api/session"))
        .header("x-device-id", "tab-1")
        .send()
        .await
        .unwrap();
    let (_, list) = get(&app, &admin, "/api/devices").await;
    assert_eq!(device(&list, "tab-1")["last_seen_at"], recent.as_str());

    // The activity log: sign-in, sync with its count, sign-out.
    sub.delete(app.url("/api/session")).send().await.unwrap();
    let (status, detail) = get(&app, &admin, "/api/devices/tab-1").await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let k = kinds(&detail);
    for kind in ["sign_in", "sync", "sign_out", "mode_change"] {
        assert!(k.contains(&kind.to_string()), "{kind} in {k:?}");
    }
    let sync = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "sync")
        .unwrap();
    assert_eq!(sync["count"], 1);
    let (status, _) = get(&app, &admin, "/api/devices/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_no_js_sign_in_form_registers_the_device() {
    let app = spawn().await;
    let client = app.client();
    let res = app
        .post_form(
            &client,
            "/login",
            &[
                ("username", "clerk"),
                ("password", "drims-demo"),
                ("device_id", "form-dev"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM devices WHERE id = $1 AND last_sign_in_at IS NOT NULL",
            "form-dev"
        )
        .await,
        1
    );
    let admin = app.signed_in("admin").await;
    let (_, list) = get(&app, &admin, "/api/devices").await;
    assert_eq!(device(&list, "form-dev")["user"], "clerk");
    assert_eq!(
        device(&list, "form-dev")["offline_enabled"],
        false,
        "not ticked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_device_route_is_admin_only() {
    let app = spawn().await;
    on_device(&app, "sub", "dev-x", false).await;
    let routes: Vec<(&str, &str, Value)> = vec![
        ("GET", "/api/devices", Value::Null),
        ("GET", "/api/devices/dev-x", Value::Null),
        (
            "PUT",
            "/api/devices/dev-x",
            json!({ "offline_enabled": true }),
        ),
        (
            "POST",
            "/api/devices/dev-x/revoke",
            json!({ "reason": "lost" }),
        ),
        ("POST", "/api/devices/dev-x/deprovision", json!({})),
        ("GET", "/api/device-policy", Value::Null),
        (
            "PUT",
            "/api/device-policy",
            json!({ "default_mode": "online-only", "max_offline_devices": null, "offline_grace_days": 7, "allow_user_request": true }),
        ),
        ("GET", "/admin/devices/export.csv", Value::Null),
        ("GET", "/admin/devices/dev-x/activity.csv", Value::Null),
    ];
    for who in DEMO_USERS.iter().filter(|u| **u != "admin") {
        let client = app.signed_in(who).await;
        for (method, path, body) in &routes {
            let req = match *method {
                "GET" => client.get(app.url(path)),
                "PUT" => client.put(app.url(path)).json(body),
                _ => client.post(app.url(path)).json(body),
            };
            let (status, answer) = read(req.send().await.unwrap()).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{who} {method} {path}: {answer}"
            );
        }
    }
    // Nothing changed, and the ADMIN may use them all.
    let admin = app.signed_in("admin").await;
    let (_, list) = get(&app, &admin, "/api/devices").await;
    assert_eq!(device(&list, "dev-x")["revoked"], false);
    assert_eq!(list["policy"]["default_mode"], "ask-user");
    for (method, path, _) in routes.iter().filter(|r| r.0 == "GET") {
        let res = admin.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "admin {method} {path}");
    }
    let signed_out = app.client();
    let (status, _) = get(&app, &signed_out, "/api/devices").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_policy_is_audited_and_its_grace_is_the_offline_window() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let (status, p) = get(&app, &admin, "/api/device-policy").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        p["default_mode"], "ask-user",
        "fresh install: the checkbox decides"
    );
    assert_eq!(p["offline_grace_days"], 7);
    assert_eq!(p["allow_user_request"], true);
    assert!(p["max_offline_devices"].is_null());
    let audits = app.audit_count("device_policy").await;
    policy(&app, &admin, json!({ "default_mode": "offline-enabled", "max_offline_devices": 5, "offline_grace_days": 3, "allow_user_request": false })).await;
    assert_eq!(app.audit_count("device_policy").await, audits + 1);
    let (_, window) = get(&app, &admin, "/api/offline-policy").await;
    assert_eq!(window["offline_window_days"], 3, "one source of truth");
    let (_, p) = get(&app, &admin, "/api/device-policy").await;
    assert_eq!(p["default_mode"], "offline-enabled");
    assert_eq!(p["max_offline_devices"], 5);
    assert_eq!(p["allow_user_request"], false);
    for (bad, field) in [
        (
            json!({ "default_mode": "sometimes", "offline_grace_days": 3, "allow_user_request": true }),
            "default_mode",
        ),
        (
            json!({ "default_mode": "ask-user", "max_offline_devices": -1, "offline_grace_days": 3, "allow_user_request": true }),
            "max_offline_devices",
        ),
        (
            json!({ "default_mode": "ask-user", "offline_grace_days": 91, "allow_user_request": true }),
            "offline_grace_days",
        ),
    ] {
        let (status, answer) = put(&app, &admin, "/api/device-policy", bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["field"], field);
    }
    // The no-JS form on the offline-policy page.
    let res = app
        .post_form(
            &admin,
            "/forms/device-policy",
            &[
                ("default_mode", "online-only"),
                ("max_offline_devices", ""),
                ("offline_grace_days", "4"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, p) = get(&app, &admin, "/api/device-policy").await;
    assert_eq!(p["default_mode"], "online-only");
    assert!(p["max_offline_devices"].is_null());
    assert_eq!(p["offline_grace_days"], 4);
    assert_eq!(p["allow_user_request"], false, "unticked checkbox");
    let html = admin
        .get(app.url("/admin/offline-policy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("action=\"/forms/device-policy\""),
        "form on the page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mode_decides_whether_a_device_is_kept_offline() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let base =
        json!({ "max_offline_devices": null, "offline_grace_days": 7, "allow_user_request": true });
    let with = |mode: &str| {
        let mut p = base.clone();
        p["default_mode"] = json!(mode);
        p
    };
    // online-only: asking is refused for offline use; the sign-in itself succeeds.
    policy(&app, &admin, with("online-only")).await;
    let (_, body) = on_device(&app, "sub", "m-1", true).await;
    assert_eq!(body["device_mode"], "online-only");
    assert!(body["offline"].is_null());
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM device_keys WHERE device_id = $1",
            "m-1"
        )
        .await,
        0
    );

    // ask-user without user requests: not kept unless an ADMIN enabled the device.
    let mut p = with("ask-user");
    p["allow_user_request"] = json!(false);
    policy(&app, &admin, p).await;
    let (_, body) = on_device(&app, "sub", "m-1", true).await;
    assert_eq!(body["device_mode"], "online-only");
    let (status, d) = put(
        &app,
        &admin,
        "/api/devices/m-1",
        json!({ "offline_enabled": true }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let (_, body) = on_device(&app, "sub", "m-1", true).await;
    assert_eq!(body["device_mode"], "offline");
    assert!(body["offline"]["grant"].is_string());

    // offline-enabled: an enabled device is kept without asking; a new one is enabled.
    policy(&app, &admin, with("offline-enabled")).await;
    let (_, body) = on_device(&app, "sub", "m-1", false).await;
    assert_eq!(body["device_mode"], "offline");
    let (_, body) = on_device(&app, "main", "m-2", false).await;
    assert_eq!(body["device_mode"], "offline");
    // ... unless an ADMIN disabled it.
    let (status, _) = put(
        &app,
        &admin,
        "/api/devices/m-2",
        json!({ "offline_enabled": false }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = on_device(&app, "main", "m-2", true).await;
    assert_eq!(body["device_mode"], "online-only");
    let (_, detail) = get(&app, &admin, "/api/devices/m-2").await;
    assert!(kinds(&detail).contains(&"mode_change".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn six_parallel_enables_with_a_cap_of_two_leave_exactly_two() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let ids: Vec<String> = (1..=6).map(|n| format!("cap-{n}")).collect();
    for id in &ids {
        on_device(&app, "clerk", id, false).await;
    }
    policy(&app, &admin, json!({ "default_mode": "ask-user", "max_offline_devices": 2, "offline_grace_days": 7, "allow_user_request": true })).await;
    let requests = ids.iter().map(|id| {
        let admin = admin.clone();
        let url = app.url(&format!("/api/devices/{id}"));
        async move {
            read(
                admin
                    .put(url)
                    .json(&json!({ "offline_enabled": true }))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    });
    let answers = futures::future::join_all(requests).await;
    let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(ok, 2, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "device_limit_reached");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("(2)"),
            "{body}"
        );
    }
    let enabled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM devices WHERE offline_enabled = 1")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(enabled, 2);
    // A sign-in asking for offline use is held to the cap too.
    let (_, body) = on_device(&app, "sub", "cap-7", true).await;
    assert_eq!(body["device_mode"], "online-only");
    let (_, list) = get(&app, &admin, "/api/devices").await;
    assert_eq!(list["policy"]["current_offline_count"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_without_a_session_from_a_revoked_device_are_logged_once_a_minute() {
    let app = spawn().await;
    on_device(&app, "sub", "lost-2", true).await;
    let admin = app.signed_in("admin").await;
    let (status, d) = post(
        &app,
        &admin,
        "/api/devices/lost-2/revoke",
        json!({ "reason": "Stolen" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let refusals = |signed_in: bool| {
        let app = &app;
        let sql = format!(
            "SELECT COUNT(*) FROM device_events WHERE device_id = $1 \
             AND kind = 'refused' AND user_id IS {} NULL",
            if signed_in { "NOT" } else { "" }
        );
        async move { scalar(app, &sql, "lost-2").await }
    };
    // A script on the stolen laptop: 30 pushes and 30 writes naming it, no session.
    let anon = app.client();
    for _ in 0..30 {
        let (status, body) = sync_as(&app, &anon, "lost-2", vec![]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "device_revoked");
        let res = anon
            .post(app.url("/api/offline/grant/verify"))
            .header("x-device-id", "lost-2")
            .json(&json!({ "grant": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(refusals(false).await, 1, "one logged in the minute");
    // Signed-in users' refusals are each logged: each names someone.
    let lm = app.signed_in("lm").await;
    for _ in 0..3 {
        let (status, _) = sync_as(&app, &lm, "lost-2", vec![]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(refusals(true).await, 3);
    // A minute on, the next one is logged again.
    sqlx::query("UPDATE device_events SET at = $1 WHERE device_id = $2 AND kind = 'refused'")
        .bind("2020-01-01T00:00:00.000Z")
        .bind("lost-2")
        .execute(&app.db().await)
        .await
        .unwrap();
    let (status, _) = sync_as(&app, &anon, "lost-2", vec![]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refusals(false).await, 2);
    // It says how many were not logged since the one before: 60 calls, one logged.
    let details: Vec<String> = sqlx::query_scalar(
        "SELECT details FROM device_events WHERE device_id = $1 \
         AND kind = 'refused' AND user_id IS NULL ORDER BY id",
    )
    .bind("lost-2")
    .fetch_all(&app.db().await)
    .await
    .unwrap();
    let details: Vec<serde_json::Value> = details
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(details[0]["not_logged_since_last"], serde_json::Value::Null);
    assert_eq!(details[1]["not_logged_since_last"], 59, "{details:?}");
    assert_eq!(details[1]["attempt"], "sync");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_is_refused_everywhere_and_may_acknowledge_its_wipe() {
    let app = spawn().await;
    let (sub, _) = on_device(&app, "sub", "lost-1", true).await;
    let admin = app.signed_in("admin").await;
    let (status, answer) = post(
        &app,
        &admin,
        "/api/devices/lost-1/revoke",
        json!({ "reason": " " }),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a reason is required: {answer}"
    );
    assert_eq!(answer["error"]["field"], "reason");
    let audits = app.audit_count("device").await;
    let (status, d) = post(
        &app,
        &admin,
        "/api/devices/lost-1/revoke",
        json!({ "reason": "Stolen from the truck" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["revoked"], true);
    assert_eq!(d["offline_enabled"], false);
    assert!(d["wipe_requested_at"].is_string());
    assert_eq!(app.audit_count("device").await, audits + 1);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM device_keys WHERE device_id = $1",
            "lost-1"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM sessions WHERE device_id = $1",
            "lost-1"
        )
        .await,
        0
    );
    let (status, _) = get(&app, &sub, "/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "its session ended");
    let (status, _) = post(
        &app,
        &admin,
        "/api/devices/lost-1/revoke",
        json!({ "reason": "again" }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let revoked = |status: StatusCode, body: &Value, what: &str| {
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
        assert_eq!(body["error"]["code"], "device_revoked", "{what}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("revoked"),
            "{what}"
        );
    };
    // Sign-in with the right password.
    let (status, body) = read(
        app.client()
            .post(app.url("/api/session"))
            .json(&json!({ "username": "sub", "password": "drims-demo", "device": { "id": "lost-1" } }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    revoked(status, &body, "sign-in");
    // A push naming the device, signed out (its session is gone) or from another session.
    let (status, body) = sync_as(&app, &app.client(), "lost-1", vec![]).await;
    revoked(status, &body, "signed-out sync");
    let lm = app.signed_in("lm").await;
    let (status, body) = sync_as(&app, &lm, "lost-1", vec![]).await;
    revoked(status, &body, "sync from another session");
    // Any API call carrying its id.
    let res = lm
        .get(app.url("/api/hubs"))
        .header("x-device-id", "lost-1")
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    revoked(status, &body, "X-Device-ID");
    let res = lm
        .post(app.url("/api/offline/grant/verify"))
        .header("x-device-id", "lost-1")
        .json(&json!({ "grant": "x" }))
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    revoked(status, &body, "X-Device-ID write");

    // The device learns it without a session, and acknowledges its wipe.
    let anon = app.client();
    let (status, check) = read(
        anon.get(app.url("/api/devices/check"))
            .header("x-device-id", "lost-1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(check["valid"], false);
    assert_eq!(check["reason"], "revoked");
    assert!(check["message"].is_string());
    let (status, _) = read(
        anon.get(app.url("/api/devices/check"))
            .header("x-device-id", "other-dev")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "nothing about other devices without a session"
    );
    let (status, d) = post(&app, &anon, "/api/devices/lost-1/wipe-ack", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert!(d["wipe_acknowledged_at"].is_string());

    let (_, detail) = get(&app, &admin, "/api/devices/lost-1").await;
    let k = kinds(&detail);
    for kind in ["revoke", "refused", "wipe_acknowledged"] {
        assert!(k.contains(&kind.to_string()), "{kind} in {k:?}");
    }
    let refused = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "refused")
        .count();
    assert!(refused >= 4, "sign-in, two syncs, the write: {k:?}");
    let csv = admin
        .get(app.url("/admin/devices/lost-1/activity.csv"))
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("at,kind,user,count,details\n"), "{csv}");
    assert!(
        csv.contains(",refused,") && csv.contains(",revoke,admin,"),
        "{csv}"
    );
    // The ADMIN dashboard reads the registry.
    let html = admin
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Devices by mode") && html.contains("Revoked"),
        "dashboard"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deprovisioned_device_syncs_until_it_acknowledges_the_wipe() {
    let app = spawn().await;
    let (sub, _) = on_device(&app, "sub", "old-1", true).await;
    let admin = app.signed_in("admin").await;
    let (status, d) = post(&app, &admin, "/api/devices/old-1/deprovision", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["revoked"], false);
    assert!(d["wipe_requested_at"].is_string());
    let check = |client: Client| {
        let url = app.url("/api/devices/check");
        async move {
            read(
                client
                    .get(url)
                    .header("x-device-id", "old-1")
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let (status, c) = check(sub.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        c,
        json!({ "valid": true, "offline_enabled": false, "wipe_requested": true, "check_every_seconds": 60 })
    );
    // It still syncs what it holds.
    let (status, answer) = sync_as(&app, &sub, "old-1", vec![]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // Only its own session may acknowledge the wipe.
    let (status, _) = post(
        &app,
        &app.client(),
        "/api/devices/old-1/wipe-ack",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let lm = app.signed_in("lm").await;
    let (status, _) = post(&app, &lm, "/api/devices/old-1/wipe-ack", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, d) = post(&app, &sub, "/api/devices/old-1/wipe-ack", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["revoked"], true, "retired once wiped");
    assert_eq!(d["revoke_reason"], "deprovisioned");
    let (status, body) = sync_as(&app, &app.client(), "old-1", vec![]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "device_revoked");
    let (_, detail) = get(&app, &admin, "/api/devices/old-1").await;
    let k = kinds(&detail);
    assert!(
        k.contains(&"deprovision".to_string()) && k.contains(&"wipe_acknowledged".to_string()),
        "{k:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_export_neutralises_formulas_and_the_page_has_revoke_forms() {
    let app = spawn().await;
    on_device(&app, "sub", "csv-1", false).await;
    let admin = app.signed_in("admin").await;
    let (status, _) = put(
        &app,
        &admin,
        "/api/devices/csv-1",
        json!({ "name": "=HYPERLINK(\"http://x\")" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let res = admin
        .get(app.url("/admin/devices/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("devices-"));
    let csv = res.text().await.unwrap();
    assert!(
        csv.contains("csv-1,\"'=HYPERLINK(\"\"http://x\"\")\",sub,"),
        "{csv}"
    );

    let html = admin
        .get(app.url("/admin/devices"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("action=\"/forms/devices/csv-1/revoke\""),
        "revoke form"
    );
    assert!(html.contains("name=\"reason\""), "reason field");
    // The no-JS revoke form.
    let res = app
        .post_form(
            &admin,
            "/forms/devices/csv-1/revoke",
            &[("reason", "Lost in the flood")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = get(&app, &admin, "/api/devices").await;
    assert_eq!(device(&list, "csv-1")["revoke_reason"], "Lost in the flood");
    let html = admin
        .get(app.url("/admin/devices/csv-1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Lost in the flood"), "activity page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_admin_comes_from_configuration_once() {
    let app = spawn_with(|c| {
        c.demo = false;
        c.first_admin = Some(("root".into(), "a long enough password".into()));
    })
    .await;
    let client = app.client();
    let (status, body) = post(
        &app,
        &client,
        "/api/session",
        json!({ "username": "root", "password": "a long enough password" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "ADMIN");
    let (status, _) = get(&app, &client, "/api/devices").await;
    assert_eq!(status, StatusCode::OK);
    // A second start on the same database, with other values, creates nobody.
    let config = server::config::Config {
        database_url: app.database_url.clone(),
        demo: false,
        first_admin: Some(("second".into(), "another long password".into())),
        ..Default::default()
    };
    let options = leptos::config::LeptosOptions::builder()
        .output_name("drims")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build();
    let _second = server::build(config, options).await.expect("second start");
    let db = app.db().await;
    let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'ADMIN'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(admins, 1);
    let again = server::create_admin(&server::config::Config {
        database_url: app.database_url.clone(),
        first_admin: Some(("third".into(), "yet another long password".into())),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(again.contains("already has an administrator"), "{again}");
    // The password rules of any user apply.
    let dir = tempfile::tempdir().unwrap();
    let fresh = server::db::connect(&crate::common::fresh_database_url(dir.path()).await)
        .await
        .unwrap();
    let err = server::services::first_admin::ensure(&fresh, "root", "short")
        .await
        .unwrap_err();
    assert!(err.starts_with("DRIMS_ADMIN_PASSWORD"), "{err}");
}
