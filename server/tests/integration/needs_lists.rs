//! The needs-list lifecycle over HTTP: every transition tried by every role (a table), the
//! editing lock (one of two wins), dispatch all-or-nothing, a full life, agency privacy, and
//! approvals queued offline that wait for a person online.
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{read, spawn, TestApp};
use crate::sync::{balance, event_id, intake_op, item_id, op, sync};

const ROLES: [&str; 8] = [
    "admin", "lm", "lo", "main", "sub", "agency", "clerk", "auditor",
];

struct World {
    app: TestApp,
    requester: i64,
    kingston: i64,
    st_catherine: i64,
    tent: i64,
    soap: i64,
}

async fn world() -> World {
    let app = spawn().await;
    let w = World {
        requester: app.hub_id("Manchester Parish Depot").await,
        kingston: app.hub_id("Kingston Central Warehouse").await,
        st_catherine: app.hub_id("St. Catherine Parish Depot").await,
        tent: item_id(&app, "Family tent").await,
        soap: item_id(&app, "Soap bar").await,
        app,
    };
    // Stock at the two sources.
    stock_in(&w.app, "main", w.kingston, w.tent, 100_000).await;
    stock_in(&w.app, "main", w.kingston, w.soap, 100_000).await;
    stock_in(&w.app, "sub", w.st_catherine, w.tent, 50).await;
    // A requester user at Manchester (a second SUB hub), as seeded users are elsewhere.
    add_user(&w.app, "manchester", "SUB_HUB_USER", Some(w.requester)).await;
    w
}

async fn add_user(app: &TestApp, username: &str, role: &str, hub: Option<i64>) {
    sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, role, hub_id, active, created_at, updated_at) \
         SELECT ?, ?, password_hash, ?, ?, 1, created_at, updated_at FROM users WHERE username = 'admin'",
    )
    .bind(username)
    .bind(format!("{username} user"))
    .bind(role)
    .bind(hub)
    .execute(&app.db().await)
    .await
    .unwrap();
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

/// Posts a no-JS form; `Ok(notice)` or `Err(error)` from where it sends the user back.
async fn post(
    app: &TestApp,
    client: &Client,
    path: &str,
    form: &[(String, String)],
) -> Result<String, String> {
    let res = client.post(app.url(path)).form(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let query = location.split_once('?').map(|q| q.1).unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    match (get("notice"), get("error")) {
        (Some(n), None) => Ok(n),
        (None, Some(e)) => Err(e),
        other => panic!("no outcome in {location}: {other:?}"),
    }
}

fn fields(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    v.push(("op_id".into(), uuid::Uuid::new_v4().to_string()));
    v
}

async fn create(w: &World, submit: bool) -> i64 {
    let client = w.app.signed_in("manchester").await;
    let body = op(
        "needs_list_create",
        w.requester,
        json!({ "event_id": event_id(&w.app).await, "priority": "High", "submit": submit,
                "lines": [ { "item_id": w.tent, "quantity": 40, "justification": "shelter" },
                           { "item_id": w.soap, "quantity": 100 } ] }),
    );
    let (_, res) = sync(&w.app, &client, &[body]).await;
    assert_eq!(res["results"][0]["status"], "applied", "{res}");
    let number = res["results"][0]["reference"].as_str().unwrap().to_string();
    sqlx::query_scalar("SELECT id FROM needs_lists WHERE number = ?")
        .bind(number)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap()
}

async fn status(w: &World, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM needs_lists WHERE id = ?")
        .bind(id)
        .fetch_optional(&w.app.db().await)
        .await
        .unwrap()
        .unwrap_or_else(|| "(deleted)".into())
}

async fn action(
    w: &World,
    user: &str,
    id: i64,
    decision: &str,
    hub: i64,
    reason: &str,
) -> Result<String, String> {
    let client = w.app.signed_in(user).await;
    let form = fields(&[
        ("hub_id", hub.to_string()),
        ("needs_list_id", id.to_string()),
        ("decision", decision.to_string()),
        ("reason", reason.to_string()),
    ]);
    post(&w.app, &client, "/forms/needs-list-action", &form).await
}

async fn fulfil(
    w: &World,
    user: &str,
    id: i64,
    allocations: &[(i64, i64, i64)],
    submit: bool,
) -> Result<String, String> {
    let client = w.app.signed_in(user).await;
    let mut form = fields(&[
        ("hub_id", w.requester.to_string()),
        ("needs_list_id", id.to_string()),
        (
            "decision",
            if submit { "submit" } else { "save" }.to_string(),
        ),
    ]);
    for (item, hub, qty) in allocations {
        form.push((format!("alloc_{item}_{hub}"), qty.to_string()));
    }
    post(&w.app, &client, "/forms/fulfilment", &form).await
}

async fn edit(w: &World, user: &str, id: i64) -> Result<String, String> {
    let client = w.app.signed_in(user).await;
    let form = fields(&[
        ("hub_id", w.requester.to_string()),
        ("needs_list_id", id.to_string()),
        ("event_id", event_id(&w.app).await.to_string()),
        ("priority", "Urgent".into()),
        ("item_id_1", w.tent.to_string()),
        ("quantity_1", "45".into()),
        ("submit", "false".into()),
    ]);
    post(&w.app, &client, "/forms/needs-list", &form).await
}

/// A list brought to `state` by people allowed to.
async fn list_in(w: &World, state: &str) -> i64 {
    let id = create(w, state != "Draft").await;
    if matches!(state, "Draft" | "Submitted") {
        return id;
    }
    fulfil(
        w,
        "lo",
        id,
        &[(w.tent, w.kingston, 40), (w.soap, w.kingston, 100)],
        true,
    )
    .await
    .unwrap();
    if state == "Awaiting Approval" {
        return id;
    }
    action(w, "lm", id, "approve", w.requester, "")
        .await
        .unwrap();
    if state == "Approved" {
        return id;
    }
    action(w, "main", id, "dispatch", w.kingston, "")
        .await
        .unwrap();
    assert_eq!(state, "Dispatched");
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transition_by_every_role() {
    let w = world().await;
    // (transition, state before, state after, roles allowed). The requester hub is Manchester
    // (user `manchester`); the only source is Kingston (user `main`).
    let table: [(&str, &str, &str, &[&str]); 8] = [
        ("edit", "Draft", "Draft", &["manchester"]),
        ("submit", "Draft", "Submitted", &["admin", "manchester"]),
        ("delete", "Draft", "(deleted)", &["admin", "manchester"]),
        (
            "prepare",
            "Submitted",
            "Fulfilment Prepared",
            &["admin", "lm", "lo"],
        ),
        ("approve", "Awaiting Approval", "Approved", &["admin", "lm"]),
        ("reject", "Awaiting Approval", "Submitted", &["admin", "lm"]),
        (
            "dispatch",
            "Approved",
            "Dispatched",
            &["admin", "lm", "lo", "main"],
        ),
        (
            "receive",
            "Dispatched",
            "Completed",
            &["admin", "manchester"],
        ),
    ];
    let mut users: Vec<&str> = ROLES.to_vec();
    users.push("manchester");
    let mut report = Vec::new();
    for (transition, before, after, allowed) in table {
        for user in &users {
            let id = list_in(&w, before).await;
            // Hub users name their own hub; everyone else the requester.
            let hub = match *user {
                "main" => w.kingston,
                "sub" | "clerk" => w.st_catherine,
                _ => w.requester,
            };
            let result = match transition {
                "edit" => edit(&w, user, id).await,
                "prepare" => fulfil(&w, user, id, &[(w.tent, w.kingston, 10)], false).await,
                "reject" => {
                    action(
                        &w,
                        user,
                        id,
                        "reject",
                        hub,
                        "Stock reserved for the hurricane",
                    )
                    .await
                }
                other => action(&w, user, id, other, hub, "").await,
            };
            let now = status(&w, id).await;
            let expected_ok = allowed.contains(user);
            if result.is_ok() != expected_ok || now != if expected_ok { after } else { before } {
                report.push(format!("{transition} by {user}: {result:?}, now {now}"));
            }
            if !expected_ok {
                // A refusal says why, and the operation changed nothing.
                assert!(!result.as_ref().unwrap_err().is_empty());
            }
        }
    }
    assert!(
        report.is_empty(),
        "unexpected outcomes:\n{}",
        report.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_life_with_checks_at_every_step() {
    let w = world().await;
    let id = list_in(&w, "Draft").await;
    assert_eq!(
        edit(&w, "manchester", id).await.unwrap(),
        format!("Needs list {} saved as Draft.", number(&w, id).await)
    );
    let lines: Vec<(i64, i64)> =
        sqlx::query_as("SELECT item_id, quantity FROM needs_list_lines WHERE needs_list_id = ?")
            .bind(id)
            .fetch_all(&w.app.db().await)
            .await
            .unwrap();
    assert_eq!(lines, vec![(w.tent, 45)], "the edit replaced the lines");
    action(&w, "manchester", id, "submit", w.requester, "")
        .await
        .unwrap();
    assert_eq!(
        action(&w, "manchester", id, "delete", w.requester, "")
            .await
            .unwrap_err(),
        format!(
            "Needs list {} is Submitted; it can be deleted only when Draft.",
            number(&w, id).await
        )
    );

    // Allocation rules: within stock, within what was requested, government hubs only.
    let too_much = fulfil(&w, "lo", id, &[(w.tent, w.st_catherine, 51)], false)
        .await
        .unwrap_err();
    assert!(too_much.contains("Only 50"), "{too_much}");
    let over = fulfil(
        &w,
        "lo",
        id,
        &[(w.tent, w.st_catherine, 30), (w.tent, w.kingston, 20)],
        false,
    )
    .await
    .unwrap_err();
    assert!(over.contains("45 requested"), "{over}");
    let red_cross = w.app.hub_id("Red Cross Kingston").await;
    let agency = fulfil(&w, "lo", id, &[(w.tent, red_cross, 1)], false)
        .await
        .unwrap_err();
    assert!(agency.contains("agency hub"), "{agency}");
    let not_on_list = fulfil(&w, "lo", id, &[(w.soap, w.kingston, 1)], false)
        .await
        .unwrap_err();
    assert!(not_on_list.contains("not on needs list"), "{not_on_list}");
    let empty_submit = fulfil(&w, "lo", id, &[], true).await.unwrap_err();
    assert!(empty_submit.contains("at least one"), "{empty_submit}");

    fulfil(
        &w,
        "lo",
        id,
        &[(w.tent, w.st_catherine, 25), (w.tent, w.kingston, 20)],
        false,
    )
    .await
    .unwrap();
    assert_eq!(status(&w, id).await, "Fulfilment Prepared");
    fulfil(
        &w,
        "lo",
        id,
        &[(w.tent, w.st_catherine, 25), (w.tent, w.kingston, 20)],
        true,
    )
    .await
    .unwrap();
    assert_eq!(status(&w, id).await, "Awaiting Approval");

    // Reject needs a reason, and clears the allocations.
    let no_reason = action(&w, "lm", id, "reject", w.requester, "")
        .await
        .unwrap_err();
    assert!(no_reason.contains("Reason"), "{no_reason}");
    action(&w, "lm", id, "reject", w.requester, "Use Kingston only")
        .await
        .unwrap();
    assert_eq!(status(&w, id).await, "Submitted");
    assert_eq!(allocations(&w, id).await, 0);

    fulfil(&w, "lo", id, &[(w.tent, w.kingston, 45)], true)
        .await
        .unwrap();
    action(&w, "lm", id, "approve", w.requester, "")
        .await
        .unwrap();
    // The requester's hub is not a source: its users may not dispatch.
    let sub = action(&w, "manchester", id, "dispatch", w.requester, "")
        .await
        .unwrap_err();
    assert!(
        sub.contains("only when your hub is one of its sources"),
        "{sub}"
    );
    let before = (
        balance(&w.app, w.kingston, w.tent).await,
        balance(&w.app, w.requester, w.tent).await,
    );
    action(&w, "main", id, "dispatch", w.kingston, "")
        .await
        .unwrap();
    let after = (
        balance(&w.app, w.kingston, w.tent).await,
        balance(&w.app, w.requester, w.tent).await,
    );
    assert_eq!(after, (before.0 - 45, before.1 + 45));
    let link = format!("dispatch:{}", number(&w, id).await);
    let linked: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT hub_id, direction, quantity FROM stock_movements WHERE link_id = ? ORDER BY direction",
    )
    .bind(&link).fetch_all(&w.app.db().await).await.unwrap();
    assert_eq!(
        linked,
        vec![
            (w.requester, "IN".into(), 45),
            (w.kingston, "OUT".into(), 45)
        ]
    );

    action(&w, "manchester", id, "receive", w.requester, "")
        .await
        .unwrap();
    assert_eq!(status(&w, id).await, "Completed");

    // The timeline has every step, with who.
    let client = w.app.signed_in("manchester").await;
    let (code, detail) = read(
        client
            .post(w.app.url("/api/fn/needs_list"))
            .form(&[("id", id.to_string())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{detail}");
    let steps: Vec<String> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t["action"].as_str().unwrap(),
                t["by"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            "created manchester user",
            "needs_list_update manchester user",
            "needs_list_submit manchester user",
            "fulfilment_save Olive Officer",
            "fulfilment_submit Olive Officer",
            "needs_list_reject Leon Manager",
            "fulfilment_submit Olive Officer",
            "needs_list_approve Leon Manager",
            "needs_list_dispatch Marcus Main",
            "needs_list_receive manchester user",
        ]
    );
}

async fn number(w: &World, id: i64) -> String {
    sqlx::query_scalar("SELECT number FROM needs_lists WHERE id = ?")
        .bind(id)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap()
}

async fn allocations(w: &World, id: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM needs_list_allocations WHERE needs_list_id = ?")
        .bind(id)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap()
}

async fn server_fn(w: &World, client: &Client, name: &str, id: i64) -> (StatusCode, Value) {
    read(
        client
            .post(w.app.url(&format!("/api/fn/{name}")))
            .form(&[("id", id.to_string())])
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editing_lock_goes_to_one_of_two_and_blocks_the_other() {
    let w = world().await;
    let id = list_in(&w, "Submitted").await;
    let (lo, lm) = (w.app.signed_in("lo").await, w.app.signed_in("lm").await);
    // Both open the prepare screen at the same moment: exactly one holds the lock.
    let (a, b) = tokio::join!(
        server_fn(&w, &lo, "renew_lock", id),
        server_fn(&w, &lm, "renew_lock", id)
    );
    let winners = [&a, &b].iter().filter(|r| r.0 == StatusCode::OK).count();
    assert_eq!(winners, 1, "{a:?} {b:?}");
    let (winner, loser, loser_client) = if a.0 == StatusCode::OK {
        ("lo", "lm", &lm)
    } else {
        ("lm", "lo", &lo)
    };
    let holder = if winner == "lo" {
        "Olive Officer"
    } else {
        "Leon Manager"
    };
    let refused = if a.0 == StatusCode::OK { &b } else { &a };
    assert_eq!(refused.1["code"], "conflict", "{refused:?}");
    assert!(
        refused.1["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{holder} is preparing")),
        "{refused:?}"
    );

    // The other sees the prepare screen read-only, with the holder named, and cannot save.
    let (code, view) = server_fn(&w, loser_client, "prepare", id).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        view["locked_out"].as_str().unwrap().contains(holder),
        "{view}"
    );
    let save = fulfil(&w, loser, id, &[(w.tent, w.kingston, 5)], false)
        .await
        .unwrap_err();
    assert!(
        save.contains(&format!("{holder} is preparing needs list")),
        "{save}"
    );
    assert_eq!(status(&w, id).await, "Submitted");

    // The holder saves (keeps the lock), then submits (releases it).
    fulfil(&w, winner, id, &[(w.tent, w.kingston, 5)], false)
        .await
        .unwrap();
    assert!(server_fn(&w, loser_client, "renew_lock", id).await.0 != StatusCode::OK);
    fulfil(&w, winner, id, &[(w.tent, w.kingston, 5)], true)
        .await
        .unwrap();
    assert_eq!(status(&w, id).await, "Awaiting Approval");
    let locked: Option<i64> = sqlx::query_scalar("SELECT locked_by FROM needs_lists WHERE id = ?")
        .bind(id)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap();
    assert_eq!(locked, None);

    // An expired lock is free for the next person.
    let other = list_in(&w, "Submitted").await;
    assert_eq!(
        server_fn(&w, &lo, "renew_lock", other).await.0,
        StatusCode::OK
    );
    sqlx::query("UPDATE needs_lists SET locked_at = '2026-01-01T00:00:00.000Z' WHERE id = ?")
        .bind(other)
        .execute(&w.app.db().await)
        .await
        .unwrap();
    assert_eq!(
        server_fn(&w, &lm, "renew_lock", other).await.0,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_that_fails_midway_writes_nothing() {
    let w = world().await;
    let id = create(&w, true).await;
    // Tents from Kingston first, then from St. Catherine.
    fulfil(
        &w,
        "lo",
        id,
        &[(w.tent, w.kingston, 20), (w.tent, w.st_catherine, 20)],
        true,
    )
    .await
    .unwrap();
    action(&w, "lm", id, "approve", w.requester, "")
        .await
        .unwrap();
    // Meanwhile St. Catherine gives out most of its tents.
    let sub = w.app.signed_in("sub").await;
    let (_, res) = sync(
        &w.app,
        &sub,
        &[op(
            "distribution",
            w.st_catherine,
            json!({ "item_id": w.tent, "quantity": 45, "beneficiary": "Shelter" }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "applied", "{res}");
    let movements = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM stock_movements")
            .fetch_one(&w.app.db().await)
            .await
            .unwrap()
    };
    let before = (
        movements().await,
        balance(&w.app, w.kingston, w.tent).await,
        balance(&w.app, w.requester, w.tent).await,
    );
    let refused = action(&w, "lo", id, "dispatch", w.requester, "")
        .await
        .unwrap_err();
    assert!(
        refused.contains("Only 5") && refused.contains("Nothing was dispatched"),
        "{refused}"
    );
    let after = (
        movements().await,
        balance(&w.app, w.kingston, w.tent).await,
        balance(&w.app, w.requester, w.tent).await,
    );
    assert_eq!(
        before, after,
        "the Kingston OUT and IN written before the failure were rolled back"
    );
    assert_eq!(status(&w, id).await, "Approved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_and_dispatches_queued_offline_wait_for_confirmation_online() {
    let w = world().await;
    let id = list_in(&w, "Awaiting Approval").await;
    let lm = w.app.signed_in("lm").await;
    let approve = op(
        "needs_list_approve",
        w.requester,
        json!({ "needs_list_id": id }),
    );
    let (_, res) = sync(&w.app, &lm, std::slice::from_ref(&approve)).await;
    assert_eq!(res["results"][0]["status"], "pending_confirmation", "{res}");
    assert_eq!(status(&w, id).await, "Awaiting Approval", "nothing changed");
    // The same operation again: still one pending record.
    sync(&w.app, &lm, &[approve]).await;
    let pending: Vec<i64> = sqlx::query_scalar("SELECT id FROM pending_confirmations WHERE kind = 'needs_list_approve' AND status = 'pending'")
        .fetch_all(&w.app.db().await).await.unwrap();
    assert_eq!(pending.len(), 1);
    // Someone who may not approve cannot even queue it.
    let lo = w.app.signed_in("lo").await;
    let (_, res) = sync(
        &w.app,
        &lo,
        &[op(
            "needs_list_approve",
            w.requester,
            json!({ "needs_list_id": id }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "rejected", "{res}");
    // Confirmed online, it takes effect.
    let res = lm
        .post(
            w.app
                .url(&format!("/forms/confirmations/{}/confirm", pending[0])),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(status(&w, id).await, "Approved");

    // A dispatch queued offline moves no stock until confirmed.
    let before = balance(&w.app, w.kingston, w.tent).await;
    let main = w.app.signed_in("main").await;
    let (_, res) = sync(
        &w.app,
        &main,
        &[op(
            "needs_list_dispatch",
            w.kingston,
            json!({ "needs_list_id": id }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "pending_confirmation", "{res}");
    assert_eq!(balance(&w.app, w.kingston, w.tent).await, before);
    assert_eq!(status(&w, id).await, "Approved");
    // A needs-list submit is the requester's own act: applied through sync.
    let draft = list_in(&w, "Draft").await;
    let manchester = w.app.signed_in("manchester").await;
    let (_, res) = sync(
        &w.app,
        &manchester,
        &[op(
            "needs_list_submit",
            w.requester,
            json!({ "needs_list_id": draft }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "applied", "{res}");
    assert_eq!(status(&w, draft).await, "Submitted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agencies_see_only_their_own_lists() {
    let w = world().await;
    let red_cross = w.app.hub_id("Red Cross Kingston").await;
    let ffp = w.app.hub_id("Food for the Poor Spanish Town").await;
    add_user(&w.app, "ffp", "AGENCY_HUB_USER", Some(ffp)).await;
    let agency = w.app.signed_in("agency").await;
    let (_, res) = sync(
        &w.app,
        &agency,
        &[op(
            "needs_list_create",
            red_cross,
            json!({ "event_id": event_id(&w.app).await, "priority": "Urgent", "submit": true,
                "lines": [ { "item_id": w.tent, "quantity": 10 } ] }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "applied", "{res}");
    let red_cross_list: i64 = sqlx::query_scalar("SELECT id FROM needs_lists WHERE hub_id = ?")
        .bind(red_cross)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap();
    let manchester_list = list_in(&w, "Submitted").await;

    let ffp_client = w.app.signed_in("ffp").await;
    let (_, body) = server_fn(&w, &ffp_client, "needs_list", red_cross_list).await;
    assert_eq!(
        body["code"], "not_found",
        "another agency's list is not even confirmed: {body}"
    );
    let (_, body) = server_fn(&w, &agency, "needs_list", manchester_list).await;
    assert_eq!(body["code"], "not_found", "{body}");
    let (code, mine) = server_fn(&w, &agency, "needs_list", red_cross_list).await;
    assert_eq!(code, StatusCode::OK, "{mine}");
    assert_eq!(hubs_listed(&w, "agency").await, vec!["Red Cross Kingston"]);
    assert!(hubs_listed(&w, "ffp").await.is_empty());
    // Government stock (the prepare screen's sources) is never shown to an agency.
    let (_, body) = server_fn(&w, &agency, "prepare", red_cross_list).await;
    assert_eq!(body["code"], "forbidden", "{body}");
    assert!(body.get("sources").is_none());
    // The Logistics Manager sees agency lists as requesters.
    assert_eq!(hubs_listed(&w, "lm").await.len(), 2);
}

async fn hubs_listed(w: &World, user: &str) -> Vec<String> {
    let client = w.app.signed_in(user).await;
    let (_, v) = read(
        client
            .post(w.app.url("/api/fn/needs_lists"))
            .form(&[("queue", "all")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    v["lists"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|l| l["hub"].as_str().unwrap().to_string())
        .collect()
}

async fn page(w: &World, user: &str, path: &str) -> String {
    let client = w.app.signed_in(user).await;
    let res = client.get(w.app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_render_without_javascript() {
    let w = world().await;
    let id = list_in(&w, "Submitted").await;
    let number = number(&w, id).await;
    // The LO's queue and the list with its action.
    let queue = page(&w, "lo", "/needs-lists?queue=prepare").await;
    assert!(queue.contains(&number), "the prepare queue lists it");
    let detail = page(&w, "lo", &format!("/needs-lists/{id}")).await;
    assert!(detail.contains("Prepare fulfilment") && detail.contains("Timeline"));
    // Opening the prepare screen takes the lock; the form offers Kingston's stock.
    let prepare = page(&w, "lo", &format!("/needs-lists/{id}/prepare")).await;
    assert!(
        prepare.contains("You hold this list&#x27;s editing lock")
            || prepare.contains("You hold this list's editing lock"),
        "{prepare}"
    );
    assert!(prepare.contains(&format!("name=\"alloc_{}_{}\"", w.tent, w.kingston)));
    assert!(
        !prepare.contains(&format!("alloc_{}_{}", w.tent, w.requester)),
        "never the requester itself"
    );
    // The LM, meanwhile, sees who holds it and a disabled form.
    let other = page(&w, "lm", &format!("/needs-lists/{id}/prepare")).await;
    assert!(
        other.contains("Olive Officer is preparing needs list"),
        "{other}"
    );
    assert!(other.contains("disabled"));
    let detail = page(&w, "lm", &format!("/needs-lists/{id}")).await;
    assert!(detail.contains("Olive Officer is preparing this list until"));
    // The requester's Draft edit form is filled with the list.
    let draft = list_in(&w, "Draft").await;
    let edit = page(&w, "manchester", &format!("/needs-lists/{draft}/edit")).await;
    assert!(
        edit.contains(&format!("name=\"needs_list_id\" value=\"{draft}\"")),
        "{edit}"
    );
    assert!(
        edit.contains("value=\"40\""),
        "the line's quantity is filled in"
    );
    // Nobody else's Draft is editable.
    let client = w.app.signed_in("lm").await;
    let res = client
        .get(w.app.url(&format!("/needs-lists/{draft}/edit")))
        .send()
        .await
        .unwrap();
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("only a Draft can be edited, by its hub"));
}

async fn dashboard(w: &World, user: &str) -> Value {
    let client = w.app.signed_in(user).await;
    let (code, v) = read(
        client
            .post(w.app.url("/api/fn/dashboard"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    v
}

fn stat(d: &Value, label: &str) -> String {
    d["stats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["label"] == label)
        .unwrap_or_else(|| panic!("no {label} in {d}"))["value"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_count_the_queues() {
    let w = world().await;
    list_in(&w, "Submitted").await;
    list_in(&w, "Awaiting Approval").await;
    let approved = list_in(&w, "Approved").await;
    let dispatched = list_in(&w, "Dispatched").await;
    let lm = dashboard(&w, "lm").await;
    assert_eq!(stat(&lm, "Lists Submitted"), "1");
    assert_eq!(stat(&lm, "Lists Fulfilment Prepared"), "0");
    assert_eq!(stat(&lm, "Lists Awaiting Approval"), "1");
    assert_eq!(stat(&lm, "Approvals, last 30 days"), "2");
    let lo = dashboard(&w, "lo").await;
    assert_eq!(stat(&lo, "Lists you prepared"), "3");
    assert_eq!(stat(&dashboard(&w, "lm").await, "Lists Submitted"), "1");
    // Kingston is the source of the approved list; St. Catherine of none.
    let main = dashboard(&w, "main").await;
    assert_eq!(stat(&main, "Lists ready to dispatch"), "1");
    assert!(main.to_string().contains(&number(&w, approved).await));
    assert_eq!(
        stat(&dashboard(&w, "sub").await, "Lists ready to dispatch"),
        "0"
    );
    // The requester sees both on their way.
    let requester = dashboard(&w, "manchester").await.to_string();
    assert!(requester.contains(&format!("{} · Approved", number(&w, approved).await)));
    assert!(requester.contains(&format!("{} · Dispatched", number(&w, dispatched).await)));
    // The auditor: approved vs completed.
    action(&w, "manchester", dispatched, "receive", w.requester, "")
        .await
        .unwrap();
    let auditor = dashboard(&w, "auditor").await;
    assert_eq!(stat(&auditor, "Completed within 14 days"), "100%");
}
