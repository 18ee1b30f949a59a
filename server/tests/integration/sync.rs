//! The one write path over HTTP: `/api/offline/sync` and `/api/offline/snapshot`.
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{read, spawn, TestApp};

pub fn op(kind: &str, hub_id: i64, payload: Value) -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "kind": kind,
        "hub_id": hub_id,
        "created_at": "2026-11-22T10:00:00Z",
        "device_id": "test-laptop",
        "payload": payload,
    })
}

pub async fn sync(app: &TestApp, client: &Client, ops: &[Value]) -> (StatusCode, Value) {
    read(
        client
            .post(app.url("/api/offline/sync"))
            .json(&json!({ "device_id": "test-laptop", "operations": ops }))
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub async fn event_id(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT id FROM disaster_events WHERE status = 'Active' LIMIT 1")
        .fetch_one(&app.db().await)
        .await
        .unwrap()
}

pub async fn item_id(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM items WHERE name = $1")
        .bind(name)
        .fetch_one(&app.db().await)
        .await
        .unwrap()
}

pub async fn balance(app: &TestApp, hub: i64, item: i64) -> i64 {
    sqlx::query_scalar("SELECT quantity FROM stock_balances WHERE hub_id = $1 AND item_id = $2")
        .bind(hub)
        .bind(item)
        .fetch_optional(&app.db().await)
        .await
        .unwrap()
        .unwrap_or(0)
}

pub async fn movements(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM stock_movements")
        .fetch_one(&app.db().await)
        .await
        .unwrap()
}

pub fn intake_op(hub: i64, item: i64, event: i64, qty: i64) -> Value {
    intake(hub, item, event, qty)
}

fn intake(hub: i64, item: i64, event: i64, qty: i64) -> Value {
    op(
        "intake",
        hub,
        json!({ "item_id": item, "quantity": qty, "event_id": event, "donor": "Digicel Foundation" }),
    )
}

fn distribution(hub: i64, item: i64, qty: i64) -> Value {
    op(
        "distribution",
        hub,
        json!({ "item_id": item, "quantity": qty, "beneficiary": "Mary Brown" }),
    )
}

struct Fixture {
    app: TestApp,
    sub_hub: i64,
    item: i64,
    event: i64,
}

async fn fixture() -> Fixture {
    let app = spawn().await;
    let sub_hub = app.hub_id("St. Catherine Parish Depot").await;
    let item = item_id(&app, "Rice 5 kg").await;
    let event = event_id(&app).await;
    Fixture {
        app,
        sub_hub,
        item,
        event,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_is_applied_with_ledger_balance_and_audit() {
    let f = fixture().await;
    let sub = f.app.signed_in("sub").await;
    let ops = vec![
        intake(f.sub_hub, f.item, f.event, 40),
        distribution(f.sub_hub, f.item, 15),
        op(
            "needs_list_create",
            f.sub_hub,
            json!({ "event_id": f.event, "priority": "High", "submit": false,
            "lines": [{ "item_id": f.item, "quantity": 100, "justification": "Shelter at the school" }] }),
        ),
        op(
            "needs_list_create",
            f.sub_hub,
            json!({ "event_id": f.event, "priority": "Urgent", "submit": true,
            "lines": [{ "item_id": f.item, "quantity": 5 }] }),
        ),
    ];
    let (status, body) = sync(&f.app, &sub, &ops).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for (result, sent) in results.iter().zip(&ops) {
        assert_eq!(result["id"], sent["id"], "results in request order");
        assert_eq!(result["status"], "applied", "{result}");
    }
    assert_eq!(results[2]["reference"], "NL-000001");
    assert_eq!(results[3]["reference"], "NL-000002");
    assert!(body["server_time"].is_string() && body["snapshot_version"].is_i64());
    assert_eq!(balance(&f.app, f.sub_hub, f.item).await, 25);
    assert_eq!(movements(&f.app).await, 2);
    let db = f.app.db().await;
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM needs_lists ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(statuses, ["Draft", "Submitted"]);
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE operation_id IS NOT NULL AND device_id = 'test-laptop'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(audited, 4);
    let donor: String = sqlx::query_scalar(
        "SELECT d.name FROM stock_movements m JOIN donors d ON d.id = m.donor_id",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(donor, "Digicel Foundation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_a_batch_changes_nothing() {
    let f = fixture().await;
    let sub = f.app.signed_in("sub").await;
    let ops = vec![
        intake(f.sub_hub, f.item, f.event, 10),
        distribution(f.sub_hub, f.item, 4),
    ];
    let (_, first) = sync(&f.app, &sub, &ops).await;
    for _ in 0..3 {
        let (status, again) = sync(&f.app, &sub, &ops).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            again["results"], first["results"],
            "a replay returns the stored outcome"
        );
        assert_eq!(movements(&f.app).await, 2);
        assert_eq!(balance(&f.app, f.sub_hub, f.item).await, 6);
    }
}

/// The ledger is append-only in the database itself, on either engine: whoever writes to it
/// cannot change or remove a movement (on PostgreSQL not by TRUNCATE either).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_refuses_changes_and_deletions_from_anyone() {
    let f = fixture().await;
    let sub = f.app.signed_in("sub").await;
    let (_, done) = sync(&f.app, &sub, &[intake(f.sub_hub, f.item, f.event, 10)]).await;
    assert_eq!(done["results"][0]["status"], "applied", "{done}");
    let before = movements(&f.app).await;
    let db = f.app.db().await;
    let mut attempts = vec![
        "UPDATE stock_movements SET quantity = quantity + 1",
        "DELETE FROM stock_movements",
    ];
    if crate::common::postgres().is_some() {
        attempts.push("TRUNCATE stock_movements");
    }
    for sql in attempts {
        let err = sqlx::query(sql).execute(&db).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(movements(&f.app).await, before);
    assert_eq!(balance(&f.app, f.sub_hub, f.item).await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_with_overlapping_ids_apply_each_once() {
    let f = fixture().await;
    let a = f.app.signed_in("sub").await;
    let b = f.app.signed_in("sub").await;
    let ops: Vec<Value> = (0..30)
        .map(|_| intake(f.sub_hub, f.item, f.event, 1))
        .collect();
    let (first, second) = (ops[..20].to_vec(), ops[10..].to_vec());
    let (ra, rb) = tokio::join!(sync(&f.app, &a, &first), sync(&f.app, &b, &second));
    assert_eq!(ra.0, StatusCode::OK);
    assert_eq!(rb.0, StatusCode::OK);
    assert_eq!(movements(&f.app).await, 30);
    assert_eq!(balance(&f.app, f.sub_hub, f.item).await, 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_for_the_last_units_never_goes_negative() {
    let f = fixture().await;
    let sub = f.app.signed_in("sub").await;
    sync(&f.app, &sub, &[intake(f.sub_hub, f.item, f.event, 10)]).await;
    let clients: Vec<Client> =
        futures::future::join_all((0..4).map(|_| f.app.signed_in("clerk"))).await;
    let requests = (0..24).map(|i| {
        let client = clients[i % clients.len()].clone();
        let app = &f.app;
        let op = distribution(f.sub_hub, f.item, 1);
        async move { sync(app, &client, &[op]).await }
    });
    let results = futures::future::join_all(requests).await;
    let mut applied = 0;
    for (status, body) in results {
        assert_eq!(status, StatusCode::OK);
        let r = &body["results"][0];
        match r["status"].as_str().unwrap() {
            "applied" => applied += 1,
            "rejected" => {
                assert_eq!(r["reason"], "stock_insufficient");
                assert!(
                    r["message"]
                        .as_str()
                        .unwrap()
                        .starts_with("Only 0 case of Rice 5 kg"),
                    "{r}"
                );
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(applied, 10);
    assert_eq!(balance(&f.app, f.sub_hub, f.item).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reason_code_from_a_real_case() {
    let f = fixture().await;
    let app = &f.app;
    let admin = app.signed_in("admin").await;
    let sub = app.signed_in("sub").await;
    let auditor = app.signed_in("auditor").await;
    let main_hub = app.hub_id("Kingston Central Warehouse").await;
    let quiet_hub = app.hub_id("St. Thomas Parish Depot").await;
    admin
        .post(app.url(&format!("/api/hubs/{quiet_hub}/status")))
        .json(&json!({ "status": "Inactive" }))
        .send()
        .await
        .unwrap();
    let (_, closed) = read(admin.post(app.url("/api/events")).json(&json!({
        "name": "Old flood", "event_type": "Flood", "start_date": "2025-01-01", "status": "Closed" })).send().await.unwrap()).await;
    let closed = closed["id"].as_i64().unwrap();

    let cases: Vec<(&Client, Value, &str)> = vec![
        (&auditor, intake(f.sub_hub, f.item, f.event, 1), "forbidden"),
        (&sub, intake(main_hub, f.item, f.event, 1), "forbidden"),
        (&admin, intake(9999, f.item, f.event, 1), "hub_unknown"),
        (
            &admin,
            intake(quiet_hub, f.item, f.event, 1),
            "hub_inactive",
        ),
        (&sub, intake(f.sub_hub, 9999, f.event, 1), "item_unknown"),
        (&sub, intake(f.sub_hub, f.item, 9999, 1), "event_unknown"),
        (&sub, intake(f.sub_hub, f.item, closed, 1), "event_inactive"),
        (
            &sub,
            distribution(f.sub_hub, f.item, 5),
            "stock_insufficient",
        ),
        (&sub, intake(f.sub_hub, f.item, f.event, 0), "invalid"),
        (
            &sub,
            op("intake", f.sub_hub, json!({ "item_id": "rice" })),
            "invalid",
        ),
        (&sub, json!({ "kind": "intake" }), "invalid"),
    ];
    for (client, operation, reason) in cases {
        let (status, body) = sync(app, client, std::slice::from_ref(&operation)).await;
        assert_eq!(status, StatusCode::OK);
        let r = &body["results"][0];
        assert_eq!(r["status"], "rejected", "{operation} -> {r}");
        assert_eq!(r["reason"], reason, "{operation} -> {r}");
        assert!(!r["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(movements(app).await, 0, "nothing written by rejections");
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM operations WHERE status = 'rejected'")
            .fetch_one(&app.db().await)
            .await
            .unwrap();
    assert_eq!(
        stored, 9,
        "rejections of well-formed operations are kept for the Sync Issues review"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_operation_does_not_block_the_others() {
    let f = fixture().await;
    let sub = f.app.signed_in("sub").await;
    let ops = vec![
        intake(f.sub_hub, f.item, f.event, 5),
        distribution(f.sub_hub, f.item, 50),
        json!("not an operation"),
        distribution(f.sub_hub, f.item, 2),
    ];
    let (_, body) = sync(&f.app, &sub, &ops).await;
    let statuses: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["applied", "rejected", "rejected", "applied"]);
    assert_eq!(balance(&f.app, f.sub_hub, f.item).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_operation_can_be_fixed_and_sent_again() {
    let f = fixture().await;
    let sub = f.app.signed_in("sub").await;
    let mut d = distribution(f.sub_hub, f.item, 5);
    let (_, body) = sync(&f.app, &sub, &[d.clone()]).await;
    assert_eq!(body["results"][0]["reason"], "stock_insufficient");
    sync(&f.app, &sub, &[intake(f.sub_hub, f.item, f.event, 3)]).await;
    d["payload"]["quantity"] = json!(3);
    let (_, body) = sync(&f.app, &sub, &[d]).await;
    assert_eq!(body["results"][0]["status"], "applied");
    assert_eq!(balance(&f.app, f.sub_hub, f.item).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_batches_are_400s_naming_the_problem() {
    let f = fixture().await;
    let sub = f.app.signed_in("sub").await;
    let post = |body: String| {
        sub.post(f.app.url("/api/offline/sync"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let (status, err) = read(post("{".into()).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    let (status, err) = read(post(json!({ "device_id": "d" }).to_string()).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("operations"),
        "{err}"
    );
    let (status, err) = read(
        post(json!({ "device_id": "", "operations": [] }).to_string())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "device_id");
    let many: Vec<Value> = (0..1001).map(|_| json!({})).collect();
    let (status, err) = read(
        post(json!({ "device_id": "d", "operations": many }).to_string())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        err["error"]["message"].as_str().unwrap().contains("1001"),
        "{err}"
    );
    let anonymous = f.app.client();
    let res = anonymous
        .post(f.app.url("/api/offline/sync"))
        .json(&json!({ "device_id": "d", "operations": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_and_distribution_follow_the_role_and_hub_matrix() {
    let app = spawn().await;
    let item = item_id(&app, "Blanket").await;
    let event = event_id(&app).await;
    let hubs: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, hub_type FROM hubs ORDER BY id")
            .fetch_all(&app.db().await)
            .await
            .unwrap();
    // Who may record stock where (DOMAIN.md): global roles at government hubs, hub users at their own.
    let own = |user: &str| match user {
        "main" => Some("Kingston Central Warehouse"),
        "sub" | "clerk" => Some("St. Catherine Parish Depot"),
        "agency" => Some("Red Cross Kingston"),
        _ => None,
    };
    for user in [
        "admin", "lm", "lo", "main", "sub", "agency", "clerk", "auditor",
    ] {
        let client = app.signed_in(user).await;
        for (hub_id, name, hub_type) in &hubs {
            let allowed = match user {
                "admin" | "lm" | "lo" => hub_type != "AGENCY",
                "auditor" => false,
                _ => own(user) == Some(name.as_str()),
            };
            let (_, body) = sync(
                &app,
                &client,
                &[
                    intake(*hub_id, item, event, 2),
                    distribution(*hub_id, item, 1),
                ],
            )
            .await;
            for r in body["results"].as_array().unwrap() {
                if allowed {
                    assert_eq!(r["status"], "applied", "{user} at {name}: {r}");
                } else {
                    assert_eq!(r["reason"], "forbidden", "{user} at {name}: {r}");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_hold_only_what_the_user_may_see() {
    let app = spawn().await;
    let event = event_id(&app).await;
    let item = item_id(&app, "Blanket").await;
    let agency_hub = app.hub_id("Red Cross Kingston").await;
    let sub_hub = app.hub_id("St. Catherine Parish Depot").await;
    sync(
        &app,
        &app.signed_in("agency").await,
        &[intake(agency_hub, item, event, 77)],
    )
    .await;
    sync(
        &app,
        &app.signed_in("sub").await,
        &[intake(sub_hub, item, event, 5)],
    )
    .await;

    let (status, snap) = read(
        app.signed_in("agency")
            .await
            .get(app.url("/api/offline/snapshot"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut keys: Vec<&str> = snap
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "capabilities",
            "destinations",
            "events",
            "generated_at",
            "hubs",
            "items",
            "needs_lists",
            "user",
            "version"
        ]
    );
    // Agencies request no transfers: no list of other hubs either.
    assert_eq!(snap["destinations"], serde_json::json!([]));
    let hubs = snap["hubs"].as_array().unwrap();
    assert_eq!(hubs.len(), 1);
    assert_eq!(hubs[0]["name"], "Red Cross Kingston");
    assert_eq!(hubs[0]["inventory"][0]["quantity"], 77);
    assert_eq!(hubs[0]["inventory"][0]["low_stock"], false);
    assert_eq!(snap["user"]["role"], "AGENCY_HUB_USER");

    for user in ["lm", "lo", "admin", "auditor", "main", "sub", "clerk"] {
        let (_, snap) = read(
            app.signed_in(user)
                .await
                .get(app.url("/api/offline/snapshot"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let text = snap.to_string();
        assert!(
            !text.contains("Red Cross") && !text.contains("Food for the Poor"),
            "{user} sees no agency hub"
        );
        assert!(
            !text.contains("\"quantity\":77"),
            "{user} sees no agency stock"
        );
    }
    let (_, snap) = read(
        app.signed_in("sub")
            .await
            .get(app.url("/api/offline/snapshot"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(snap["hubs"].as_array().unwrap().len(), 1);
    let low = &snap["hubs"][0]["inventory"][0];
    assert_eq!(
        (low["quantity"].as_i64(), low["low_stock"].as_bool()),
        (Some(5), Some(true)),
        "5 < min 20"
    );
    let (_, snap) = read(
        app.signed_in("lm")
            .await
            .get(app.url("/api/offline/snapshot"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        snap["hubs"].as_array().unwrap().len(),
        5,
        "all government hubs"
    );
    assert!(snap["capabilities"]
        .as_array()
        .unwrap()
        .contains(&json!("approve_fulfilment")));
    let res = app
        .client()
        .get(app.url("/api/offline/snapshot"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lm_and_admin_review_everyones_refused_operations_but_not_agency_ones() {
    let f = fixture().await;
    let app = &f.app;
    let sub = app.signed_in("sub").await;
    let agency = app.signed_in("agency").await;
    let agency_hub = app.hub_id("Red Cross Kingston").await;
    sync(app, &sub, &[distribution(f.sub_hub, f.item, 9)]).await;
    sync(app, &agency, &[distribution(agency_hub, f.item, 8)]).await;

    for who in ["lm", "admin"] {
        let (status, issues) = read(
            app.signed_in(who)
                .await
                .get(app.url("/api/offline/issues"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let list = issues.as_array().unwrap();
        assert_eq!(
            list.len(),
            1,
            "{who}: the sub user's refusal only, not the agency's: {issues}"
        );
        assert_eq!(list[0]["username"], "sub");
        assert_eq!(list[0]["reason"], "stock_insufficient");
        assert!(
            list[0]["payload"]
                .as_str()
                .unwrap()
                .contains("\"quantity\":9"),
            "what was entered is kept"
        );
    }
    let (_, own) = read(
        agency
            .get(app.url("/api/offline/issues"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(own.as_array().unwrap().len(), 1, "the agency sees its own");
    assert_eq!(own[0]["username"], "agency");
    let (_, none) = read(
        app.signed_in("lo")
            .await
            .get(app.url("/api/offline/issues"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        none.as_array().unwrap().is_empty(),
        "others see only their own"
    );
    let html = app
        .signed_in("lm")
        .await
        .get(app.url("/sync-issues"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("stock_insufficient") && html.contains("Mary Brown"));
}

/// A batch from one user's outbox sent under another user's session (signed in meanwhile in
/// another tab of the same browser) is not applied: 401, kept on the device for its user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_another_users_outbox_is_refused_unapplied() {
    let f = fixture().await;
    let clerk = f.app.signed_in("clerk").await;
    let sub_id = f.app.user_id("sub").await;
    let ops = vec![intake(f.sub_hub, f.item, f.event, 10)];
    let body = json!({ "device_id": "test-laptop", "operations": ops });
    let (status, answer) = read(
        clerk
            .post(f.app.url("/api/offline/sync"))
            .header("X-DRIMS-User", sub_id.to_string())
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("recorded by another user"));
    assert_eq!(movements(&f.app).await, 0, "nothing applied");
    // Its own user sends it: applied.
    let sub = f.app.signed_in("sub").await;
    let (status, _) = read(
        sub.post(f.app.url("/api/offline/sync"))
            .header("X-DRIMS-User", sub_id.to_string())
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(movements(&f.app).await, 1);
}
