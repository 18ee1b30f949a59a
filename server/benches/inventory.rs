//! Inventory page at scale: one hub's page over 200 items with 1,000,000 ledger rows in the
//! database, rendered by the real server over HTTP. Reports p50/p99 of the full response
//! (query + server-side render) and of the inventory query alone. Target: p50 under 20 ms.
//! Run: `cargo bench -p server --bench inventory` (BENCH_LEDGER_ROWS scales the ledger);
//! on PostgreSQL with `BENCH_POSTGRES` (see `common`).
use std::time::{Duration, Instant};

use serde_json::json;

mod common;

const ITEMS: i64 = 200;
const SAMPLES: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run());
}

async fn run() {
    let ledger_rows: i64 = std::env::var("BENCH_LEDGER_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let (db_url, db_label) = common::database(dir.path(), "bench-inventory.db").await;
    let (listener, router, state) = common::app(&db_url).await;
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(server::serve(listener, router));
    let db = state.db.clone();

    // 200 items, then the ledger spread over the five government hubs, then balances from it.
    let start = Instant::now();
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items")
        .fetch_one(&db)
        .await
        .expect("count");
    for n in have..ITEMS {
        sqlx::query("INSERT INTO items (sku, name, category, unit, min_qty, created_at, updated_at) VALUES ($1, $2, 'Bench', 'each', 10, $3, $4)")
            .bind(app::domain::text::Sku::from_bits(0xB0_0000 + n as u32).as_str())
            .bind(format!("Bench item {n:03}"))
            .bind(server::db::now())
            .bind(server::db::now())
            .execute(&db)
            .await
            .expect("item");
    }
    let event: i64 = sqlx::query_scalar("SELECT id FROM disaster_events LIMIT 1")
        .fetch_one(&db)
        .await
        .expect("event");
    let user: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'lm'")
        .fetch_one(&db)
        .await
        .expect("user");
    let gov_hubs: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM hubs WHERE hub_type IN ('MAIN', 'SUB') ORDER BY id")
            .fetch_all(&db)
            .await
            .expect("hubs");
    let (first_hub, hubs) = (gov_hubs[0], gov_hubs.len() as i64);
    // Balances are rebuilt from the ledger below. On PostgreSQL the per-row balance trigger
    // is off for the bulk load: a million updates of a thousand rows in one transaction leave
    // each row a long chain of versions to walk (the load did not end within 10 minutes).
    let postgres = common::is_postgres(&db_url);
    if postgres {
        sqlx::query("ALTER TABLE stock_movements DISABLE TRIGGER stock_movements_balance")
            .execute(&db)
            .await
            .expect("trigger off");
    }
    sqlx::query(
        "INSERT INTO stock_movements (item_id, hub_id, direction, quantity, event_id, created_by, created_at) \
         WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < $1 - 1) \
         SELECT 1 + x % $2, $3 + (x / $4) % $5, CASE WHEN (x / 1000) % 4 = 3 THEN 'OUT' ELSE 'IN' END, \
         CASE WHEN (x / 1000) % 4 = 3 THEN 1 ELSE 5 END, $6, $7, '2026-11-01T00:00:00.000Z' FROM n",
    )
    .bind(ledger_rows)
    .bind(ITEMS)
    .bind(first_hub)
    .bind(ITEMS)
    .bind(hubs)
    .bind(event)
    .bind(user)
    .execute(&db)
    .await
    .expect("ledger");
    if postgres {
        sqlx::query("ALTER TABLE stock_movements ENABLE TRIGGER stock_movements_balance")
            .execute(&db)
            .await
            .expect("trigger on");
    }
    sqlx::query("DELETE FROM stock_balances")
        .execute(&db)
        .await
        .expect("clear");
    sqlx::query(
        "INSERT INTO stock_balances (hub_id, item_id, quantity, last_movement_at) SELECT hub_id, item_id, \
         CAST(SUM(CASE WHEN direction = 'IN' THEN quantity ELSE -quantity END) AS BIGINT), MAX(created_at) FROM stock_movements GROUP BY hub_id, item_id",
    )
    .execute(&db)
    .await
    .expect("balances");
    if postgres {
        // Fresh statistics after the bulk load, as autovacuum would gather them soon after.
        sqlx::query("ANALYZE").execute(&db).await.expect("analyze");
    }
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stock_movements")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(rows, ledger_rows);
    println!(
        "setup: {} items, {rows} ledger rows in {:.1} s, {db_label}",
        ITEMS,
        start.elapsed().as_secs_f64()
    );

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let res = client
        .post(format!("{base}/api/session"))
        .json(&json!({ "username": "lm", "password": "drims-demo" }))
        .send()
        .await
        .expect("sign in");
    assert!(res.status().is_success(), "sign in");
    let url = format!("{base}/inventory?hub={first_hub}");
    let mut http = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES + 10 {
        let t = Instant::now();
        let html = client
            .get(&url)
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("body");
        let took = t.elapsed();
        if i == 0 {
            assert_eq!(
                html.matches("<tr").count() as i64,
                ITEMS + 1,
                "one row per item plus the header"
            );
        }
        if i >= 10 {
            http.push(took);
        }
    }
    http.sort();
    let lm = sqlx::query_as::<_, server::auth::session::SessionUserRow>(&format!(
        "SELECT {} FROM users u LEFT JOIN hubs h ON h.id = u.hub_id WHERE u.username = 'lm'",
        server::auth::session::USER_COLUMNS
    ))
    .fetch_one(&db)
    .await
    .expect("lm")
    .into_user();
    let query = app::reports::InventoryQuery {
        hub: Some(first_hub),
        q: None,
        category: None,
    };
    let mut data = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let t = Instant::now();
        let view = server::services::inventory::view(&db, &lm, &query)
            .await
            .expect("view");
        data.push(t.elapsed());
        assert_eq!(view.lines.len() as i64, ITEMS);
    }
    data.sort();
    let p50 = percentile(&http, 0.5);
    println!("inventory page, full HTTP response (query + SSR render), {SAMPLES} samples: p50 {p50:.2} ms, p99 {:.2} ms", percentile(&http, 0.99));
    println!(
        "inventory query alone: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&data, 0.5),
        percentile(&data, 0.99)
    );
    println!(
        "target p50 < 20 ms: {}",
        if p50 < 20.0 { "PASS" } else { "MISS" }
    );
}
