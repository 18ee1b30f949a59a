//! Sync issues both ways: discards reported by the device, the device asking what became of its
//! refusals, and the LM/ADMIN marking an issue resolved (JSON and the no-JS form).
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{read, spawn, TestApp};
use crate::sync::{item_id, op, sync};

/// A distribution far beyond any stock: refused (`stock_insufficient`), kept for review.
fn too_much(hub: i64, item: i64) -> Value {
    op(
        "distribution",
        hub,
        json!({ "item_id": item, "quantity": 99_999, "beneficiary": "Mary Brown" }),
    )
}

/// Syncs `ops` as `client` and checks each outcome; returns their ids.
async fn send(app: &TestApp, client: &Client, ops: &[Value], expect: &str) -> Vec<String> {
    let (status, body) = sync(app, client, ops).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for r in body["results"].as_array().unwrap() {
        assert_eq!(r["status"], expect, "{r}");
    }
    ops.iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

/// `count` refusals at `hub_name` by `user`.
async fn refused(app: &TestApp, user: &str, hub_name: &str, count: usize) -> Vec<String> {
    let client = app.signed_in(user).await;
    let hub = app.hub_id(hub_name).await;
    let item = item_id(app, "Rice 5 kg").await;
    let ops: Vec<Value> = (0..count).map(|_| too_much(hub, item)).collect();
    send(app, &client, &ops, "rejected").await
}

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    read(client.post(app.url(path)).json(&body).send().await.unwrap()).await
}

async fn open_ids(app: &TestApp, client: &Client) -> Vec<String> {
    let (status, list) = read(
        client
            .get(app.url("/api/offline/issues"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

async fn states(app: &TestApp, client: &Client, ids: &[&str]) -> Vec<Value> {
    let (status, body) = post(
        app,
        client,
        "/api/offline/issues/status",
        json!({ "ids": ids }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["issues"].as_array().unwrap().clone()
}

async fn audits(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'operation' AND action = $1")
        .bind(action)
        .fetch_one(&app.db().await)
        .await
        .unwrap()
}

async fn page(app: &TestApp, client: &Client) -> String {
    let res = client.get(app.url("/sync-issues")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discard_closes_the_owners_issue_and_never_touches_another_users() {
    let app = spawn().await;
    let mine = refused(&app, "sub", "St. Catherine Parish Depot", 2).await;
    let theirs = refused(&app, "main", "Kingston Central Warehouse", 1).await;
    let sub = app.signed_in("sub").await;
    let lm = app.signed_in("lm").await;
    let open = open_ids(&app, &lm).await;
    assert!(mine.iter().chain(&theirs).all(|id| open.contains(id)));

    let asked = json!({ "device_id": "test-laptop", "ids": [mine[0], theirs[0], "not-a-uuid"] });
    let (status, body) = post(&app, &sub, "/api/offline/issues/discard", asked.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["discarded"], json!([mine[0]]));
    assert_eq!(body["unknown"], json!([theirs[0], "not-a-uuid"]));
    assert_eq!(audits(&app, "discard").await, 1);
    // Reported again (a retried request): the same answer, nothing written twice.
    let (_, again) = post(&app, &sub, "/api/offline/issues/discard", asked).await;
    assert_eq!(again, body);
    assert_eq!(audits(&app, "discard").await, 1);

    let open = open_ids(&app, &lm).await;
    assert!(!open.contains(&mine[0]), "no longer listed as refused");
    assert!(
        open.contains(&mine[1]) && open.contains(&theirs[0]),
        "the others stay"
    );
    let main = app.signed_in("main").await;
    assert_eq!(
        states(&app, &main, &[&theirs[0]]).await[0]["state"],
        "refused",
        "another user's issue is untouched"
    );
    let html = page(&app, &lm).await;
    assert!(html.contains("Resolved or discarded") && html.contains("Discarded by Sasha Sub"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_answers_each_id_in_order_for_its_owner_only() {
    let app = spawn().await;
    let mine = refused(&app, "sub", "St. Catherine Parish Depot", 2).await;
    let theirs = refused(&app, "main", "Kingston Central Warehouse", 1).await;
    let sub = app.signed_in("sub").await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let item = item_id(&app, "Rice 5 kg").await;
    let event: i64 = sqlx::query_scalar("SELECT id FROM disaster_events WHERE status = 'Active'")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    let intake = op(
        "intake",
        hub,
        json!({ "item_id": item, "quantity": 5, "event_id": event, "donor": "Digicel Foundation" }),
    );
    let applied = send(&app, &sub, &[intake], "applied").await;
    let (status, _) = post(
        &app,
        &sub,
        "/api/offline/issues/discard",
        json!({ "device_id": "test-laptop", "ids": [mine[1]] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let never = uuid::Uuid::new_v4().to_string();
    let asked = [
        theirs[0].as_str(),
        &mine[1],
        &applied[0],
        "junk",
        &mine[0],
        &never,
    ];
    let answer = states(&app, &sub, &asked).await;
    let got: Vec<(&str, &str)> = answer
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (theirs[0].as_str(), "unknown"),
            (mine[1].as_str(), "discarded"),
            (applied[0].as_str(), "applied"),
            ("junk", "unknown"),
            (mine[0].as_str(), "refused"),
            (never.as_str(), "unknown"),
        ]
    );
    assert_eq!(answer[1]["resolved_by"], "Sasha Sub");
    assert!(answer[1]["resolved_at"].as_str().unwrap().ends_with('Z'));
    assert!(answer[1]["note"].is_null() && answer[4]["resolved_by"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lm_and_admin_resolve_with_a_note_that_the_device_learns() {
    let app = spawn().await;
    let ids = refused(&app, "sub", "St. Catherine Parish Depot", 3).await;
    let lm = app.signed_in("lm").await;
    let admin = app.signed_in("admin").await;
    let sub = app.signed_in("sub").await;

    let path = format!("/api/offline/issues/{}/resolve", ids[0]);
    let note = json!({ "note": "  Stock recounted; send it again on Monday.  " });
    let (status, body) = post(&app, &lm, &path, note.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "resolved");
    assert_eq!(body["note"], "Stock recounted; send it again on Monday.");
    assert_eq!(body["resolved_by"], "Leon Manager");
    let (status, body) = post(&app, &admin, &path, note).await;
    assert_eq!(status, StatusCode::CONFLICT, "resolved once: {body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already marked resolved by Leon Manager"));

    // Without JavaScript: the review page's form, with its token, then back with a notice.
    let html = page(&app, &admin).await;
    let action = format!("/sync-issues/{}/resolve", ids[1]);
    assert!(html.contains(&action) && html.contains("Mark resolved"));
    let res = app
        .post_form(
            &admin,
            &action,
            &[("note", "Entered twice; the first was applied.")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap();
    assert!(
        to.starts_with("/sync-issues?notice=") && to.contains("resolved"),
        "{to}"
    );
    // The form without its token is refused.
    let res = admin
        .post(app.url(&format!("/sync-issues/{}/resolve", ids[2])))
        .form(&[("note", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let answer = states(&app, &sub, &[&ids[0], &ids[1], &ids[2]]).await;
    assert_eq!(
        (&answer[0]["state"], &answer[0]["resolved_by"]),
        (&json!("resolved"), &json!("Leon Manager"))
    );
    assert_eq!(
        answer[0]["note"],
        "Stock recounted; send it again on Monday."
    );
    assert_eq!(
        (
            &answer[1]["state"],
            &answer[1]["note"],
            &answer[1]["resolved_by"]
        ),
        (
            &json!("resolved"),
            &json!("Entered twice; the first was applied."),
            &json!("Ada Administrator")
        )
    );
    assert_eq!(answer[2]["state"], "refused");
    assert_eq!(audits(&app, "resolve").await, 2);
    assert_eq!(open_ids(&app, &lm).await, [ids[2].clone()]);
    let html = page(&app, &lm).await;
    assert!(html.contains("Resolved by Leon Manager") && html.contains("send it again on Monday"));

    // A discard of a resolved issue changes nothing and is reported done.
    let (_, body) = post(
        &app,
        &sub,
        "/api/offline/issues/discard",
        json!({ "device_id": "test-laptop", "ids": [ids[0]] }),
    )
    .await;
    assert_eq!(body["discarded"], json!([ids[0]]));
    assert_eq!(states(&app, &sub, &[&ids[0]]).await[0]["state"], "resolved");
    // Resolving what its owner discarded: a conflict.
    post(
        &app,
        &sub,
        "/api/offline/issues/discard",
        json!({ "device_id": "test-laptop", "ids": [ids[2]] }),
    )
    .await;
    let path = format!("/api/offline/issues/{}/resolve", ids[2]);
    let (status, body) = post(&app, &lm, &path, json!({ "note": "ok" })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("discarded by Sasha Sub"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_lm_and_admin_resolve_and_never_at_an_agency_hub() {
    let app = spawn().await;
    let ids = refused(&app, "sub", "St. Catherine Parish Depot", 1).await;
    let agency = refused(&app, "agency", "Red Cross Kingston", 1).await;
    let path = format!("/api/offline/issues/{}/resolve", ids[0]);
    let note = json!({ "note": "fixed" });
    for who in ["sub", "lo", "auditor"] {
        let client = app.signed_in(who).await;
        let (status, body) = post(&app, &client, &path, note.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("may not review other users' sync issues"));
    }
    let lm = app.signed_in("lm").await;
    let agency_path = format!("/api/offline/issues/{}/resolve", agency[0]);
    let (status, body) = post(&app, &lm, &agency_path, note.clone()).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "agency activity stays with the agency: {body}"
    );
    let missing = format!("/api/offline/issues/{}/resolve", uuid::Uuid::new_v4());
    let (status, _) = post(&app, &lm, &missing, note.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for (bad, says) in [
        ("   ", "The resolution note is required."),
        (
            &"x".repeat(501) as &str,
            "too long (501 characters; at most 500)",
        ),
    ] {
        let (status, body) = post(&app, &lm, &path, json!({ "note": bad })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(says),
            "{body}"
        );
    }
    // The form says the same on the page it goes back to.
    let res = app
        .post_form(
            &lm,
            &format!("/sync-issues/{}/resolve", ids[0]),
            &[("note", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap();
    assert!(
        to.starts_with("/sync-issues?error=") && to.contains("required"),
        "{to}"
    );
    let sub = app.signed_in("sub").await;
    assert_eq!(states(&app, &sub, &[&ids[0]]).await[0]["state"], "refused");
    let html = page(&app, &sub).await;
    assert!(!html.contains("Mark resolved"), "no form for a hub user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_lists_are_bounded_and_a_sign_in_is_required() {
    let app = spawn().await;
    let sub = app.signed_in("sub").await;
    let many: Vec<String> = (0..1001)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let cases = [
        (
            "discard",
            json!({ "device_id": "test-laptop", "ids": [] }),
            "at least one",
        ),
        (
            "discard",
            json!({ "device_id": "test-laptop", "ids": many }),
            "At most 1000",
        ),
        ("status", json!({ "ids": [] }), "at least one"),
        ("status", json!({ "ids": many }), "At most 1000"),
        (
            "discard",
            json!({ "device_id": "bad id!", "ids": [many[0]] }),
            "device_id",
        ),
        ("discard", json!({ "ids": [many[0]] }), "expected fields"),
    ];
    for (what, body, says) in cases {
        let path = format!("/api/offline/issues/{what}");
        let (status, answer) = post(&app, &sub, &path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {answer}");
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(says),
            "{what}: {answer}"
        );
    }
    let (status, body) = post(
        &app,
        &sub,
        "/api/offline/issues/status",
        json!({ "ids": many[..1000] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["issues"].as_array().unwrap().len(), 1000);

    let anon = app.client();
    for path in ["/api/offline/issues/discard", "/api/offline/issues/status"] {
        let body = json!({ "device_id": "test-laptop", "ids": [many[0]] });
        let (status, _) = post(&app, &anon, path, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let resolve = format!("/api/offline/issues/{}/resolve", many[0]);
    let (status, _) = post(&app, &anon, &resolve, json!({ "note": "x" })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_sent_again_is_an_open_issue_again() {
    let app = spawn().await;
    let sub = app.signed_in("sub").await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let item = item_id(&app, "Rice 5 kg").await;
    let first = too_much(hub, item);
    let id = send(&app, &sub, std::slice::from_ref(&first), "rejected")
        .await
        .remove(0);
    let (_, body) = post(
        &app,
        &sub,
        "/api/offline/issues/discard",
        json!({ "device_id": "test-laptop", "ids": [id] }),
    )
    .await;
    assert_eq!(body["discarded"], json!([id]));
    send(&app, &sub, &[first], "rejected").await;
    assert_eq!(states(&app, &sub, &[&id]).await[0]["state"], "refused");
    let lm = app.signed_in("lm").await;
    assert!(open_ids(&app, &lm).await.contains(&id));
}
