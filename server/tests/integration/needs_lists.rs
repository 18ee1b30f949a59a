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
    stock_in(&w.app, "sub", w.st_catherine, w.tent, 1000).await;
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
    list_in_with(
        w,
        state,
        &[(w.tent, w.kingston, 40), (w.soap, w.kingston, 100)],
    )
    .await
}

/// A list brought to `state` by people allowed to, allocated as given. Beyond the states:
/// "Change requested" (Approved, with St. Catherine's pending change request) and
/// "Completed".
async fn list_in_with(w: &World, state: &str, allocations: &[(i64, i64, i64)]) -> i64 {
    let id = create(w, state != "Draft").await;
    if matches!(state, "Draft" | "Submitted") {
        return id;
    }
    fulfil(w, "lo", id, allocations, true).await.unwrap();
    if state == "Awaiting Approval" {
        return id;
    }
    action(w, "lm", id, "approve", w.requester, "")
        .await
        .unwrap();
    if state == "Approved" {
        return id;
    }
    if state == "Change requested" {
        change(
            w,
            "sub",
            w.st_catherine,
            id,
            allocations,
            "Fewer tents here",
            "change",
        )
        .await
        .unwrap();
        return id;
    }
    action(w, "lo", id, "dispatch", w.requester, "")
        .await
        .unwrap();
    if state == "Completed" {
        action(w, "manchester", id, "receive", w.requester, "")
            .await
            .unwrap();
        return id;
    }
    assert_eq!(state, "Dispatched");
    id
}

/// The list's status, its last change request's status, and how many edits after completion.
async fn state(w: &World, id: i64) -> String {
    let cr: Option<String> = sqlx::query_scalar(
        "SELECT status FROM fulfilment_change_requests WHERE needs_list_id = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&w.app.db().await)
    .await
    .unwrap();
    let edits: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM fulfilment_edit_log WHERE needs_list_id = ?")
            .bind(id)
            .fetch_one(&w.app.db().await)
            .await
            .unwrap();
    format!(
        "{}|{}|{edits}",
        status(w, id).await,
        cr.unwrap_or_else(|| "-".into())
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transition_by_every_role() {
    let w = world().await;
    // The requester hub is Manchester (user `manchester`); the sources are Kingston (user
    // `main`) and St. Catherine (users `sub` and `clerk`).
    let sources = [
        (w.tent, w.kingston, 20),
        (w.tent, w.st_catherine, 20),
        (w.soap, w.kingston, 100),
    ];
    // (transition, state before, state after "status|change request|edits", roles allowed).
    let table: [(&str, &str, &str, &[&str]); 13] = [
        ("edit", "Draft", "Draft|-|0", &["manchester"]),
        ("submit", "Draft", "Submitted|-|0", &["admin", "manchester"]),
        ("delete", "Draft", "(deleted)|-|0", &["admin", "manchester"]),
        (
            "prepare",
            "Submitted",
            "Fulfilment Prepared|-|0",
            &["admin", "lm", "lo"],
        ),
        (
            "approve",
            "Awaiting Approval",
            "Approved|-|0",
            &["admin", "lm"],
        ),
        (
            "reject",
            "Awaiting Approval",
            "Submitted|-|0",
            &["admin", "lm"],
        ),
        (
            "dispatch",
            "Approved",
            "Dispatched|-|0",
            &["admin", "lm", "lo", "main", "sub", "clerk"],
        ),
        (
            "receive",
            "Dispatched",
            "Completed|-|0",
            &["admin", "manchester"],
        ),
        ("change", "Approved", "Approved|PENDING|0", &["sub"]),
        (
            "change_approve",
            "Change requested",
            "Resent for Dispatch|APPROVED|0",
            &["lm"],
        ),
        (
            "change_reject",
            "Change requested",
            "Approved|REJECTED|0",
            &["lm", "lo"],
        ),
        (
            "change_clarify",
            "Change requested",
            "Approved|CLARIFICATION_REQUESTED|0",
            &["lm", "lo"],
        ),
        (
            "edit_after",
            "Completed",
            "Completed|-|1",
            &["admin", "lm", "lo"],
        ),
    ];
    let mut users: Vec<&str> = ROLES.to_vec();
    users.push("manchester");
    let mut report = Vec::new();
    for (transition, setup, after, allowed) in table {
        for user in &users {
            let id = list_in_with(&w, setup, &sources).await;
            let before = state(&w, id).await;
            // Hub users name their own hub; everyone else the requester.
            let hub = match *user {
                "main" => w.kingston,
                "sub" | "clerk" => w.st_catherine,
                _ => w.requester,
            };
            let note = "Stock reserved for the hurricane";
            let result = match transition {
                "edit" => edit(&w, user, id).await,
                "prepare" => fulfil(&w, user, id, &[(w.tent, w.kingston, 10)], false).await,
                "reject" => action(&w, user, id, "reject", hub, note).await,
                "change" => {
                    let fewer = [
                        (w.tent, w.kingston, 30),
                        (w.tent, w.st_catherine, 10),
                        (w.soap, w.kingston, 100),
                    ];
                    change(&w, user, hub, id, &fewer, note, "change").await
                }
                "edit_after" => {
                    let fewer = [
                        (w.tent, w.kingston, 15),
                        (w.tent, w.st_catherine, 20),
                        (w.soap, w.kingston, 100),
                    ];
                    change(&w, user, hub, id, &fewer, note, "edit").await
                }
                decision if decision.starts_with("change_") => {
                    let (cr, _) = last_change_request(&w, id).await;
                    decide(&w, user, id, cr, decision, note).await
                }
                other => action(&w, user, id, other, hub, "").await,
            };
            let now = state(&w, id).await;
            let expected_ok = allowed.contains(user);
            let expected = if expected_ok {
                after.to_string()
            } else {
                before
            };
            if result.is_ok() != expected_ok || now != expected {
                report.push(format!(
                    "{transition} by {user}: {result:?}, now {now}, expected {expected}"
                ));
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
    let too_much = fulfil(&w, "lo", id, &[(w.tent, w.st_catherine, 1001)], false)
        .await
        .unwrap_err();
    assert!(too_much.contains("Only 1000"), "{too_much}");
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
            json!({ "item_id": w.tent, "quantity": balance(&w.app, w.st_catherine, w.tent).await - 5, "beneficiary": "Shelter" }),
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

async fn change(
    w: &World,
    user: &str,
    hub: i64,
    id: i64,
    allocations: &[(i64, i64, i64)],
    reason: &str,
    decision: &str,
) -> Result<String, String> {
    let client = w.app.signed_in(user).await;
    let mut form = fields(&[
        ("hub_id", hub.to_string()),
        ("needs_list_id", id.to_string()),
        ("decision", decision.to_string()),
        ("reason", reason.to_string()),
    ]);
    for (item, hub, qty) in allocations {
        form.push((format!("alloc_{item}_{hub}"), qty.to_string()));
    }
    post(&w.app, &client, "/forms/fulfilment", &form).await
}

async fn decide(
    w: &World,
    user: &str,
    id: i64,
    cr: i64,
    decision: &str,
    note: &str,
) -> Result<String, String> {
    let client = w.app.signed_in(user).await;
    let form = fields(&[
        ("hub_id", w.requester.to_string()),
        ("needs_list_id", id.to_string()),
        ("change_request_id", cr.to_string()),
        ("decision", decision.to_string()),
        ("reason", note.to_string()),
    ]);
    post(&w.app, &client, "/forms/needs-list-action", &form).await
}

async fn last_change_request(w: &World, id: i64) -> (i64, String) {
    sqlx::query_as("SELECT id, status FROM fulfilment_change_requests WHERE needs_list_id = ? ORDER BY id DESC LIMIT 1")
        .bind(id)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap()
}

async fn allocation_rows(w: &World, id: i64) -> Vec<(i64, i64, i64)> {
    sqlx::query_as("SELECT item_id, source_hub_id, quantity FROM needs_list_allocations WHERE needs_list_id = ? ORDER BY item_id, source_hub_id")
        .bind(id)
        .fetch_all(&w.app.db().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_requests_from_a_source_hub_and_their_processing() {
    let w = world().await;
    let id = create(&w, true).await;
    fulfil(
        &w,
        "lo",
        id,
        &[
            (w.tent, w.st_catherine, 20),
            (w.tent, w.kingston, 20),
            (w.soap, w.kingston, 100),
        ],
        true,
    )
    .await
    .unwrap();
    action(&w, "lm", id, "approve", w.requester, "")
        .await
        .unwrap();
    let proposal = [
        (w.tent, w.st_catherine, 10),
        (w.tent, w.kingston, 30),
        (w.soap, w.kingston, 100),
    ];

    // Only a SUB user whose hub is a source may ask.
    let main = change(&w, "main", w.kingston, id, &proposal, "busy", "change")
        .await
        .unwrap_err();
    assert!(
        main.contains("may not request fulfilment changes"),
        "{main}"
    );
    let no_reason = change(&w, "sub", w.st_catherine, id, &proposal, "", "change")
        .await
        .unwrap_err();
    assert!(no_reason.contains("Reason"), "{no_reason}");
    change(
        &w,
        "sub",
        w.st_catherine,
        id,
        &proposal,
        "Only 10 tents left after the flood",
        "change",
    )
    .await
    .unwrap();
    let (cr, status_now) = last_change_request(&w, id).await;
    assert_eq!(status_now, "PENDING");
    let twice = change(&w, "sub", w.st_catherine, id, &proposal, "again", "change")
        .await
        .unwrap_err();
    assert!(twice.contains("already waiting"), "{twice}");

    // The LO may not approve, but may ask for clarification (with a note).
    let lo = decide(&w, "lo", id, cr, "change_approve", "")
        .await
        .unwrap_err();
    assert!(lo.contains("may not approve change requests"), "{lo}");
    let bare = decide(&w, "lo", id, cr, "change_clarify", "")
        .await
        .unwrap_err();
    assert!(bare.contains("Note"), "{bare}");
    decide(
        &w,
        "lo",
        id,
        cr,
        "change_clarify",
        "Can Manchester wait a week?",
    )
    .await
    .unwrap();
    assert_eq!(
        last_change_request(&w, id).await.1,
        "CLARIFICATION_REQUESTED"
    );

    // Asked again, rejected by the LM; asked again, approved by the LM.
    change(
        &w,
        "sub",
        w.st_catherine,
        id,
        &proposal,
        "No, they cannot: 10 is all we have",
        "change",
    )
    .await
    .unwrap();
    let (cr, _) = last_change_request(&w, id).await;
    decide(&w, "lm", id, cr, "change_reject", "Kingston is short too")
        .await
        .unwrap();
    assert_eq!(last_change_request(&w, id).await.1, "REJECTED");
    assert_eq!(status(&w, id).await, "Approved");
    change(
        &w,
        "sub",
        w.st_catherine,
        id,
        &proposal,
        "Kingston has restocked",
        "change",
    )
    .await
    .unwrap();
    let (cr, _) = last_change_request(&w, id).await;
    // Queued offline, the decision waits for a person online.
    let lm = w.app.signed_in("lm").await;
    let (_, res) = sync(
        &w.app,
        &lm,
        &[op(
            "change_request_process",
            w.requester,
            json!({ "change_request_id": cr, "decision": "approve" }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "pending_confirmation", "{res}");
    assert_eq!(last_change_request(&w, id).await.1, "PENDING");
    decide(&w, "lm", id, cr, "change_approve", "")
        .await
        .unwrap();
    assert_eq!(last_change_request(&w, id).await.1, "APPROVED");
    assert_eq!(status(&w, id).await, "Resent for Dispatch");
    let mut expected = proposal.to_vec();
    expected.sort();
    assert_eq!(allocation_rows(&w, id).await, expected);
    // One version: before and after, with the reason.
    let (before, after, reason): (String, String, String) = sqlx::query_as(
        "SELECT before, after, reason FROM fulfilment_versions WHERE needs_list_id = ?",
    )
    .bind(id)
    .fetch_one(&w.app.db().await)
    .await
    .unwrap();
    assert!(
        before.contains("\"quantity\":20") && after.contains("\"quantity\":10"),
        "{before} -> {after}"
    );
    assert_eq!(reason, "Kingston has restocked");

    // Dispatched as changed.
    let st_catherine_before = balance(&w.app, w.st_catherine, w.tent).await;
    action(&w, "main", id, "dispatch", w.kingston, "")
        .await
        .unwrap();
    assert_eq!(
        balance(&w.app, w.st_catherine, w.tent).await,
        st_catherine_before - 10
    );
    assert_eq!(balance(&w.app, w.requester, w.tent).await, 40);
}

/// Per item: what the ledger says the requester received for this list (dispatch and
/// corrections), and what the fulfilment says.
async fn ledger_vs_fulfilment(w: &World, id: i64) -> (Vec<(i64, i64)>, Vec<(i64, i64)>) {
    let number = number(w, id).await;
    let ledger: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT item_id, SUM(CASE direction WHEN 'IN' THEN quantity ELSE -quantity END) FROM stock_movements \
         WHERE hub_id = ? AND (link_id = ? OR link_id LIKE ?) GROUP BY item_id ORDER BY item_id",
    )
    .bind(w.requester)
    .bind(format!("dispatch:{number}"))
    .bind(format!("correction:{number}:%"))
    .fetch_all(&w.app.db().await)
    .await
    .unwrap();
    let fulfilment: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT item_id, SUM(quantity) FROM needs_list_allocations WHERE needs_list_id = ? GROUP BY item_id ORDER BY item_id",
    )
    .bind(id)
    .fetch_all(&w.app.db().await)
    .await
    .unwrap();
    (ledger, fulfilment)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrections_after_completion_keep_ledger_and_fulfilment_equal() {
    let w = world().await;
    let id = list_in(&w, "Dispatched").await;
    let early = change(
        &w,
        "lo",
        w.requester,
        id,
        &[(w.tent, w.kingston, 35), (w.soap, w.kingston, 100)],
        "short",
        "edit",
    )
    .await
    .unwrap_err();
    assert!(early.contains("only when Completed"), "{early}");
    action(&w, "manchester", id, "receive", w.requester, "")
        .await
        .unwrap();
    let (ledger, fulfilment) = ledger_vs_fulfilment(&w, id).await;
    assert_eq!(ledger, fulfilment);

    let edit = |user: &'static str, tent: i64, reason: &'static str| {
        let w = &w;
        async move {
            change(
                w,
                user,
                w.requester,
                id,
                &[(w.tent, w.kingston, tent), (w.soap, w.kingston, 100)],
                reason,
                "edit",
            )
            .await
        }
    };
    let sub = edit("manchester", 35, "short").await.unwrap_err();
    assert!(
        sub.contains("may not edit fulfilments after completion"),
        "{sub}"
    );
    assert!(edit("lo", 35, "").await.unwrap_err().contains("Reason"));
    assert!(edit("lo", 45, "more")
        .await
        .unwrap_err()
        .contains("40 requested"));
    assert!(edit("lo", 40, "same")
        .await
        .unwrap_err()
        .contains("Nothing changed"));

    // Five tents never arrived: the ledger sends them back to Kingston.
    let kingston = balance(&w.app, w.kingston, w.tent).await;
    edit("lo", 35, "5 tents missing on arrival").await.unwrap();
    assert_eq!(balance(&w.app, w.kingston, w.tent).await, kingston + 5);
    assert_eq!(balance(&w.app, w.requester, w.tent).await, 35);
    let (ledger, fulfilment) = ledger_vs_fulfilment(&w, id).await;
    assert_eq!(ledger, fulfilment);
    let mut expected = vec![(w.tent, 35), (w.soap, 100)];
    expected.sort();
    assert_eq!(fulfilment, expected);
    // Found three of them: back up to 38.
    edit("lm", 38, "3 found in the second truck").await.unwrap();
    let (ledger, fulfilment) = ledger_vs_fulfilment(&w, id).await;
    assert_eq!(ledger, fulfilment);
    assert_eq!(balance(&w.app, w.kingston, w.tent).await, kingston + 2);

    // Each changed field is logged with before, after and reason.
    let log: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT field, before, after, reason FROM fulfilment_edit_log WHERE needs_list_id = ? ORDER BY id",
    )
    .bind(id)
    .fetch_all(&w.app.db().await)
    .await
    .unwrap();
    assert_eq!(
        log,
        vec![
            (
                "Family tent from Kingston Central Warehouse".into(),
                "40".into(),
                "35".into(),
                "5 tents missing on arrival".into()
            ),
            (
                "Family tent from Kingston Central Warehouse".into(),
                "35".into(),
                "38".into(),
                "3 found in the second truck".into()
            ),
        ]
    );

    // The requester gave the tents out already: a correction taking them back is refused whole.
    let manchester = w.app.signed_in("manchester").await;
    let (_, res) = sync(
        &w.app,
        &manchester,
        &[op(
            "distribution",
            w.requester,
            json!({ "item_id": w.tent, "quantity": 38, "beneficiary": "Mandeville shelter" }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "applied", "{res}");
    let movements_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stock_movements")
        .fetch_one(&w.app.db().await)
        .await
        .unwrap();
    let refused = edit("lo", 30, "8 more missing").await.unwrap_err();
    assert!(refused.contains("Nothing was changed"), "{refused}");
    let movements_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stock_movements")
        .fetch_one(&w.app.db().await)
        .await
        .unwrap();
    assert_eq!(movements_before, movements_after);
    let (ledger, fulfilment) = ledger_vs_fulfilment(&w, id).await;
    assert_eq!(ledger, fulfilment);

    // Queued offline, a correction waits for confirmation.
    let lo = w.app.signed_in("lo").await;
    let (_, res) = sync(
        &w.app,
        &lo,
        &[op(
            "fulfilment_edit",
            w.requester,
            json!({ "needs_list_id": id, "reason": "x",
        "allocations": [ { "item_id": w.tent, "source_hub_id": w.kingston, "quantity": 39 } ] }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "pending_confirmation", "{res}");
    assert_eq!(fulfilment, ledger_vs_fulfilment(&w, id).await.1);
}

async fn notes_for(w: &World, user: &str) -> Vec<String> {
    let client = w.app.signed_in(user).await;
    let (_, v) = read(
        client
            .post(w.app.url("/api/fn/notifications"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|n| n["message"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_people_concerned_are_notified() {
    let w = world().await;
    let id = list_in(&w, "Dispatched").await;
    let n = number(&w, id).await;
    let has = |notes: &[String], text: &str| notes.iter().any(|m| m.contains(text));
    let lo = notes_for(&w, "lo").await;
    assert!(has(&lo, &format!("Needs list {n} was submitted")), "{lo:?}");
    let lm = notes_for(&w, "lm").await;
    assert!(
        has(
            &lm,
            &format!("fulfilment of needs list {n} waits for your approval")
        ),
        "{lm:?}"
    );
    assert!(
        !has(&lm, "was approved for dispatch"),
        "nobody is told of their own act: {lm:?}"
    );
    let main = notes_for(&w, "main").await;
    assert!(
        has(&main, &format!("Needs list {n} was approved for dispatch")),
        "{main:?}"
    );
    let requester = notes_for(&w, "manchester").await;
    assert!(
        has(&requester, &format!("Needs list {n} was dispatched to you")),
        "{requester:?}"
    );
    // Agencies hear nothing of other hubs' lists.
    assert!(notes_for(&w, "agency").await.is_empty());
    // Marking read.
    let client = w.app.signed_in("manchester").await;
    let res = client
        .post(w.app.url("/forms/notifications/read"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, v) = read(
        client
            .post(w.app.url("/api/fn/notifications"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["unread"], 0);
    let html = client
        .get(w.app.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("Needs list {n} was dispatched to you")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_stay_unique_when_lists_arrive_at_once() {
    let w = world().await;
    let event = event_id(&w.app).await;
    // Four devices, ten lists each, all sent at the same moment.
    let mut clients = Vec::new();
    for user in ["manchester", "sub", "clerk", "agency"] {
        clients.push((user, w.app.signed_in(user).await));
    }
    let red_cross = w.app.hub_id("Red Cross Kingston").await;
    let sends = clients.iter().map(|(user, client)| {
        let hub = match *user {
            "manchester" => w.requester,
            "agency" => red_cross,
            _ => w.st_catherine,
        };
        let ops: Vec<Value> = (0..10)
            .map(|_| {
                op(
                    "needs_list_create",
                    hub,
                    json!({ "event_id": event, "priority": "Low", "submit": false,
                            "lines": [ { "item_id": w.tent, "quantity": 1 } ] }),
                )
            })
            .collect();
        let app = &w.app;
        async move {
            let mut refs = Vec::new();
            for op in ops {
                let (_, res) = sync(app, client, &[op]).await;
                refs.push(res["results"][0]["reference"].as_str().unwrap().to_string());
            }
            refs
        }
    });
    let mut numbers: Vec<String> = futures::future::join_all(sends)
        .await
        .into_iter()
        .flatten()
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=40).map(|n| format!("NL-{n:06}")).collect();
    assert_eq!(numbers, expected);
}
