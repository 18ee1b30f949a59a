//! The needs-list lifecycle over HTTP: every transition tried by every role (a table), the
//! editing lock (one of two wins), dispatch all-or-nothing, a full life, agency privacy, and
//! approvals queued offline that wait for a person online.
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{read, spawn, TestApp};
use crate::sync::{balance, event_id, intake_op, item_id, op, sync};

mod bounds;
mod changes;
mod life;
mod locks_and_dispatch;
mod roles;
mod security;

pub(super) const ROLES: [&str; 8] = [
    "admin", "lm", "lo", "main", "sub", "agency", "clerk", "auditor",
];

pub(super) struct World {
    pub(super) app: TestApp,
    pub(super) requester: i64,
    pub(super) kingston: i64,
    pub(super) st_catherine: i64,
    pub(super) tent: i64,
    pub(super) soap: i64,
}

pub(super) async fn world() -> World {
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

pub(super) async fn add_user(app: &TestApp, username: &str, role: &str, hub: Option<i64>) {
    sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, role, hub_id, active, created_at, updated_at) \
         SELECT $1, $2, password_hash, $3, $4, 1, created_at, updated_at FROM users WHERE username = 'admin'",
    )
    .bind(username)
    .bind(format!("{username} user"))
    .bind(role)
    .bind(hub)
    .execute(&app.db().await)
    .await
    .unwrap();
}

pub(super) async fn stock_in(app: &TestApp, user: &str, hub: i64, item: i64, qty: i64) {
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
pub(super) async fn post(
    app: &TestApp,
    client: &Client,
    path: &str,
    form: &[(String, String)],
) -> Result<String, String> {
    let res = app.post_form(client, path, form).await;
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

pub(super) fn fields(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    v.push(("op_id".into(), uuid::Uuid::new_v4().to_string()));
    v
}

pub(super) async fn create(w: &World, submit: bool) -> i64 {
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
    sqlx::query_scalar("SELECT id FROM needs_lists WHERE number = $1")
        .bind(number)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap()
}

pub(super) async fn status(w: &World, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM needs_lists WHERE id = $1")
        .bind(id)
        .fetch_optional(&w.app.db().await)
        .await
        .unwrap()
        .unwrap_or_else(|| "(deleted)".into())
}

pub(super) async fn action(
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

pub(super) async fn fulfil(
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

pub(super) async fn edit(w: &World, user: &str, id: i64) -> Result<String, String> {
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
pub(super) async fn list_in(w: &World, state: &str) -> i64 {
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
pub(super) async fn list_in_with(w: &World, state: &str, allocations: &[(i64, i64, i64)]) -> i64 {
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
pub(super) async fn state(w: &World, id: i64) -> String {
    let cr: Option<String> = sqlx::query_scalar(
        "SELECT status FROM fulfilment_change_requests WHERE needs_list_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&w.app.db().await)
    .await
    .unwrap();
    let edits: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM fulfilment_edit_log WHERE needs_list_id = $1")
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

pub(super) async fn number(w: &World, id: i64) -> String {
    sqlx::query_scalar("SELECT number FROM needs_lists WHERE id = $1")
        .bind(id)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap()
}

pub(super) async fn allocations(w: &World, id: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM needs_list_allocations WHERE needs_list_id = $1")
        .bind(id)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap()
}

pub(super) async fn server_fn(
    w: &World,
    client: &Client,
    name: &str,
    id: i64,
) -> (StatusCode, Value) {
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

pub(super) async fn hubs_listed(w: &World, user: &str) -> Vec<String> {
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

pub(super) async fn page(w: &World, user: &str, path: &str) -> String {
    let client = w.app.signed_in(user).await;
    let res = client.get(w.app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

pub(super) async fn dashboard(w: &World, user: &str) -> Value {
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

pub(super) fn stat(d: &Value, label: &str) -> String {
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

pub(super) async fn change(
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

pub(super) async fn decide(
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

pub(super) async fn last_change_request(w: &World, id: i64) -> (i64, String) {
    sqlx::query_as("SELECT id, status FROM fulfilment_change_requests WHERE needs_list_id = $1 ORDER BY id DESC LIMIT 1")
        .bind(id)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap()
}

pub(super) async fn allocation_rows(w: &World, id: i64) -> Vec<(i64, i64, i64)> {
    sqlx::query_as("SELECT item_id, source_hub_id, quantity FROM needs_list_allocations WHERE needs_list_id = $1 ORDER BY item_id, source_hub_id")
        .bind(id)
        .fetch_all(&w.app.db().await)
        .await
        .unwrap()
}

/// Per item: what the ledger says the requester received for this list (dispatch and
/// corrections), and what the fulfilment says.
pub(super) async fn ledger_vs_fulfilment(w: &World, id: i64) -> (Vec<(i64, i64)>, Vec<(i64, i64)>) {
    let number = number(w, id).await;
    let ledger: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT item_id, CAST(SUM(CASE direction WHEN 'IN' THEN quantity ELSE -quantity END) AS BIGINT) FROM stock_movements \
         WHERE hub_id = $1 AND (link_id = $2 OR link_id LIKE $3) GROUP BY item_id ORDER BY item_id",
    )
    .bind(w.requester)
    .bind(format!("dispatch:{number}"))
    .bind(format!("correction:{number}:%"))
    .fetch_all(&w.app.db().await)
    .await
    .unwrap();
    let fulfilment: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT item_id, CAST(SUM(quantity) AS BIGINT) FROM needs_list_allocations WHERE needs_list_id = $1 GROUP BY item_id ORDER BY item_id",
    )
    .bind(id)
    .fetch_all(&w.app.db().await)
    .await
    .unwrap();
    (ledger, fulfilment)
}

pub(super) async fn notes_for(w: &World, user: &str) -> Vec<String> {
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
