//! Sync throughput benchmark: `cargo bench -p server --bench sync` (or `make bench`).
//!
//! The real server on loopback, a real SQLite file in a temp dir, demo data. 20 devices, each a
//! separately signed-in client with its own `device_id`, push batches of 100 intake and
//! distribution operations concurrently (20,000 operations by default; `BENCH_OPS` scales it).
//! Then the very same batches are replayed (idempotency path), and the same ledger rows are
//! inserted straight into a copy of the `stock_movements` table with sqlx (the ceiling).
//!
//! Engine: SQLite by default; PostgreSQL with `BENCH_POSTGRES` (see `common`), where
//! `BENCH_SERVERS=2` runs two server processes on the one database (nothing shared but the
//! database), devices split between them. Every server runs in a child process: this bench's own
//! executable, started with `BENCH_SERVE_DB`.
//!
//! Correctness is checked (every result `applied`, exact ledger and balance counts, replays
//! change nothing); timings are only reported, never asserted. A batch answered with a 5xx is
//! sent again (as a device would) and counted; the report flags any.
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{json, Value};
use sqlx::AnyPool;

mod common;

const DEVICES: usize = 20;
const BATCH: usize = 100;
const DEFAULT_OPS: usize = 20_000;
const USERS: [&str; 3] = ["admin", "lm", "lo"];
const DONORS: [&str; 4] = [
    "Digicel Foundation",
    "Red Cross Jamaica",
    "Food For The Poor",
    "USAID",
];
const BENEFICIARIES: [&str; 4] = ["Mary Brown", "John Campbell", "Ann Williams", "Paul Reid"];

/// Targets (reported as PASS/MISS, never asserted).
const TARGET_CEILING_SHARE: f64 = 0.30;
const TARGET_OPS_PER_SEC: f64 = 5_000.0;
const TARGET_REPLAY_FACTOR: f64 = 3.0;
/// A batch answered with a 5xx is sent again at most this many times in all.
const MAX_ATTEMPTS: usize = 5;

struct Device {
    client: Client,
    /// The server instance this device talks to.
    base: String,
    hub: i64,
    item: i64,
    /// Pre-serialised request bodies and the op ids each batch carries, in order.
    batches: Vec<(Vec<u8>, Vec<String>)>,
    /// Stock this device leaves at its (hub, item) once every op is applied.
    expected_balance: i64,
}

struct Pass {
    wall: Duration,
    ops: usize,
    latencies_ms: Vec<f64>,
    /// `results` of every batch, per device, in order.
    results: Vec<Vec<Value>>,
    /// Batches answered with a 5xx and sent again.
    retried: usize,
}

impl Pass {
    fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64()
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // Server errors (e.g. the detail behind a 500) go to stderr; RUST_LOG overrides.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Ok(db_url) = std::env::var("BENCH_SERVE_DB") {
        return serve(&db_url).await;
    }
    let total_ops: usize = std::env::var("BENCH_OPS")
        .ok()
        .map(|v| v.trim().parse().expect("BENCH_OPS must be a whole number"))
        .unwrap_or(DEFAULT_OPS);
    let per_device = (total_ops / DEVICES).max(2);
    let total_ops = per_device * DEVICES;

    // The real server, as the integration tests start it (a second instance on request).
    let dir = tempfile::tempdir().expect("temp dir");
    let (db_url, db_label) = common::database(dir.path(), "drims-bench.db").await;
    let servers: usize = std::env::var("BENCH_SERVERS")
        .ok()
        .map(|v| v.trim().parse().expect("BENCH_SERVERS must be 1 or 2"))
        .unwrap_or(1);
    assert!(
        servers == 1 || (servers == 2 && common::is_postgres(&db_url)),
        "BENCH_SERVERS=2 needs BENCH_POSTGRES: an SQLite file has one server"
    );
    let (mut bases, mut _children) = (Vec::new(), Vec::new());
    for _ in 0..servers {
        let (base, child) = start_server(&db_url).await;
        bases.push(base);
        _children.push(child);
    }
    sqlx::any::install_default_drivers();
    let db = AnyPool::connect(&db_url).await.expect("open bench db");

    let hubs: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM hubs WHERE status = 'Active' AND hub_type IN ('MAIN', 'SUB') ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let items: Vec<i64> = sqlx::query_scalar("SELECT id FROM items ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    let event: i64 =
        sqlx::query_scalar("SELECT id FROM disaster_events WHERE status = 'Active' LIMIT 1")
            .fetch_one(&db)
            .await
            .unwrap();
    assert!(
        !hubs.is_empty() && items.len() * hubs.len() >= DEVICES,
        "demo data has too few hubs/items"
    );

    // Devices: each signed in separately, each with its own (hub, item) so its distributions
    // only ever draw on stock it put there itself.
    let mut devices = Vec::with_capacity(DEVICES);
    for d in 0..DEVICES {
        let base = bases[d % bases.len()].clone();
        let client = sign_in(&base, USERS[d % USERS.len()]).await;
        let hub = hubs[d % hubs.len()];
        let item = items[d / hubs.len()];
        let before = balance(&db, hub, item).await;
        let device_id = format!("bench-device-{d:02}");
        let (ops, net) = device_ops(&device_id, hub, item, event, per_device);
        let batches = ops
            .chunks(BATCH)
            .map(|chunk| {
                let ids = chunk.iter().map(|o| o["id"].as_str().unwrap().to_owned());
                let body = json!({ "device_id": device_id, "operations": chunk });
                (serde_json::to_vec(&body).unwrap(), ids.collect())
            })
            .collect();
        devices.push(Device {
            client,
            base,
            hub,
            item,
            batches,
            expected_balance: before + net,
        });
    }
    let batches_total: usize = devices.iter().map(|d| d.batches.len()).sum();
    let baseline_movements = movements(&db).await;
    let baseline_max_id: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM stock_movements")
            .fetch_one(&db)
            .await
            .unwrap();

    println!(
        "\nDRIMS sync benchmark: {total_ops} ops = {DEVICES} devices x {per_device} ops, \
         batches of {BATCH} ({batches_total} batches), {servers} server process(es) on {}, {db_label}",
        bases.join(" and ")
    );

    // Pass 1: apply.
    let applied = run_pass(&devices).await;
    for (dev, results) in devices.iter().zip(&applied.results) {
        check_results(dev, results, "apply");
    }
    let after_apply = movements(&db).await;
    assert_eq!(
        after_apply - baseline_movements,
        total_ops as i64,
        "the ledger must hold exactly one movement per applied op"
    );
    for dev in &devices {
        assert_eq!(
            balance(&db, dev.hub, dev.item).await,
            dev.expected_balance,
            "balance of hub {} item {}",
            dev.hub,
            dev.item
        );
    }

    // Pass 2: replay the very same batches (same ids, same devices and sessions).
    let replay = run_pass(&devices).await;
    for (dev, results) in devices.iter().zip(&replay.results) {
        check_results(dev, results, "replay");
    }
    assert_eq!(
        replay.results, applied.results,
        "a replay returns the stored outcomes"
    );
    assert_eq!(
        movements(&db).await,
        after_apply,
        "a replay must not change the ledger"
    );
    for dev in &devices {
        assert_eq!(
            balance(&db, dev.hub, dev.item).await,
            dev.expected_balance,
            "balance unchanged by replay"
        );
    }

    // Ceiling: the same rows straight into a table with stock_movements' own schema.
    let (ceiling_rows, ceiling_wall) = ceiling(&db_url, baseline_max_id).await;
    assert_eq!(ceiling_rows, total_ops, "ceiling inserts the same rows");
    let ceiling_rate = ceiling_rows as f64 / ceiling_wall.as_secs_f64();

    // Report.
    let (a_rate, r_rate) = (applied.ops_per_sec(), replay.ops_per_sec());
    let share = a_rate / ceiling_rate;
    let factor = r_rate / a_rate;
    println!();
    println!(
        "  {:<22} {:>10} {:>10} {:>14} {:>14}",
        "pass", "ops/s", "wall s", "p50 batch ms", "p99 batch ms"
    );
    line("apply (HTTP, 20 dev)", &applied);
    line("replay (same batches)", &replay);
    println!(
        "  {:<22} {:>10.0} {:>10.3}   (raw sqlx INSERT, {BATCH} rows/tx, sequential)",
        "ceiling (rows/s)",
        ceiling_rate,
        ceiling_wall.as_secs_f64()
    );
    println!();
    println!("  {:<22} {:>10} {:>10}", "check", "value", "target");
    verdict(
        "applied / ceiling",
        format!("{:.1}%", share * 100.0),
        format!(">= {:.0}%", TARGET_CEILING_SHARE * 100.0),
        share >= TARGET_CEILING_SHARE,
    );
    verdict(
        "applied ops/s",
        format!("{a_rate:.0}"),
        format!(">= {TARGET_OPS_PER_SEC:.0}"),
        a_rate >= TARGET_OPS_PER_SEC,
    );
    verdict(
        "replay / applied",
        format!("{factor:.2}x"),
        format!(">= {TARGET_REPLAY_FACTOR:.0}x"),
        factor >= TARGET_REPLAY_FACTOR,
    );
    verdict(
        "batches retried on 5xx",
        format!("{}+{}", applied.retried, replay.retried),
        "0".into(),
        applied.retried + replay.retried == 0,
    );
    println!(
        "\n  correctness: {total_ops} applied, ledger +{total_ops} movements, balances exact; \
         replay returned the stored outcomes and changed nothing.\n"
    );
}

/// Starts a server process on `db_url` (this executable, see `serve`) and returns its address
/// once it listens. The first one seeds the demo data; the next starts on the seeded database.
async fn start_server(db_url: &str) -> (String, tokio::process::Child) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("bench exe"))
        .env("BENCH_SERVE_DB", db_url)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("server process starts");
    // Demo seeding prints its warning first; the address comes on its own line. The rest of the
    // output is drained, so the process never writes to a closed pipe.
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("server stdout")).lines();
    let base = loop {
        let line = lines
            .next_line()
            .await
            .expect("server output")
            .expect("the server process ended before it listened");
        if let Some(base) = line.trim().strip_prefix("listening ") {
            break base.to_string();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (base, child)
}

/// The server process: the real app on `db_url` with demo data, on a loopback port it prints
/// (`listening http://…`) once it accepts connections; it runs until the bench ends.
async fn serve(db_url: &str) {
    let (listener, router, _) = common::app(db_url).await;
    println!("listening http://{}", listener.local_addr().expect("addr"));
    server::serve(listener, router).await.expect("serve");
}

async fn sign_in(base: &str, username: &str) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = client
        .post(format!("{base}/api/session"))
        .json(&json!({ "username": username, "password": "drims-demo" }))
        .send()
        .await
        .expect("sign in");
    assert!(
        res.status().is_success(),
        "sign in as {username}: {}",
        res.status()
    );
    client
}

/// A device's operations: one opening intake that covers every later distribution, then
/// intakes and distributions alternating. Returns the ops and the net change of stock.
fn device_ops(device: &str, hub: i64, item: i64, event: i64, n: usize) -> (Vec<Value>, i64) {
    let mut net = 0;
    let ops = (0..n)
        .map(|i| {
            let (kind, qty, payload) = if i % 2 == 0 {
                let qty = if i == 0 { n as i64 } else { (i % 7) as i64 + 1 };
                let donor = DONORS[i % DONORS.len()];
                (
                    "intake",
                    qty,
                    json!({ "item_id": item, "quantity": qty, "event_id": event, "donor": donor }),
                )
            } else {
                let who = BENEFICIARIES[i % BENEFICIARIES.len()];
                (
                    "distribution",
                    -1,
                    json!({ "item_id": item, "quantity": 1, "beneficiary": who }),
                )
            };
            net += qty;
            json!({
                "id": uuid::Uuid::new_v4().to_string(),
                "kind": kind,
                "hub_id": hub,
                "created_at": "2026-11-22T10:00:00Z",
                "device_id": device,
                "payload": payload,
            })
        })
        .collect();
    (ops, net)
}

/// Every device sends its batches one after another; all devices at once. A 5xx answer is
/// retried at once, as a device would (the server rolled the whole batch back), up to
/// `MAX_ATTEMPTS`; the batch's latency runs from its first send to its final answer.
async fn run_pass(devices: &[Device]) -> Pass {
    let start = Instant::now();
    let per_device = futures::future::join_all(devices.iter().map(|dev| {
        let url = format!("{}/api/offline/sync", dev.base);
        async move {
            let mut latencies = Vec::with_capacity(dev.batches.len());
            let mut results = Vec::new();
            let mut retried = 0;
            for (body, _) in &dev.batches {
                let t = Instant::now();
                let mut attempt = 1;
                let bytes = loop {
                    let res = dev
                        .client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("sync request");
                    let status = res.status();
                    let bytes = res.bytes().await.expect("sync body");
                    let text = || String::from_utf8_lossy(&bytes).into_owned();
                    if status.is_success() {
                        break bytes;
                    }
                    assert!(
                        status.is_server_error() && attempt < MAX_ATTEMPTS,
                        "sync returned {status} (attempt {attempt}): {}",
                        text()
                    );
                    eprintln!("  retrying a batch after {status}: {}", text());
                    retried += 1;
                    attempt += 1;
                };
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                let mut parsed: Value = serde_json::from_slice(&bytes).expect("sync JSON");
                match parsed["results"].take() {
                    Value::Array(batch) => results.extend(batch),
                    other => panic!("no results array: {other}"),
                }
            }
            (latencies, results, retried)
        }
    }))
    .await;
    let wall = start.elapsed();
    let mut latencies_ms = Vec::new();
    let mut results = Vec::new();
    let mut retried = 0;
    for (lat, res, n) in per_device {
        latencies_ms.extend(lat);
        results.push(res);
        retried += n;
    }
    latencies_ms.sort_by(f64::total_cmp);
    Pass {
        wall,
        ops: results.iter().map(Vec::len).sum(),
        latencies_ms,
        results,
        retried,
    }
}

/// One result per op, in request order, all `applied`.
fn check_results(dev: &Device, results: &[Value], pass: &str) {
    let sent: Vec<&String> = dev.batches.iter().flat_map(|(_, ids)| ids).collect();
    assert_eq!(results.len(), sent.len(), "{pass}: one result per op");
    for (result, id) in results.iter().zip(sent) {
        assert_eq!(result["id"].as_str(), Some(id.as_str()), "{pass}: order");
        assert_eq!(result["status"], "applied", "{pass}: {result}");
    }
}

/// Inserts the movements written by the bench (id > `after_id`) into a fresh table created from
/// `stock_movements`' own DDL (same columns, keys, checks and indexes), 100 rows per
/// transaction, one after another, with sqlx. Returns (rows, elapsed).
async fn ceiling(db_url: &str, after_id: i64) -> (usize, Duration) {
    // Same pool settings as the server (WAL, synchronous=NORMAL, foreign keys).
    let pool = server::db::connect(db_url)
        .await
        .expect("open ceiling pool");
    // The table's own DDL, renamed (PostgreSQL copies it with LIKE … INCLUDING ALL).
    let ddl: Vec<String> = if common::is_postgres(db_url) {
        vec!["CREATE TABLE bench_raw (LIKE stock_movements INCLUDING ALL)".into()]
    } else {
        let own: Vec<String> = sqlx::query_scalar(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'stock_movements' \
             AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        own.iter()
            .map(|stmt| {
                stmt.replace("stock_movements_", "bench_raw_")
                    .replace("stock_movements", "bench_raw")
            })
            .collect()
    };
    for stmt in ddl {
        sqlx::query(&stmt).execute(&pool).await.unwrap();
    }
    type Row = (
        i64,
        i64,
        String,
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<String>,
        i64,
        String,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT item_id, hub_id, direction, quantity, event_id, donor_id, beneficiary_id, \
         expiry_date, notes, created_by, created_at, operation_id FROM stock_movements \
         WHERE id > $1 ORDER BY id",
    )
    .bind(after_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    let start = Instant::now();
    for chunk in rows.chunks(BATCH) {
        let mut tx = pool.begin().await.unwrap();
        for r in chunk {
            sqlx::query(
                "INSERT INTO bench_raw (item_id, hub_id, direction, quantity, event_id, donor_id, \
                 beneficiary_id, expiry_date, notes, created_by, created_at, operation_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(r.0)
            .bind(r.1)
            .bind(&r.2)
            .bind(r.3)
            .bind(r.4)
            .bind(r.5)
            .bind(r.6)
            .bind(&r.7)
            .bind(&r.8)
            .bind(r.9)
            .bind(&r.10)
            .bind(&r.11)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let elapsed = start.elapsed();
    let copied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bench_raw")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(copied as usize, rows.len(), "every row reached bench_raw");
    pool.close().await;
    (rows.len(), elapsed)
}

async fn movements(db: &AnyPool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM stock_movements")
        .fetch_one(db)
        .await
        .unwrap()
}

async fn balance(db: &AnyPool, hub: i64, item: i64) -> i64 {
    sqlx::query_scalar("SELECT quantity FROM stock_balances WHERE hub_id = $1 AND item_id = $2")
        .bind(hub)
        .bind(item)
        .fetch_optional(db)
        .await
        .unwrap()
        .unwrap_or(0)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn line(name: &str, pass: &Pass) {
    println!(
        "  {:<22} {:>10.0} {:>10.3} {:>14.1} {:>14.1}",
        name,
        pass.ops_per_sec(),
        pass.wall.as_secs_f64(),
        percentile(&pass.latencies_ms, 50.0),
        percentile(&pass.latencies_ms, 99.0),
    );
}

fn verdict(name: &str, value: String, target: String, pass: bool) {
    println!(
        "  {:<22} {:>10} {:>10}   {}",
        name,
        value,
        target,
        if pass { "PASS" } else { "MISS" }
    );
}
