//! Transfers over HTTP (request, approve with OUT+IN linked, reject, stock re-checked), who may
//! do what, and the rule that sync alone never finalises them: queued offline they come back
//! `pending_confirmation` and take effect only when a person confirms them online.
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::common::{spawn, TestApp};
use crate::sync::{balance, event_id, intake_op, item_id, op, sync};

async fn post_form(app: &TestApp, client: &Client, path: &str, form: &[(&str, String)]) -> String {
    let res = app.post_form(client, path, form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let query = location.split_once('?').map(|q| q.1).unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    pairs
        .into_iter()
        .filter(|(k, _)| k == "notice" || k == "error")
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn request_form(from: i64, to: i64, item: i64, qty: i64) -> Vec<(&'static str, String)> {
    vec![
        ("op_id", uuid::Uuid::new_v4().to_string()),
        ("hub_id", from.to_string()),
        ("to_hub_id", to.to_string()),
        ("item_id", item.to_string()),
        ("quantity", qty.to_string()),
    ]
}

fn review_form(from: i64, id: i64, decision: &str, reason: &str) -> Vec<(&'static str, String)> {
    vec![
        ("op_id", uuid::Uuid::new_v4().to_string()),
        ("hub_id", from.to_string()),
        ("transfer_id", id.to_string()),
        ("decision", decision.to_string()),
        ("reason", reason.to_string()),
    ]
}

async fn stock_in(app: &TestApp, user: &str, hub: i64, item: i64, qty: i64) {
    let client = app.signed_in(user).await;
    let (status, body) = sync(
        app,
        &client,
        &[intake_op(hub, item, event_id(app).await, qty)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["results"][0]["status"], "applied", "{body}");
}

async fn linked_movements(app: &TestApp, link: &str) -> Vec<(i64, String, i64)> {
    sqlx::query_as(
        "SELECT hub_id, direction, quantity FROM stock_movements WHERE link_id = $1 ORDER BY direction",
    )
    .bind(link)
    .fetch_all(&app.db().await)
    .await
    .unwrap()
}

async fn transfer_status(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM transfers WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_then_approve_or_reject_with_stock_rechecked() {
    let app = spawn().await;
    let sub_hub = app.hub_id("St. Catherine Parish Depot").await;
    let kingston = app.hub_id("Kingston Central Warehouse").await;
    let tent = item_id(&app, "Family tent").await;
    stock_in(&app, "sub", sub_hub, tent, 50).await;
    let sub = app.signed_in("sub").await;
    let lo = app.signed_in("lo").await;
    let lm = app.signed_in("lm").await;

    let said = post_form(
        &app,
        &sub,
        "/forms/transfer-request",
        &request_form(sub_hub, kingston, tent, 80),
    )
    .await;
    assert_eq!(
        said,
        "error: Only 50 each of Family tent in stock at St. Catherine Parish Depot; 80 requested for transfer."
    );
    let said = post_form(
        &app,
        &sub,
        "/forms/transfer-request",
        &request_form(sub_hub, sub_hub, tent, 5),
    )
    .await;
    assert_eq!(
        said,
        "error: A transfer goes to another hub; choose a different destination."
    );
    let said = post_form(
        &app,
        &sub,
        "/forms/transfer-request",
        &request_form(sub_hub, kingston, tent, 20),
    )
    .await;
    assert_eq!(
        said,
        "notice: Transfer #1 requested: 20 each of Family tent from St. Catherine Parish Depot to Kingston Central Warehouse; waiting for approval."
    );
    // Requesting moves nothing.
    assert_eq!(balance(&app, sub_hub, tent).await, 50);

    let said = post_form(
        &app,
        &sub,
        "/forms/transfer-review",
        &review_form(sub_hub, 1, "approve", ""),
    )
    .await;
    assert!(
        said.starts_with("error: Your role (Sub-Hub User) may not"),
        "{said}"
    );
    let said = post_form(
        &app,
        &lo,
        "/forms/transfer-review",
        &review_form(sub_hub, 1, "approve", ""),
    )
    .await;
    assert_eq!(
        said,
        "notice: Transfer #1 approved: 20 each of Family tent moved from St. Catherine Parish Depot to Kingston Central Warehouse."
    );
    assert_eq!(balance(&app, sub_hub, tent).await, 30);
    assert_eq!(balance(&app, kingston, tent).await, 20);
    assert_eq!(
        linked_movements(&app, "transfer:1").await,
        [
            (kingston, "IN".to_string(), 20),
            (sub_hub, "OUT".to_string(), 20)
        ]
    );
    let said = post_form(
        &app,
        &lm,
        "/forms/transfer-review",
        &review_form(sub_hub, 1, "approve", ""),
    )
    .await;
    assert_eq!(said, "error: Transfer #1 is already approved.");

    // Stock is checked again at approval: taken meanwhile, the approval is refused, all or nothing.
    let said = post_form(
        &app,
        &sub,
        "/forms/transfer-request",
        &request_form(sub_hub, kingston, tent, 30),
    )
    .await;
    assert!(said.starts_with("notice: Transfer #2 requested"), "{said}");
    let drain = op(
        "distribution",
        sub_hub,
        json!({ "item_id": tent, "quantity": 25, "beneficiary": "Shelter" }),
    );
    assert_eq!(
        sync(&app, &sub, &[drain]).await.1["results"][0]["status"],
        "applied"
    );
    let said = post_form(
        &app,
        &lm,
        "/forms/transfer-review",
        &review_form(sub_hub, 2, "approve", ""),
    )
    .await;
    assert_eq!(
        said,
        "error: Only 5 each of Family tent in stock at St. Catherine Parish Depot now; the transfer needs 30."
    );
    assert_eq!(transfer_status(&app, 2).await, "PENDING");
    assert!(linked_movements(&app, "transfer:2").await.is_empty());
    assert_eq!(balance(&app, sub_hub, tent).await, 5);

    let said = post_form(
        &app,
        &lm,
        "/forms/transfer-review",
        &review_form(sub_hub, 2, "reject", " "),
    )
    .await;
    assert!(said.starts_with("error: Reason is required"), "{said}");
    let said = post_form(
        &app,
        &lm,
        "/forms/transfer-review",
        &review_form(sub_hub, 2, "reject", "Stock used locally"),
    )
    .await;
    assert_eq!(said, "notice: Transfer #2 rejected.");
    assert_eq!(transfer_status(&app, 2).await, "REJECTED");

    // The page lists both, with the review.
    let html = lm
        .get(app.url("/transfers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Stock used locally"),
        "rejection reason shown"
    );
    assert!(html.contains("APPROVED") && html.contains("REJECTED"));
}

/// Every role, through sync (so the answer is the rule's, before any stock check): may it
/// request a transfer from this hub, may it approve one? Written out by hand from DOMAIN.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_request_and_review_transfers() {
    let app = spawn().await;
    let kingston = app.hub_id("Kingston Central Warehouse").await;
    let st_catherine = app.hub_id("St. Catherine Parish Depot").await;
    let red_cross = app.hub_id("Red Cross Kingston").await;
    let tent = item_id(&app, "Family tent").await;
    let table: [(&str, i64, &str, &str); 13] = [
        // user, from hub, request, review (at that hub)
        (
            "admin",
            kingston,
            "pending_confirmation",
            "pending_confirmation",
        ),
        (
            "lm",
            kingston,
            "pending_confirmation",
            "pending_confirmation",
        ),
        (
            "lo",
            kingston,
            "pending_confirmation",
            "pending_confirmation",
        ),
        (
            "lo",
            st_catherine,
            "pending_confirmation",
            "pending_confirmation",
        ),
        ("main", kingston, "pending_confirmation", "forbidden"),
        ("main", st_catherine, "forbidden", "forbidden"),
        ("sub", st_catherine, "pending_confirmation", "forbidden"),
        ("sub", kingston, "forbidden", "forbidden"),
        ("clerk", st_catherine, "pending_confirmation", "forbidden"),
        ("clerk", kingston, "forbidden", "forbidden"),
        ("agency", red_cross, "forbidden", "forbidden"),
        ("auditor", kingston, "forbidden", "forbidden"),
        ("auditor", st_catherine, "forbidden", "forbidden"),
    ];
    for (user, hub, request, review) in table {
        let client = app.signed_in(user).await;
        let to = if hub == kingston {
            st_catherine
        } else {
            kingston
        };
        let ops = [
            op(
                "transfer_request",
                hub,
                json!({ "to_hub_id": to, "item_id": tent, "quantity": 1 }),
            ),
            op("transfer_approve", hub, json!({ "transfer_id": 1 })),
        ];
        let (_, body) = sync(&app, &client, &ops).await;
        let got = |i: usize| {
            let r = &body["results"][i];
            r["reason"]
                .as_str()
                .unwrap_or(r["status"].as_str().unwrap())
                .to_string()
        };
        assert_eq!(
            (got(0).as_str(), got(1).as_str()),
            (request, review),
            "{user} at hub {hub}: {body}"
        );
    }
    // Nothing of it took effect.
    let transfers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transfers")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(transfers, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_offline_then_confirmed_online() {
    let app = spawn().await;
    let sub_hub = app.hub_id("St. Catherine Parish Depot").await;
    let kingston = app.hub_id("Kingston Central Warehouse").await;
    let tent = item_id(&app, "Family tent").await;
    stock_in(&app, "sub", sub_hub, tent, 40).await;
    let sub = app.signed_in("sub").await;
    let lo = app.signed_in("lo").await;
    let main = app.signed_in("main").await;
    let db = app.db().await;
    let pending_id = |op_id: String| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM pending_confirmations WHERE operation_id = $1",
            )
            .bind(op_id)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };

    let request = op(
        "transfer_request",
        sub_hub,
        json!({ "to_hub_id": kingston, "item_id": tent, "quantity": 10 }),
    );
    for _ in 0..2 {
        // Sent twice (a lost answer): the same pending outcome, recorded once.
        let (_, body) = sync(&app, &sub, std::slice::from_ref(&request)).await;
        assert_eq!(
            body["results"][0]["status"], "pending_confirmation",
            "{body}"
        );
        assert!(body["results"][0]["message"]
            .as_str()
            .unwrap()
            .contains("needs confirmation online"));
    }
    let count = |table: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    assert_eq!(count("pending_confirmations").await, 1);
    assert_eq!(count("transfers").await, 0);
    let first = pending_id(request["id"].as_str().unwrap().to_string()).await;

    // Listed for those who may do it at that hub; not for a MAIN hub user.
    let page = |c: &Client| {
        let c = c.clone();
        let url = app.url("/confirmations");
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(page(&sub).await.contains("Transfer request of 10 × Family tent to Kingston Central Warehouse (needs confirmation online)"));
    assert!(page(&lo).await.contains(&format!("Confirm #{first}")));
    assert!(!page(&main).await.contains(&format!("Confirm #{first}")));
    let said = post_form(
        &app,
        &main,
        &format!("/forms/confirmations/{first}/confirm"),
        &[],
    )
    .await;
    assert_eq!(
        said,
        "error: You may not confirm or discard this operation."
    );

    let said = post_form(
        &app,
        &sub,
        &format!("/forms/confirmations/{first}/confirm"),
        &[],
    )
    .await;
    assert!(
        said.starts_with("notice: Transfer #1 requested: 10 each"),
        "{said}"
    );
    assert_eq!(transfer_status(&app, 1).await, "PENDING");
    let said = post_form(
        &app,
        &sub,
        &format!("/forms/confirmations/{first}/confirm"),
        &[],
    )
    .await;
    assert!(
        said.ends_with("does not exist or was already decided."),
        "{said}"
    );
    assert_eq!(count("transfers").await, 1);

    // An approval queued offline changes nothing until confirmed online.
    let approve = op("transfer_approve", sub_hub, json!({ "transfer_id": 1 }));
    let (_, body) = sync(&app, &lo, std::slice::from_ref(&approve)).await;
    assert_eq!(body["results"][0]["status"], "pending_confirmation");
    assert_eq!(transfer_status(&app, 1).await, "PENDING");
    assert_eq!(balance(&app, kingston, tent).await, 0);
    let second = pending_id(approve["id"].as_str().unwrap().to_string()).await;
    let said = post_form(
        &app,
        &lo,
        &format!("/forms/confirmations/{second}/confirm"),
        &[],
    )
    .await;
    assert!(said.starts_with("notice: Transfer #1 approved"), "{said}");
    assert_eq!(
        (
            balance(&app, sub_hub, tent).await,
            balance(&app, kingston, tent).await
        ),
        (30, 10)
    );

    // Re-validated when confirmed: too much now, so it stays pending with the reason; then discarded.
    let big = op(
        "transfer_request",
        sub_hub,
        json!({ "to_hub_id": kingston, "item_id": tent, "quantity": 100 }),
    );
    assert_eq!(
        sync(&app, &sub, std::slice::from_ref(&big)).await.1["results"][0]["status"],
        "pending_confirmation"
    );
    let third = pending_id(big["id"].as_str().unwrap().to_string()).await;
    let said = post_form(
        &app,
        &sub,
        &format!("/forms/confirmations/{third}/confirm"),
        &[],
    )
    .await;
    assert!(
        said.starts_with("error: Not done, still pending: Only 30 each"),
        "{said}"
    );
    assert!(page(&sub).await.contains(&format!("Confirm #{third}")));
    let said = post_form(
        &app,
        &sub,
        &format!("/forms/confirmations/{third}/discard"),
        &[],
    )
    .await;
    assert!(
        said.starts_with("notice: Discarded: Transfer request of 100"),
        "{said}"
    );
    assert!(!page(&sub).await.contains(&format!("Confirm #{third}")));
    assert_eq!(count("transfers").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agency_hubs_are_never_a_transfer_destination() {
    let app = spawn().await;
    let kingston = app.hub_id("Kingston Central Warehouse").await;
    let red_cross = app.hub_id("Red Cross Kingston").await;
    let tent = item_id(&app, "Family tent").await;
    stock_in(&app, "main", kingston, tent, 10).await;
    let lm = app.signed_in("lm").await;
    let said = post_form(
        &app,
        &lm,
        "/forms/transfer-request",
        &request_form(kingston, red_cross, tent, 5),
    )
    .await;
    assert_eq!(
        said,
        "error: Transfers move government stock between government hubs; agency hubs keep their own stock."
    );
    let html = lm
        .get(app.url("/transfers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Red Cross"), "no agency hub offered");
}
