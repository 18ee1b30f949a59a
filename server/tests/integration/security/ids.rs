//! Findings 13 and 12: an operation id is bound to what it asked for; a refused confirmation
//! may be retried by anyone allowed to confirm it.
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{spawn, TestApp};
use crate::sync::{balance, event_id, intake_op, item_id, op, sync};

/// Finding 13: the same id with another payload is refused with `id_conflict`, in a later
/// batch and within one batch; the same id with the same payload is still a replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_id_with_another_payload_is_an_id_conflict() {
    let app = spawn().await;
    let lm = app.signed_in("lm").await;
    let hub = app.hub_id("Kingston Central Warehouse").await;
    let rice = item_id(&app, "Rice 5 kg").await;
    let event = event_id(&app).await;
    let first = intake_op(hub, rice, event, 5);
    let (_, body) = sync(&app, &lm, std::slice::from_ref(&first)).await;
    assert_eq!(body["results"][0]["status"], "applied", "{body}");

    let mut bigger = first.clone();
    bigger["payload"]["quantity"] = json!(500);
    let mut elsewhere = first.clone();
    elsewhere["hub_id"] = json!(app.hub_id("St. Catherine Parish Depot").await);
    let mut other_kind = first.clone();
    other_kind["kind"] = json!("distribution");
    other_kind["payload"] = json!({ "item_id": rice, "quantity": 5, "beneficiary": "X" });
    for changed in [&bigger, &elsewhere, &other_kind] {
        let (status, body) = sync(&app, &lm, &[changed.clone(), first.clone()]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["results"][0]["status"], "rejected", "{body}");
        assert_eq!(body["results"][0]["reason"], "id_conflict", "{body}");
        assert_eq!(body["results"][1]["status"], "applied", "replay: {body}");
    }
    assert_eq!(balance(&app, hub, rice).await, 5);

    // Within one batch: the first use wins, the second is a conflict.
    let fresh = intake_op(hub, rice, event, 7);
    let mut twin = fresh.clone();
    twin["payload"]["quantity"] = json!(70);
    let (_, body) = sync(&app, &lm, &[fresh, twin]).await;
    assert_eq!(body["results"][0]["status"], "applied", "{body}");
    assert_eq!(body["results"][1]["reason"], "id_conflict", "{body}");
    assert_eq!(balance(&app, hub, rice).await, 12);
    // The stored outcome is the applied one, not overwritten by the conflict.
    let status: String = sqlx::query_scalar("SELECT status FROM operations WHERE id = $1")
        .bind(first["id"].as_str().unwrap())
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(status, "applied");
}

async fn confirm(app: &TestApp, user: &str, pending: i64) -> String {
    let client = app.signed_in(user).await;
    let res = app
        .post_form(
            &client,
            &format!("/forms/confirmations/{pending}/confirm"),
            &[("", ""); 0],
        )
        .await;
    res.headers()["location"].to_str().unwrap().to_string()
}

/// Finding 12: the first confirmer is refused (not enough stock yet); once stock arrives, another
/// authorised confirmer succeeds instead of "already used by another user".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_confirmation_can_be_retried_by_another_confirmer() {
    let app = spawn().await;
    let sub_hub = app.hub_id("St. Catherine Parish Depot").await;
    let kingston = app.hub_id("Kingston Central Warehouse").await;
    let tent = item_id(&app, "Family tent").await;
    let event = event_id(&app).await;
    let sub = app.signed_in("sub").await;
    sync(&app, &sub, &[intake_op(sub_hub, tent, event, 4)]).await;
    let request = op(
        "transfer_request",
        sub_hub,
        json!({ "to_hub_id": kingston, "item_id": tent, "quantity": 10 }),
    );
    let (_, body) = sync(&app, &sub, std::slice::from_ref(&request)).await;
    assert_eq!(
        body["results"][0]["status"], "pending_confirmation",
        "{body}"
    );
    let pending: i64 =
        sqlx::query_scalar("SELECT id FROM pending_confirmations WHERE operation_id = $1")
            .bind(request["id"].as_str().unwrap())
            .fetch_one(&app.db().await)
            .await
            .unwrap();
    let said = confirm(&app, "sub", pending).await;
    assert!(said.contains("error="), "{said}");
    sync(&app, &sub, &[intake_op(sub_hub, tent, event, 20)]).await;
    let said = confirm(&app, "lo", pending).await;
    assert!(said.contains("notice="), "{said}");
    assert!(!said.contains("another+user"), "{said}");
    let transfers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transfers")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(transfers, 1);
    // Confirmed: a second confirmation changes nothing.
    let said = confirm(&app, "lm", pending).await;
    assert!(said.contains("error="), "{said}");
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM transfers")
            .fetch_one(&app.db().await)
            .await
            .unwrap(),
        1
    );
}

/// Finding 14: an operation's device and time are checked for shape, a device cannot pass for
/// the server's own (`web-form`) or for another device: the authenticated batch's is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_and_time_claims_are_checked_and_the_real_device_recorded() {
    let app = spawn().await;
    let lm = app.signed_in("lm").await;
    let hub = app.hub_id("Kingston Central Warehouse").await;
    let rice = item_id(&app, "Rice 5 kg").await;
    let event = event_id(&app).await;
    let with = |device: &str, created_at: &str| {
        let mut op = intake_op(hub, rice, event, 1);
        op["device_id"] = json!(device);
        op["created_at"] = json!(created_at);
        op
    };
    let long = "9".repeat(500);
    let cases = [
        with("web-form", "2026-11-30T10:00:00Z"),
        with("confirmation", "2026-11-30T10:00:00Z"),
        with("laptop\nforged", "2026-11-30T10:00:00Z"),
        with(&"d".repeat(101), "2026-11-30T10:00:00Z"),
        with("test-laptop", "yesterday"),
        with("test-laptop", &long),
        with("test-laptop", ""),
    ];
    let (_, body) = sync(&app, &lm, &cases).await;
    for (i, r) in body["results"].as_array().unwrap().iter().enumerate() {
        assert_eq!(r["status"], "rejected", "case {i}: {r}");
        assert_eq!(r["reason"], "invalid", "case {i}: {r}");
    }
    // Another (well-formed) device name in the operation: the batch's device is recorded.
    let other = with("someone-elses-tablet", "2026-11-30T10:00:00+01:00");
    let (_, body) = sync(&app, &lm, std::slice::from_ref(&other)).await;
    assert_eq!(body["results"][0]["status"], "applied", "{body}");
    let db = app.db().await;
    let recorded: (String, String) = sqlx::query_as(
        "SELECT o.device_id, a.device_id FROM operations o JOIN audit_log a ON a.operation_id = o.id WHERE o.id = $1",
    )
    .bind(other["id"].as_str().unwrap())
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        recorded,
        ("test-laptop".to_string(), "test-laptop".to_string())
    );
    // A session signed in on a device: that device is recorded, whatever the batch says.
    let (on_laptop, _) =
        crate::offline_access::sign_in_on(&app, "lm", "drims-demo", Some("lm-laptop-7"), false)
            .await;
    let op = with("test-laptop", "2026-11-30T10:00:00Z");
    let (_, body) = sync(&app, &on_laptop, std::slice::from_ref(&op)).await;
    assert_eq!(body["results"][0]["status"], "applied", "{body}");
    let device: String = sqlx::query_scalar("SELECT device_id FROM operations WHERE id = $1")
        .bind(op["id"].as_str().unwrap())
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(device, "lm-laptop-7");
    // The batch itself may not claim to be the server's form device.
    let res = lm
        .post(app.url("/api/offline/sync"))
        .json(&json!({ "device_id": "web-form", "operations": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}
