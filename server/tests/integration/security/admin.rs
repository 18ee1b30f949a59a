//! Findings 10 and 16: hub types and agency stock; admin edits while sync writes; a needs-list
//! id with a newline; a refused distribution leaves nothing; expired sessions are purged.
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{read, spawn};
use crate::sync::{item_id, op, sync};

/// Finding 10: a hub never changes type to or from AGENCY (agency stock would become
/// government stock, or back); MAIN and SUB may still swap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agency_hubs_keep_their_type() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let put = |id: i64, name: &'static str, kind: &'static str| {
        let admin = admin.clone();
        let url = app.url(&format!("/api/hubs/{id}"));
        async move {
            read(
                admin
                    .put(url)
                    .json(&json!({ "name": name, "type": kind }))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    // An agency hub with no users bound to it (so only the new rule can refuse).
    let food = app.hub_id("Food for the Poor Spanish Town").await;
    let (status, err) = put(food, "Food for the Poor Spanish Town", "MAIN").await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert!(
        err["error"]["message"].as_str().unwrap().contains("AGENCY"),
        "{err}"
    );
    let (_, hub) = read(
        admin
            .post(app.url("/api/hubs"))
            .json(&json!({ "name": "Portmore Depot", "type": "SUB" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let depot = hub["id"].as_i64().unwrap();
    let (status, err) = put(depot, "Portmore Depot", "AGENCY").await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    let (status, body) = put(depot, "Portmore Depot", "MAIN").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let kind: String = sqlx::query_scalar("SELECT hub_type FROM hubs WHERE id = $1")
        .bind(food)
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(kind, "AGENCY");
}

/// Finding 16: an admin edit while another writer holds the database waits its turn instead
/// of failing with "database is locked" (500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_edits_wait_for_a_writer_instead_of_failing() {
    let app = spawn().await;
    let lm = app.signed_in("lm").await;
    let item = item_id(&app, "Rice 5 kg").await;
    let hub = app.hub_id("Kingston Central Warehouse").await;
    for round in 0..3 {
        // Another writer (a sync batch, say) holds the write lock and commits a change.
        let db = app.db().await;
        let mut writer = server::db::write_tx(&db).await.unwrap();
        sqlx::query("UPDATE items SET description = $1 WHERE id = $2")
            .bind(format!("round {round}"))
            .bind(item)
            .execute(&mut *writer)
            .await
            .unwrap();
        let edits = [
            lm.put(app.url(&format!("/api/items/{item}")))
                .json(&json!({ "name": format!("Rice 5 kg ({round})"), "category": "Food", "unit": "case", "min_qty": 50 }))
                .send(),
            lm.put(app.url(&format!("/api/hubs/{hub}")))
                .json(&json!({ "name": format!("Kingston Central Warehouse {round}"), "type": "MAIN" }))
                .send(),
        ];
        let release = async {
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            writer.commit().await.unwrap();
        };
        let (results, ()) = tokio::join!(futures::future::join_all(edits), release);
        for res in results {
            let (status, body) = read(res.unwrap()).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
}

/// Finding 16: odd needs-list ids in a form are refused, never a 500 or a broken redirect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_needs_list_id_with_a_newline_is_no_server_error() {
    let app = spawn().await;
    let sub = app.signed_in("sub").await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    for id in ["1\nLocation: https://evil.example", "1\r\n", "abc", "-1"] {
        let res = app
            .post_form(
                &sub,
                "/forms/needs-list",
                &[
                    ("op_id", uuid::Uuid::new_v4().to_string()),
                    ("hub_id", hub.to_string()),
                    ("needs_list_id", id.to_string()),
                    ("priority", "High".into()),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{id:?}");
        let location = res.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with('/') && !location.contains("evil"),
            "{location}"
        );
    }
}

/// Finding 16: a refused distribution writes nothing, not even its new beneficiary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_distribution_leaves_no_beneficiary_behind() {
    let app = spawn().await;
    let clerk = app.signed_in("clerk").await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let item = item_id(&app, "Tarpaulin 4x6 m").await;
    let (_, body) = sync(
        &app,
        &clerk,
        &[op(
            "distribution",
            hub,
            json!({ "item_id": item, "quantity": 5, "beneficiary": "Ghost Shelter" }),
        )],
    )
    .await;
    assert_eq!(body["results"][0]["reason"], "stock_insufficient", "{body}");
    let ghosts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM beneficiaries WHERE name = 'Ghost Shelter'")
            .fetch_one(&app.db().await)
            .await
            .unwrap();
    assert_eq!(ghosts, 0);
}

/// Finding 16: expired sessions are purged (at the next sign-in).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_are_purged() {
    let app = spawn().await;
    let db = app.db().await;
    let admin = app.user_id("admin").await;
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('old', $1, '2020-01-01T00:00:00.000Z', '2020-01-02T00:00:00.000Z')")
        .bind(admin)
        .execute(&db)
        .await
        .unwrap();
    app.signed_in("auditor").await;
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = 'old'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
