//! Exactly once through lost answers and crashes (issue 13, item 2): a batch whose answer is
//! cut off after the commit, then replayed; and the real server binary SIGKILLed and restarted
//! on the same database and port while a retrying client streams batches. Either way the
//! ledger ends holding each operation once.
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sqlx::AnyPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::{read, spawn};
use crate::sync::{balance, event_id, intake_op, item_id, sync};

/// Reads one HTTP message's head and its `Content-Length` body (what axum answers with).
async fn read_message(from: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().expect("content length"))
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return Ok(buf);
            }
        }
        let n = from.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A proxy that passes requests on and answers back, except while `cut` is set: then it reads
/// the server's whole answer (so the commit surely happened) and closes the client's
/// connection instead of passing it on. Returns its address and the answers it swallowed.
async fn cutting_proxy(
    upstream: String,
    cut: Arc<AtomicBool>,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let (swallowed, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            let cut = cut.clone();
            let swallowed = swallowed.clone();
            tokio::spawn(async move {
                let mut server = TcpStream::connect(&upstream).await.unwrap();
                // One request after another on this connection (keep-alive).
                while let Ok(request) = read_message(&mut client).await {
                    server.write_all(&request).await.unwrap();
                    let Ok(answer) = read_message(&mut server).await else {
                        return;
                    };
                    if cut.load(Ordering::SeqCst) {
                        swallowed.send(answer).unwrap();
                        return; // both connections dropped, the answer with them
                    }
                    if client.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_whose_answer_is_lost_after_commit_is_applied_once_when_replayed() {
    let app = spawn().await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let item = item_id(&app, "Rice 5 kg").await;
    let event = event_id(&app).await;
    let cut = Arc::new(AtomicBool::new(false));
    let upstream = app.base.trim_start_matches("http://").to_string();
    let (proxy, mut swallowed) = cutting_proxy(upstream, cut.clone()).await;
    let client = app.client();
    let res = client
        .post(format!("{proxy}/api/session"))
        .json(&json!({ "username": "sub", "password": "drims-demo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "signed in through the proxy");

    let ops: Vec<Value> = (1..=10).map(|q| intake_op(hub, item, event, q)).collect();
    let body = json!({ "device_id": "test-laptop", "operations": ops });
    let before = balance(&app, hub, item).await;
    cut.store(true, Ordering::SeqCst);
    let lost = client
        .post(format!("{proxy}/api/offline/sync"))
        .json(&body)
        .send()
        .await;
    assert!(lost.is_err(), "the client never got the answer: {lost:?}");
    let answer = swallowed.recv().await.expect("the server answered");
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let committed: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(balance(&app, hub, item).await, before + 55, "committed");

    // The client, knowing nothing, sends the same batch again.
    cut.store(false, Ordering::SeqCst);
    let (status, replay) = read(
        client
            .post(format!("{proxy}/api/offline/sync"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replay}");
    assert_eq!(
        replay["results"], committed["results"],
        "the stored outcomes"
    );
    assert!(replay["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "applied"));
    assert_eq!(
        balance(&app, hub, item).await,
        before + 55,
        "not applied twice"
    );
    let ids: Vec<&str> = ops.iter().map(|o| o["id"].as_str().unwrap()).collect();
    let rows: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM stock_movements WHERE operation_id IN ('{}')",
        ids.join("','")
    ))
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    assert_eq!(rows, 10, "one ledger row per operation");
    // A replay straight to the server (no proxy) answers the same.
    let (_, direct) = sync(&app, &app.signed_in("sub").await, &ops).await;
    assert_eq!(direct["results"], committed["results"]);
}

/// The real server binary on a given database and port.
pub(crate) struct Server {
    child: tokio::process::Child,
}

impl Server {
    pub(crate) async fn start(db_url: &str, site: &std::path::Path, port: u16) -> Server {
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .env("DATABASE_URL", db_url)
            .env("DRIMS_DEMO", "1")
            // No client build here: the server runs without the installable app shell.
            .env("LEPTOS_OUTPUT_NAME", "drims")
            .env("LEPTOS_SITE_ROOT", site)
            .env("LEPTOS_SITE_PKG_DIR", "pkg")
            .env("LEPTOS_HASH_FILES", "false")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("server binary starts");
        let health = Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let up = health
                .get(format!("http://127.0.0.1:{port}/api/health"))
                .timeout(Duration::from_millis(500))
                .send()
                .await;
            if up.is_ok_and(|r| r.status() == StatusCode::OK) {
                return Server { child };
            }
            assert!(Instant::now() < deadline, "the server did not come up");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// SIGKILL: no shutdown, no flush, whatever was in flight is cut.
    async fn kill(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}

async fn sign_in(base: &str, client: &Client) -> bool {
    client
        .post(format!("{base}/api/session"))
        .json(&json!({ "username": "sub", "password": "drims-demo" }))
        .send()
        .await
        .is_ok_and(|r| r.status() == StatusCode::OK)
}

const BATCHES: usize = 40;
const PER_BATCH: usize = 25;
const KILLS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_stream_of_batches_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = crate::common::fresh_database_url(dir.path()).await;
    let site = dir.path().join("site");
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server::start(&db_url, &site, port).await;
    sqlx::any::install_default_drivers();
    let db = AnyPool::connect(&db_url).await.unwrap();
    let one = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&db);
    let hub = one("SELECT id FROM hubs WHERE name = 'St. Catherine Parish Depot'")
        .await
        .unwrap();
    let item = one("SELECT id FROM items WHERE name = 'Rice 5 kg'")
        .await
        .unwrap();
    let event = one("SELECT id FROM disaster_events WHERE status = 'Active' LIMIT 1")
        .await
        .unwrap();
    let stock = |db: AnyPool| async move {
        sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(CAST(SUM(quantity) AS BIGINT), 0) FROM stock_balances WHERE hub_id = $1 AND item_id = $2",
        )
        .bind(hub)
        .bind(item)
        .fetch_one(&db)
        .await
        .unwrap()
    };
    let before = stock(db.clone()).await;
    let batches: Vec<Vec<Value>> = (0..BATCHES)
        .map(|b| {
            (0..PER_BATCH)
                .map(|i| intake_op(hub, item, event, (b * PER_BATCH + i) as i64 % 7 + 1))
                .collect()
        })
        .collect();
    let all_ids: Vec<String> = batches
        .iter()
        .flatten()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    let sent: i64 = batches
        .iter()
        .flatten()
        .map(|o| o["payload"]["quantity"].as_i64().unwrap())
        .sum();

    // The client: each batch until it is answered, reconnecting (and signing in again if the
    // session were lost) as a device would.
    let done = Arc::new(AtomicUsize::new(0));
    let client_done = done.clone();
    let client_base = base.clone();
    let client_db = db.clone();
    let client = tokio::spawn(async move {
        let http = Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        while !sign_in(&client_base, &http).await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (mut failures, mut sign_ins, mut committed_unanswered) = (0, 0, 0);
        for ops in &batches {
            let body = json!({ "device_id": "crash-laptop", "operations": ops });
            let (mut failed, mut checked) = (false, false);
            loop {
                if failed && !checked {
                    checked = true;
                    // Did the lost attempt commit? (What the replay must not duplicate.)
                    let ids: Vec<&str> = ops.iter().map(|o| o["id"].as_str().unwrap()).collect();
                    let rows: i64 = sqlx::query_scalar(&format!(
                        "SELECT COUNT(*) FROM stock_movements WHERE operation_id IN ('{}')",
                        ids.join("','")
                    ))
                    .fetch_one(&client_db)
                    .await
                    .unwrap();
                    if rows > 0 {
                        committed_unanswered += 1;
                    }
                }
                let res = http
                    .post(format!("{client_base}/api/offline/sync"))
                    .json(&body)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == StatusCode::OK => match r.json::<Value>().await {
                        Ok(answer) => {
                            let results = answer["results"].as_array().unwrap();
                            assert_eq!(results.len(), PER_BATCH);
                            for r in results {
                                assert_eq!(r["status"], "applied", "{r}");
                            }
                            break;
                        }
                        Err(_) => failed = true, // cut while reading the answer
                    },
                    Ok(r) if r.status() == StatusCode::UNAUTHORIZED => {
                        sign_ins += 1;
                        sign_in(&client_base, &http).await;
                        failed = true;
                    }
                    _ => failed = true,
                }
                failures += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            client_done.fetch_add(1, Ordering::SeqCst);
        }
        (failures, sign_ins, committed_unanswered)
    });

    // The killer: mid-stream, at moments unrelated to batch boundaries.
    let started = Instant::now();
    for k in 0..KILLS {
        let at = (k + 1) * BATCHES / (KILLS + 1);
        while done.load(Ordering::SeqCst) < at {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(3 + 7 * k as u64)).await;
        server.kill().await;
        server = Server::start(&db_url, &site, port).await;
    }
    let (failures, sign_ins, committed_unanswered) = client.await.unwrap();
    let took = started.elapsed();
    println!(
        "{BATCHES} batches of {PER_BATCH} through {KILLS} SIGKILLs in {took:?}: {failures} failed \
         attempts retried, {committed_unanswered} batches committed but unanswered, \
         {sign_ins} sign-ins again"
    );

    let ids: Vec<&str> = all_ids.iter().map(String::as_str).collect();
    let rows: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT operation_id FROM stock_movements WHERE direction = 'IN' AND operation_id IN ('{}')",
        ids.join("','")
    ))
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        rows.len(),
        BATCHES * PER_BATCH,
        "one IN row per operation sent"
    );
    let distinct: HashSet<&str> = rows.iter().map(String::as_str).collect();
    assert_eq!(
        distinct,
        ids.iter().copied().collect(),
        "each operation once"
    );
    assert_eq!(
        stock(db.clone()).await - before,
        sent,
        "the balance moved by what was sent"
    );
    server.kill().await;
}
