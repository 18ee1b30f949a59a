//! Two server processes on one PostgreSQL database (issue 14): every guarantee of the one write
//! path holds across processes, with nothing shared but the database. Runs when the suite runs
//! on PostgreSQL (`DRIMS_TEST_POSTGRES`); an SQLite file has one server.
use std::collections::HashSet;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sqlx::AnyPool;
use tokio::net::TcpListener;

use crate::common::{fresh_database_url, postgres, read};
use crate::sync::{intake_op, op};
use crate::sync_crash::Server;

async fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn signed_in(base: &str, username: &str) -> Client {
    let client = Client::builder().cookie_store(true).build().unwrap();
    let res = client
        .post(format!("{base}/api/session"))
        .json(&json!({ "username": username, "password": "drims-demo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{username} signs in at {base}"
    );
    client
}

async fn sync(base: &str, client: &Client, ops: &[Value]) -> Value {
    let (status, body) = read(
        client
            .post(format!("{base}/api/offline/sync"))
            .json(&json!({ "device_id": "test-laptop", "operations": ops }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn statuses(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

async fn one(db: &AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_keep_every_guarantee() {
    if postgres().is_none() {
        eprintln!("two servers share a PostgreSQL database only: DRIMS_TEST_POSTGRES is not set");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db_url = fresh_database_url(dir.path()).await;
    let site = dir.path().join("site");
    let (port_a, port_b) = (free_port().await, free_port().await);
    // The first seeds the demo data; the second starts on the seeded database.
    let _a = Server::start(&db_url, &site, port_a).await;
    let _b = Server::start(&db_url, &site, port_b).await;
    let (a, b) = (
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    );
    sqlx::any::install_default_drivers();
    let db = AnyPool::connect(&db_url).await.unwrap();
    let hub = one(
        &db,
        "SELECT id FROM hubs WHERE name = 'St. Catherine Parish Depot'",
    )
    .await;
    let item = one(&db, "SELECT id FROM items WHERE name = 'Rice 5 kg'").await;
    let event = one(
        &db,
        "SELECT id FROM disaster_events WHERE status = 'Active' LIMIT 1",
    )
    .await;
    let balance = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(MAX(quantity), 0) FROM stock_balances WHERE hub_id = $1 AND item_id = $2",
        )
        .bind(hub)
        .bind(item)
        .fetch_one(&db)
        .await
        .unwrap()
    };

    // A session made on one server is valid on the other.
    let sub = signed_in(&a, "sub").await;
    let (status, me) = read(sub.get(format!("{b}/api/session")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["username"], "sub", "{me}");

    // The same batch sent to both at once is applied once.
    let before = balance().await;
    let ops: Vec<Value> = (1..=20).map(|q| intake_op(hub, item, event, q)).collect();
    let (from_a, from_b) = tokio::join!(sync(&a, &sub, &ops), sync(&b, &sub, &ops));
    assert!(statuses(&from_a).iter().all(|s| s == "applied"), "{from_a}");
    assert_eq!(
        from_a["results"], from_b["results"],
        "the same stored outcomes"
    );
    assert_eq!(balance().await, before + 210, "applied once");
    let ids: Vec<String> = ops
        .iter()
        .map(|o| format!("'{}'", o["id"].as_str().unwrap()))
        .collect();
    let rows = one(
        &db,
        &format!(
            "SELECT COUNT(*) FROM stock_movements WHERE operation_id IN ({})",
            ids.join(",")
        ),
    )
    .await;
    assert_eq!(rows, 20, "one ledger row per operation");

    // Distributions racing for the last units on both servers never go negative.
    let spare = balance().await - 10;
    let down = op(
        "distribution",
        hub,
        json!({ "item_id": item, "quantity": spare, "beneficiary": "Mary Brown" }),
    );
    assert_eq!(statuses(&sync(&a, &sub, &[down]).await), ["applied"]);
    assert_eq!(balance().await, 10);
    let clerk = signed_in(&b, "clerk").await;
    let units = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|_| {
                op(
                    "distribution",
                    hub,
                    json!({ "item_id": item, "quantity": 1, "beneficiary": "Mary Brown" }),
                )
            })
            .collect()
    };
    let (x, y) = (units(10), units(10));
    let (on_a, on_b) = tokio::join!(sync(&a, &sub, &x), sync(&b, &clerk, &y));
    let applied = statuses(&on_a)
        .iter()
        .chain(statuses(&on_b).iter())
        .filter(|s| *s == "applied")
        .count();
    assert_eq!(applied, 10, "ten units, ten distributions: {on_a} {on_b}");
    assert_eq!(balance().await, 0);
    assert_eq!(
        one(
            &db,
            "SELECT COUNT(*) FROM stock_balances WHERE quantity < 0"
        )
        .await,
        0
    );

    // Needs-list numbers stay unique when lists arrive through both servers at once.
    let list = || {
        op(
            "needs_list_create",
            hub,
            json!({ "event_id": event, "priority": "Low", "submit": true,
                    "lines": [ { "item_id": item, "quantity": 1 } ] }),
        )
    };
    let send = |base: String, client: Client| async move {
        let mut refs = Vec::new();
        for _ in 0..10 {
            let answer = sync(&base, &client, &[list()]).await;
            assert_eq!(statuses(&answer), ["applied"], "{answer}");
            refs.push(
                answer["results"][0]["reference"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        refs
    };
    let (refs_a, refs_b) =
        tokio::join!(send(a.clone(), sub.clone()), send(b.clone(), clerk.clone()));
    let numbers: HashSet<&String> = refs_a.iter().chain(refs_b.iter()).collect();
    assert_eq!(numbers.len(), 20, "{refs_a:?} {refs_b:?}");

    // Two officers take the editing lock of one list through different servers: one holds it.
    let id = one(
        &db,
        "SELECT MAX(id) FROM needs_lists WHERE status = 'Submitted'",
    )
    .await;
    let (lo, lm) = (signed_in(&a, "lo").await, signed_in(&b, "lm").await);
    let lock = |base: String, client: Client| async move {
        client
            .post(format!("{base}/api/fn/renew_lock"))
            .form(&[("id", id.to_string())])
            .send()
            .await
            .unwrap()
            .status()
    };
    let (by_lo, by_lm) = tokio::join!(lock(a.clone(), lo), lock(b.clone(), lm));
    let holders = [by_lo, by_lm]
        .iter()
        .filter(|s| **s == StatusCode::OK)
        .count();
    assert_eq!(holders, 1, "lo: {by_lo}, lm: {by_lm}");
    let held = one(
        &db,
        &format!("SELECT COUNT(*) FROM needs_lists WHERE id = {id} AND locked_by IS NOT NULL"),
    )
    .await;
    assert_eq!(held, 1);
}
