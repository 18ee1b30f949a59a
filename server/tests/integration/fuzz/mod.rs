//! Property-based fuzzing of the sync endpoint and the JSON API (issue 10): seeded random and
//! hostile cases, 10,000 by default (`DRIMS_FUZZ_CASES`, `DRIMS_FUZZ_SEED`; `make fuzz-long`
//! runs 100,000). Every answer is 2xx/4xx with a specific error, nothing panics, stock is never
//! negative and always equals its ledger, and the server still answers at the end.
mod gen;

use std::collections::BTreeMap;
use std::time::Instant;

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

use crate::common::{spawn, TestApp};
use gen::{junk_body, operation, Rng, World};

const REASONS: [&str; 11] = [
    "forbidden",
    "hub_unknown",
    "hub_inactive",
    "item_unknown",
    "event_unknown",
    "event_inactive",
    "stock_insufficient",
    "locked",
    "invalid",
    "id_conflict",
    "rate_limited",
];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

async fn ids(app: &TestApp, sql: &str) -> Vec<i64> {
    sqlx::query_scalar(sql)
        .fetch_all(&app.db().await)
        .await
        .unwrap()
}

/// A non-2xx answer must be a 4xx carrying a specific error.
async fn check_error(status: StatusCode, body: &str, what: &str) {
    assert!(
        status.is_client_error(),
        "{what}: answered {status}: {body}"
    );
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let code = v["error"]["code"].as_str().unwrap_or("");
    let message = v["error"]["message"].as_str().unwrap_or("");
    assert!(
        !code.is_empty() && message.len() > 10,
        "{what}: {status} without a specific error: {body}"
    );
}

async fn invariants(app: &TestApp) {
    let db = app.db().await;
    let negative: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM stock_balances WHERE quantity < 0")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(negative, 0, "negative stock");
    let drifted: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT b.quantity AS q, \
         COALESCE((SELECT CAST(SUM(CASE m.direction WHEN 'IN' THEN m.quantity ELSE -m.quantity END) AS BIGINT) \
                   FROM stock_movements m WHERE m.hub_id = b.hub_id AND m.item_id = b.item_id), 0) AS l \
         FROM stock_balances b) AS d WHERE q != l",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(drifted, 0, "a balance differs from its ledger");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_and_json_api_survive_random_and_hostile_input() {
    let cases = env_number("DRIMS_FUZZ_CASES", 10_000);
    let seed = env_number("DRIMS_FUZZ_SEED", 0x00D5_1A5E);
    let mut rng = Rng::new(seed);
    let app = spawn().await;
    let mut users: Vec<(&str, Client)> = Vec::new();
    for name in [
        "lm", "lo", "admin", "main", "sub", "clerk", "agency", "auditor",
    ] {
        users.push((name, app.signed_in(name).await));
    }
    let mut world = World {
        hubs: ids(&app, "SELECT id FROM hubs").await,
        items: ids(&app, "SELECT id FROM items").await,
        events: ids(&app, "SELECT id FROM disaster_events").await,
        lists: Vec::new(),
    };
    world.hubs.push(999_999);
    let mut used = Vec::new();
    let mut figures: BTreeMap<String, u64> = BTreeMap::new();
    let started = Instant::now();
    let (mut done, mut requests) = (0u64, 0u64);
    while done < cases {
        requests += 1;
        let (name, client) = rng.pick(&users);
        if rng.chance(30) {
            // A junk body at the sync endpoint or the JSON API.
            let hub = rng.pick(&world.hubs);
            let item = rng.pick(&world.items);
            let (method, path) = rng
                .pick(&[
                    (Method::POST, "/api/offline/sync".to_string()),
                    (Method::POST, "/api/hubs".into()),
                    (Method::POST, "/api/items".into()),
                    (Method::POST, "/api/events".into()),
                    (Method::POST, "/api/users".into()),
                    (Method::PUT, format!("/api/hubs/{hub}")),
                    (Method::PUT, format!("/api/items/{item}")),
                    (Method::POST, format!("/api/hubs/{hub}/status")),
                ])
                .clone();
            let kind = if rng.chance(85) {
                "application/json"
            } else {
                "text/plain"
            };
            let res = client
                .request(method.clone(), app.url(&path))
                .header("content-type", kind)
                .body(junk_body(&mut rng))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"));
            let status = res.status();
            let body = res.text().await.unwrap();
            *figures
                .entry(format!("api {}", status.as_u16()))
                .or_default() += 1;
            if !status.is_success() {
                check_error(status, &body, &format!("{name} {method} {path}")).await;
            }
            done += 1;
        } else {
            let n = (1 + rng.below(150) as u64).min(cases - done) as usize;
            let ops: Vec<Value> = (0..n)
                .map(|_| operation(&mut rng, &world, &mut used))
                .collect();
            let res = client
                .post(app.url("/api/offline/sync"))
                .json(&serde_json::json!({ "device_id": "fuzz-device", "operations": ops }))
                .send()
                .await
                .unwrap_or_else(|e| panic!("sync of {n}: no answer: {e}"));
            let status = res.status();
            let body = res.text().await.unwrap();
            *figures
                .entry(format!("sync {}", status.as_u16()))
                .or_default() += 1;
            if status.is_success() {
                let v: Value = serde_json::from_str(&body).unwrap();
                let results = v["results"].as_array().unwrap();
                assert_eq!(results.len(), n, "one result per operation");
                for r in results {
                    let outcome = r["status"].as_str().unwrap();
                    assert!(!r["message"].as_str().unwrap_or("").is_empty(), "{r}");
                    let key = match outcome {
                        "rejected" => {
                            let reason = r["reason"].as_str().unwrap_or("");
                            assert!(REASONS.contains(&reason), "{r}");
                            format!("op rejected {reason}")
                        }
                        "applied" | "pending_confirmation" => format!("op {outcome}"),
                        other => panic!("unknown outcome {other}: {r}"),
                    };
                    *figures.entry(key).or_default() += 1;
                }
            } else {
                check_error(status, &body, &format!("{name} sync of {n}")).await;
                *figures.entry("op in refused batch".into()).or_default() += n as u64;
            }
            done += n as u64;
        }
        if requests % 25 == 0 {
            invariants(&app).await;
            world.lists = ids(&app, "SELECT id FROM needs_lists ORDER BY id DESC LIMIT 50").await;
        }
    }
    invariants(&app).await;
    let health = app
        .client()
        .get(app.url("/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK, "the server still answers");
    let movements: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stock_movements")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    println!(
        "fuzz: seed {seed:#x}, {done} cases in {requests} requests, {:.1} s, {movements} stock movements",
        started.elapsed().as_secs_f64()
    );
    for (k, v) in &figures {
        println!("fuzz:   {k}: {v}");
    }
}
