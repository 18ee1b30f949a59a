//! Sync batches sent gzip-compressed (issue 13, item 1): applied exactly as plain ones, within
//! the same body limit once inflated (a gzip bomb is a quick 413), and every other encoding or
//! a corrupt body refused with the API's error shape and nothing applied.
use std::io::Write;
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::Compression;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{read, spawn, TestApp};
use crate::sync::{balance, event_id, intake_op, item_id, movements, op, sync};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

async fn post_encoded(
    app: &TestApp,
    client: &Client,
    encoding: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    read(
        client
            .post(app.url("/api/offline/sync"))
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn batch(ops: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({ "device_id": "test-laptop", "operations": ops })).unwrap()
}

/// The results without what differs between two equal batches (ids, references).
fn shape(results: &Value) -> Vec<(String, String, String)> {
    results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or("").to_string();
            (text("status"), text("reason"), text("message"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_batch_is_applied_exactly_as_the_plain_one() {
    let app = spawn().await;
    let sub = app.signed_in("sub").await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let item = item_id(&app, "Rice 5 kg").await;
    let event = event_id(&app).await;
    // Intakes, a distribution and one the server refuses (no such item), in both forms.
    let ops = || {
        vec![
            intake_op(hub, item, event, 30),
            op(
                "distribution",
                hub,
                json!({ "item_id": item, "quantity": 12, "beneficiary": "Mary Brown" }),
            ),
            intake_op(hub, 999_999, event, 1),
        ]
    };
    let before = (movements(&app).await, balance(&app, hub, item).await);
    let (status, plain) = sync(&app, &sub, &ops()).await;
    assert_eq!(status, StatusCode::OK, "{plain}");
    let after_plain = (movements(&app).await, balance(&app, hub, item).await);

    let compressed_ops = ops();
    let body = batch(&compressed_ops);
    let gz = gzip(&body);
    assert!(gz.len() < body.len(), "{} < {}", gz.len(), body.len());
    let (status, zipped) = post_encoded(&app, &sub, "gzip", gz.clone()).await;
    assert_eq!(status, StatusCode::OK, "{zipped}");
    assert_eq!(shape(&zipped), shape(&plain));
    assert_eq!(
        shape(&plain)
            .iter()
            .map(|r| r.0.as_str())
            .collect::<Vec<_>>(),
        ["applied", "applied", "rejected"]
    );
    let after_zipped = (movements(&app).await, balance(&app, hub, item).await);
    assert_eq!(after_plain.0 - before.0, 2, "two ledger rows per batch");
    assert_eq!(after_zipped.0 - after_plain.0, 2);
    assert_eq!(after_zipped.1 - after_plain.1, after_plain.1 - before.1);

    // The compressed batch replayed (plain, then compressed) returns its stored outcomes.
    let (_, replay) = sync(&app, &sub, &compressed_ops).await;
    assert_eq!(replay["results"], zipped["results"]);
    let (_, replay) = post_encoded(&app, &sub, "GZIP", gz).await;
    assert_eq!(replay["results"], zipped["results"]);
    assert_eq!(
        movements(&app).await,
        after_zipped.0,
        "nothing applied twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_is_refused_with_413_without_inflating_it() {
    let app = spawn().await;
    let sub = app.signed_in("sub").await;
    // 200 MB of zeros after the start of a batch: about 200 KB on the wire.
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(br#"{"device_id":"test-laptop","operations":["#)
        .unwrap();
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..200 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 300_000, "{} bytes", bomb.len());
    let size = bomb.len();
    let before = movements(&app).await;
    let started = Instant::now();
    let (status, err) = post_encoded(&app, &sub, "gzip", bomb).await;
    let took = started.elapsed();
    println!("a gzip bomb of {size} bytes (200 MB inflated): {status} in {took:?}");
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{err}");
    assert_eq!(err["error"]["code"], "too_large");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("2 MB once decompressed"), "{message}");
    // Inflating all 200 MB takes far longer than reading up to the 2 MB limit.
    assert!(took < Duration::from_secs(5), "answered in {took:?}");
    assert_eq!(movements(&app).await, before);

    // A plain body over the limit is a 413 in the same shape.
    let big = format!(
        r#"{{"device_id":"test-laptop","operations":["{}"]}}"#,
        "x".repeat(3 << 20)
    );
    let (status, err) = post_encoded(&app, &sub, "identity", big.into_bytes()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{err}");
    assert_eq!(err["error"]["code"], "too_large");
}

/// Empty deflate blocks inflate to nothing: the compressed bytes have the limit too, or such a
/// stream would be read for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_bytes_over_the_limit_are_refused_even_if_they_inflate_to_little() {
    let app = spawn().await;
    let sub = app.signed_in("sub").await;
    // gzip header, then stored blocks of length 0 (00 | 00 00 ff ff), 2.2 MB of them.
    let mut body = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    for _ in 0..440_000 {
        body.extend_from_slice(&[0x00, 0x00, 0x00, 0xff, 0xff]);
    }
    let (status, err) = post_encoded(&app, &sub, "gzip", body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{err}");
    assert_eq!(err["error"]["code"], "too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_encodings_are_415_and_corrupt_gzip_is_400_with_nothing_applied() {
    let app = spawn().await;
    let sub = app.signed_in("sub").await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let item = item_id(&app, "Rice 5 kg").await;
    let event = event_id(&app).await;
    let ops: Vec<Value> = (0..20).map(|_| intake_op(hub, item, event, 3)).collect();
    let body = batch(&ops);
    let before = movements(&app).await;

    for encoding in ["br", "deflate", "zstd", "gzip, gzip", "compress"] {
        let (status, err) = post_encoded(&app, &sub, encoding, gzip(&body)).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{encoding}: {err}"
        );
        assert_eq!(err["error"]["code"], "unsupported_encoding");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("'{encoding}'")) && message.contains("gzip"),
            "{message}"
        );
    }

    let gz = gzip(&body);
    // Not gzip at all; cut short; a flipped byte in the middle (the CRC or the inflater
    // notices at the latest when the stream ends, before any JSON is read).
    let mut flipped = gz.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    let cases = [
        ("plain JSON", body.clone()),
        ("truncated", gz[..gz.len() / 2].to_vec()),
        ("flipped", flipped),
    ];
    for (name, bytes) in cases {
        let (status, err) = post_encoded(&app, &sub, "gzip", bytes).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {err}");
        assert_eq!(err["error"]["field"], "body", "{name}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("The body is not valid gzip data"),
            "{name}: {message}"
        );
    }
    assert_eq!(movements(&app).await, before, "nothing applied");
    // The very same batch then goes through.
    let (status, res) = post_encoded(&app, &sub, "gzip", gz).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(movements(&app).await, before + 20);
}
