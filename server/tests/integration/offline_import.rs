//! Import of exported unsynced work: a file built exactly as the browser builds it (PBKDF2-SHA256
//! 600,000 iterations, AES-256-GCM), applied once through the one write path as the importer.
use app::offline::access::{EXPORT_FORMAT, EXPORT_KDF};
use app::offline::crypto::{b64, random_bytes, SecretKey, EXPORT_AAD, PBKDF2_ITERATIONS};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{read, spawn, TestApp};
use crate::offline_access::sign_in_on;
use crate::sync::{balance, event_id, intake_op, item_id, movements};

const PASSPHRASE: &str = "correct horse battery staple";

fn export_file(contents: &Value, passphrase: &str) -> Value {
    let salt = random_bytes(16).unwrap();
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(passphrase.as_bytes(), &salt, PBKDF2_ITERATIONS, &mut key);
    let sealed = SecretKey::from_bytes(&key)
        .unwrap()
        .seal(EXPORT_AAD, contents.to_string().as_bytes());
    json!({
        "format": EXPORT_FORMAT, "version": 1, "kdf": EXPORT_KDF,
        "iterations": PBKDF2_ITERATIONS, "salt": b64(&salt), "ciphertext": b64(&sealed),
    })
}

struct Export {
    hub: i64,
    item: i64,
    contents: Value,
}

/// `sub` keeps `field-laptop` for offline use and records two intakes at its hub there.
async fn sub_export(app: &TestApp) -> Export {
    let (_, signed_in) = sign_in_on(app, "sub", "drims-demo", Some("field-laptop"), true).await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let item = item_id(app, "Rice 5 kg").await;
    let event = event_id(app).await;
    let operations: Vec<Value> = [7, 5]
        .into_iter()
        .map(|qty| {
            let mut op = intake_op(hub, item, event, qty);
            op["device_id"] = json!("field-laptop");
            op
        })
        .collect();
    let contents = json!({
        "device_id": "field-laptop",
        "user_id": signed_in["id"],
        "username": "sub",
        "grant": signed_in["offline"]["grant"],
        "exported_at": "2026-11-29T12:00:00.000Z",
        "operations": operations,
    });
    Export {
        hub,
        item,
        contents,
    }
}

async fn import(
    app: &TestApp,
    client: &Client,
    file: &Value,
    passphrase: &str,
) -> (StatusCode, Value) {
    read(
        client
            .post(app.url("/api/offline/import"))
            .json(&json!({ "file": file, "passphrase": passphrase }))
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn statuses(report: &Value) -> Vec<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_lm_imports_an_export_once_and_a_replay_changes_nothing() {
    let app = spawn().await;
    let export = sub_export(&app).await;
    let file = export_file(&export.contents, PASSPHRASE);
    let (stock, ledger) = (
        balance(&app, export.hub, export.item).await,
        movements(&app).await,
    );

    let lm = app.signed_in("lm").await;
    let (status, report) = import(&app, &lm, &file, PASSPHRASE).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(statuses(&report), ["applied", "applied"], "{report}");
    let ids: Vec<&Value> = export.contents["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["id"])
        .collect();
    let reported: Vec<&Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(
        reported, ids,
        "one result per operation, in the file's order"
    );
    assert_eq!(report["grant_verified"], true);
    assert_eq!(report["source_user"], "sub");
    assert_eq!(report["source_device"], "field-laptop");
    assert_eq!(report["imported_by"], "lm");
    assert_eq!(balance(&app, export.hub, export.item).await, stock + 12);
    assert_eq!(movements(&app).await, ledger + 2);

    // The same file again, by the same LM and by an ADMIN: nothing changes.
    let (status, again) = import(&app, &lm, &file, PASSPHRASE).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(statuses(&again), ["applied", "applied"]);
    let admin = app.signed_in("admin").await;
    let (_, by_admin) = import(&app, &admin, &file, PASSPHRASE).await;
    assert_eq!(statuses(&by_admin), ["applied", "applied"], "{by_admin}");
    assert_eq!(balance(&app, export.hub, export.item).await, stock + 12);
    assert_eq!(movements(&app).await, ledger + 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM offline_imports").await, 3);
    let audit: String = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'offline_import' ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    let audit: Value = serde_json::from_str(&audit).unwrap();
    assert_eq!(audit["source_device"], "field-laptop");
    assert_eq!(audit["source_username"], "sub");
    assert_eq!(audit["applied"], 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'offline_import'"
        )
        .await,
        3
    );

    // A grant for another device does not attest this file.
    let mut elsewhere = export.contents.clone();
    elsewhere["device_id"] = json!("another-laptop");
    let (_, report) = import(&app, &lm, &export_file(&elsewhere, PASSPHRASE), PASSPHRASE).await;
    assert_eq!(report["grant_verified"], false);
    assert_eq!(movements(&app).await, ledger + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_passphrase_a_bad_file_or_the_wrong_role_is_refused() {
    let app = spawn().await;
    let export = sub_export(&app).await;
    let file = export_file(&export.contents, PASSPHRASE);
    let ledger = movements(&app).await;
    let lm = app.signed_in("lm").await;
    let (status, err) = import(&app, &lm, &file, "not the passphrase").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "passphrase");
    assert_eq!(
        err["error"]["message"],
        "The passphrase does not open this file."
    );
    let mut weak = file.clone();
    weak["iterations"] = json!(1000);
    let (status, err) = import(&app, &lm, &weak, PASSPHRASE).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "file");
    for who in ["sub", "auditor"] {
        let client = app.signed_in(who).await;
        let (status, err) = import(&app, &client, &file, PASSPHRASE).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {err}");
    }
    let (status, _) = import(&app, &app.client(), &file, PASSPHRASE).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(movements(&app).await, ledger);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM offline_imports").await, 0);
}

/// The import form as the page posts it (with the client's form token).
async fn form(
    app: &TestApp,
    client: &Client,
    file: &Value,
    passphrase: &str,
) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(file.to_string().into_bytes())
        .file_name("drims-pending.json")
        .mime_str("application/json")
        .unwrap();
    reqwest::multipart::Form::new()
        .text("csrf", app.form_token(client).await)
        .part("file", part)
        .text("passphrase", passphrase.to_string())
}

async fn page(app: &TestApp, client: &Client, path: &str) -> String {
    client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_form_works_without_javascript_and_shows_the_report() {
    let app = spawn().await;
    let export = sub_export(&app).await;
    let file = export_file(&export.contents, PASSPHRASE);
    let lm = app.signed_in("lm").await;
    let html = page(&app, &lm, "/admin/import").await;
    assert!(html.contains("href=\"/admin/import\""), "nav link");
    assert!(html.contains("enctype=\"multipart/form-data\""));
    for label in ["Export file", "Passphrase", "Import"] {
        assert!(html.contains(label), "{label}");
    }

    let res = lm
        .post(app.url("/forms/import"))
        .multipart(form(&app, &lm, &file, "wrong").await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/admin/import?error="), "{location}");
    assert!(page(&app, &lm, &location)
        .await
        .contains("The passphrase does not open this file."));

    let res = lm
        .post(app.url("/forms/import"))
        .multipart(form(&app, &lm, &file, PASSPHRASE).await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/admin/imports/"), "{location}");
    let html = page(&app, &lm, &location).await;
    for op in export.contents["operations"].as_array().unwrap() {
        let id = op["id"].as_str().unwrap();
        assert!(html.contains(id), "operation {id} listed");
    }
    assert!(
        html.contains("field-laptop") && html.contains(">sub<"),
        "source shown"
    );
    assert!(html.contains("2 operations: 2 applied"), "summary shown");

    // Others see neither the form nor a report.
    let sub = app.signed_in("sub").await;
    let html = page(&app, &sub, "/admin/import").await;
    assert!(!html.contains("name=\"passphrase\""));
    assert!(!html.contains("href=\"/admin/import\""), "no nav link");
    let html = page(&app, &sub, &location).await;
    assert!(!html.contains("field-laptop"), "the report is refused");
    let res = sub
        .post(app.url("/forms/import"))
        .multipart(form(&app, &sub, &file, PASSPHRASE).await)
        .send()
        .await
        .unwrap();
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/admin/import?error="), "{location}");
}
