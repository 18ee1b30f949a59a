//! Admin endpoints filtered by role, validation, conflicts and audit rows.
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{read, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admin_lists_and_creates_users() {
    let app = spawn().await;
    for (who, expected) in [
        ("admin", 200),
        ("lm", 403),
        ("lo", 403),
        ("clerk", 403),
        ("auditor", 403),
        ("agency", 403),
    ] {
        let client = app.signed_in(who).await;
        let (status, body) = read(client.get(app.url("/api/users")).send().await.unwrap()).await;
        assert_eq!(status.as_u16(), expected, "{who}: {body}");
        if expected == 403 {
            assert_eq!(body["error"]["code"], "forbidden");
        }
    }
    let lm = app.signed_in("lm").await;
    let res = lm
        .post(app.url("/api/users"))
        .json(&json!({ "username": "sneaky", "display_name": "S", "password": "long enough", "role": "ADMIN" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hubs_are_managed_by_admin_lm_lo_only_and_audited() {
    let app = spawn().await;
    let before = app.audit_count("hub").await;
    for (i, who) in ["admin", "lm", "lo"].into_iter().enumerate() {
        let client = app.signed_in(who).await;
        let (status, hub) = read(
            client
                .post(app.url("/api/hubs"))
                .json(&json!({ "name": format!("Depot {i}"), "type": "SUB" }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{who}: {hub}");
        assert_eq!(hub["status"], "Active");
        assert_eq!(hub["type"], "SUB");
    }
    for who in ["main", "sub", "agency", "clerk", "auditor"] {
        let client = app.signed_in(who).await;
        let res = client
            .post(app.url("/api/hubs"))
            .json(&json!({ "name": "Nope", "type": "SUB" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(app.audit_count("hub").await, before + 3);

    let admin = app.signed_in("admin").await;
    let id = app.hub_id("Depot 0").await;
    let (status, hub) = read(
        admin
            .put(app.url(&format!("/api/hubs/{id}")))
            .json(&json!({ "name": "Depot Zero", "type": "MAIN" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hub["name"], "Depot Zero");
    let (status, hub) = read(
        admin
            .post(app.url(&format!("/api/hubs/{id}/status")))
            .json(&json!({ "status": "Inactive" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hub["status"], "Inactive");
    assert_eq!(app.audit_count("hub").await, before + 5);

    let (status, err) = read(
        admin
            .post(app.url("/api/hubs"))
            .json(&json!({ "name": "depot zero", "type": "SUB" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "names are unique, case-insensitively"
    );
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already exists"));
    let (status, err) = read(
        admin
            .post(app.url("/api/hubs"))
            .json(&json!({ "name": "X", "type": "DEPOT" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "type");
    let res = admin
        .put(app.url("/api/hubs/9999"))
        .json(&json!({ "name": "X", "type": "SUB" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_with_bound_users_keeps_its_type() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let id = app.hub_id("St. Catherine Parish Depot").await;
    let (status, err) = read(
        admin
            .put(app.url(&format!("/api/hubs/{id}")))
            .json(&json!({ "name": "St. Catherine Parish Depot", "type": "MAIN" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agency_users_see_only_their_own_hub() {
    let app = spawn().await;
    let agency = app.signed_in("agency").await;
    let (_, hubs) = read(agency.get(app.url("/api/hubs")).send().await.unwrap()).await;
    let names: Vec<&str> = hubs
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Red Cross Kingston"]);
    let lm = app.signed_in("lm").await;
    let (_, hubs) = read(lm.get(app.url("/api/hubs")).send().await.unwrap()).await;
    assert_eq!(hubs.as_array().unwrap().len(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_get_generated_skus_and_unique_barcodes() {
    let app = spawn().await;
    let clerk = app.signed_in("clerk").await;
    let (status, item) = read(
        clerk.post(app.url("/api/items"))
            .json(&json!({ "name": "Jerry can", "category": "Water", "unit": "each", "min_qty": 10, "barcode": "JC-001" }))
            .send().await.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let sku = item["sku"].as_str().unwrap();
    assert!(app::domain::text::Sku::parse(sku).is_ok(), "{sku}");
    let (status, err) = read(
        clerk.post(app.url("/api/items"))
            .json(&json!({ "name": "Other", "category": "Water", "unit": "each", "barcode": "JC-001" }))
            .send().await.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(err["error"]["message"].as_str().unwrap().contains("JC-001"));
    let (status, err) = read(
        clerk
            .post(app.url("/api/items"))
            .json(&json!({ "name": "", "category": "W", "unit": "u" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "name");
    let (status, err) = read(
        clerk
            .post(app.url("/api/items"))
            .json(&json!({ "name": "N", "category": "W", "unit": "u", "min_qty": -1 }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "min_qty");
    let auditor = app.signed_in("auditor").await;
    let res = auditor
        .post(app.url("/api/items"))
        .json(&json!({ "name": "N", "category": "W", "unit": "u" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (status, items) = read(auditor.get(app.url("/api/items")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(items.as_array().unwrap().len() >= 40);
    assert_eq!(app.audit_count("item").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_validate_dates_and_are_audited() {
    let app = spawn().await;
    let lo = app.signed_in("lo").await;
    let (status, err) = read(
        lo.post(app.url("/api/events"))
            .json(&json!({ "name": "Flood", "event_type": "Flood", "start_date": "2026-11-01", "end_date": "2026-10-01" }))
            .send().await.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "end_date");
    let (status, event) = read(
        lo.post(app.url("/api/events"))
            .json(&json!({ "name": "Flood", "event_type": "Flood", "start_date": "2026-11-01" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(event["status"], "Active");
    let id = event["id"].as_i64().unwrap();
    let (status, event) = read(
        lo.put(app.url(&format!("/api/events/{id}")))
            .json(&json!({ "name": "Flood", "event_type": "Flood", "start_date": "2026-11-01", "end_date": "2026-11-20", "status": "Closed" }))
            .send().await.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(event["status"], "Closed");
    assert_eq!(app.audit_count("disaster_event").await, 2);
    let sub = app.signed_in("sub").await;
    let res = sub
        .post(app.url("/api/events"))
        .json(&json!({ "name": "X", "event_type": "X", "start_date": "2026-11-01" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_need_a_hub_of_the_right_type() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let main_hub = app.hub_id("Kingston Central Warehouse").await;
    let sub_hub = app.hub_id("Manchester Parish Depot").await;
    let new_user = |role: &str, hub: Option<i64>| {
        json!({
            "username": "newbie", "display_name": "New Bie", "password": "a long password", "role": role, "hub_id": hub
        })
    };
    let (status, err) = read(
        admin
            .post(app.url("/api/users"))
            .json(&new_user("SUB_HUB_USER", None))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "hub_id");
    let (status, err) = read(
        admin
            .post(app.url("/api/users"))
            .json(&new_user("SUB_HUB_USER", Some(main_hub)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SUB hub"),
        "{err}"
    );
    let (status, user) = read(
        admin
            .post(app.url("/api/users"))
            .json(&new_user("SUB_HUB_USER", Some(sub_hub)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["hub_name"], "Manchester Parish Depot");
    let (status, _) = read(
        admin
            .post(app.url("/api/users"))
            .json(&new_user("SUB_HUB_USER", Some(sub_hub)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, err) = read(admin.post(app.url("/api/users")).json(&json!({ "username": "x y", "display_name": "X", "password": "a long password", "role": "AUDITOR" })).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "username");
    // The new user can sign in with the password the admin set.
    let res = app
        .client()
        .post(app.url("/api/session"))
        .json(&json!({ "username": "newbie", "password": "a long password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.audit_count("user").await,
        3,
        "admin sign-in, create, newbie sign-in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_cannot_lock_themselves_out() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let id = app.user_id("admin").await;
    let (status, _) = read(
        admin
            .put(app.url(&format!("/api/users/{id}")))
            .json(&json!({ "display_name": "Ada", "role": "ADMIN", "active": false }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
