//! The IndexedDB store in headless Chromium (wasm-bindgen-test under ChromeDriver): the real
//! `drims` database, no fakes. Run with `make test-wasm`.
#![cfg(target_arch = "wasm32")]

use app::domain::{HubStatus, HubType, Role};
use app::offline::crypto::SecretKey;
use app::offline::engine::OutboxStore;
use app::offline::SyncIssue;
use app::ops::sync::{
    Snapshot, SnapshotHub, SnapshotNeedsLine, SnapshotNeedsList, SnapshotUser, StockLine,
};
use app::ops::{IntakePayload, Operation, OperationBody};
use frontend::store::{
    IdbStore, Unlocked, ALL_STORES, DATA_STORES, DB_NAME, DB_VERSION, PENDING, PROFILES,
};
use rexie::{Rexie, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A user's profile on this device: its own prefix and its own key.
fn profile(user: i64) -> Unlocked {
    Unlocked {
        profile: format!("p{user}"),
        key: SecretKey::from_bytes(&[user as u8; 32]).unwrap(),
        user_id: user,
    }
}

/// Opens `user`'s profile in the store (as a sign-in does).
fn set_user(store: &IdbStore, user: Option<i64>) {
    match user {
        Some(u) => store.unlock(profile(u)),
        None => store.lock(),
    }
}

async fn raw_db() -> Rexie {
    Rexie::builder(DB_NAME)
        .version(DB_VERSION)
        .build()
        .await
        .unwrap()
}

/// Every test starts from empty stores, in the same database the app uses.
async fn fresh(user: Option<i64>) -> IdbStore {
    let store = IdbStore::default();
    // Opening through the store creates the schema; then clear what an earlier test left.
    store.db().await.expect("the database opens");
    let db = raw_db().await;
    let tx = db
        .transaction(&ALL_STORES, TransactionMode::ReadWrite)
        .unwrap();
    for name in ALL_STORES {
        tx.store(name).unwrap().clear().await.unwrap();
    }
    // Users 7 and 8 have a profile on this device (the store writes only for an existing
    // one; what a profile record holds is `profile.rs`'s business).
    for user in [7, 8] {
        tx.store(PROFILES)
            .unwrap()
            .put(
                &JsValue::from_str("{}"),
                Some(&JsValue::from_str(&profile(user).profile)),
            )
            .await
            .unwrap();
    }
    tx.done().await.unwrap();
    db.close();
    set_user(&store, user);
    store
}

/// Every (key, value) of a store as IndexedDB holds it.
async fn raw(store_name: &str) -> Vec<(JsValue, JsValue)> {
    let db = raw_db().await;
    let tx = db
        .transaction(&[store_name], TransactionMode::ReadOnly)
        .unwrap();
    let pairs = tx
        .store(store_name)
        .unwrap()
        .scan(None, None, None, None)
        .await
        .unwrap();
    tx.done().await.unwrap();
    db.close();
    pairs
}

fn intake(quantity: i64) -> Operation {
    Operation::new(
        3,
        "device-test",
        OperationBody::Intake(IntakePayload {
            item_id: 1,
            quantity,
            event_id: 1,
            donor: None,
            expiry_date: None,
            notes: None,
        }),
        "2026-11-22T09:00:00Z".into(),
    )
}

/// The server's refusal of `op` for lack of stock.
fn refusal(op: &Operation, message: &str) -> SyncIssue {
    SyncIssue {
        op: op.clone(),
        reason: "stock_insufficient".into(),
        message: message.into(),
        failed_at: "2026-11-30T10:00:00Z".into(),
        user_id: None,
    }
}

fn snapshot(user: i64) -> Snapshot {
    Snapshot {
        user: SnapshotUser {
            id: user,
            username: format!("user{user}"),
            display_name: None,
            role: Role::SubHubUser,
            hub_id: Some(3),
        },
        capabilities: vec![],
        hubs: vec![
            SnapshotHub {
                id: 4,
                name: "Zeta Depot".into(),
                hub_type: HubType::Sub,
                status: HubStatus::Active,
                inventory: vec![],
            },
            SnapshotHub {
                id: 3,
                name: "Alpha Depot".into(),
                hub_type: HubType::Sub,
                status: HubStatus::Active,
                inventory: vec![StockLine {
                    item_id: 1,
                    quantity: 12,
                    min_qty: 5,
                    low_stock: false,
                }],
            },
        ],
        items: vec![],
        events: vec![],
        needs_lists: vec![SnapshotNeedsList {
            id: 1,
            number: "NL-000001".into(),
            hub_id: 3,
            event_id: 1,
            priority: "High".into(),
            status: "Submitted".into(),
            created_at: "2026-11-22T08:00:00Z".into(),
            lines: vec![SnapshotNeedsLine {
                item_id: 1,
                quantity: 40,
                justification: Some("shelter".into()),
            }],
            supply: None,
        }],
        destinations: vec![],
        version: 42,
        generated_at: "2026-11-22T08:00:00Z".into(),
    }
}

#[wasm_bindgen_test]
async fn the_outbox_keeps_operations_oldest_first_until_removed() {
    let store = fresh(Some(7)).await;
    let (a, b, c) = (intake(1), intake(2), intake(3));
    for op in [&a, &b, &c] {
        store.enqueue(op.clone()).await.unwrap();
    }
    let pending = store.pending().await.unwrap();
    let ids: Vec<_> = pending.iter().map(|p| p.op.id).collect();
    assert_eq!(ids, vec![a.id, b.id, c.id]);
    assert!(pending
        .iter()
        .all(|p| p.user_id == Some(7) && p.attempts == 0));
    assert_eq!(pending[1].op, b, "the record round-trips unchanged");

    store.remove(&[a.id, c.id]).await.unwrap();
    let left: Vec<_> = store
        .pending()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.op.id)
        .collect();
    assert_eq!(left, vec![b.id]);
    assert_eq!(store.counts().await.unwrap().0, 1);
}

#[wasm_bindgen_test]
async fn the_same_operation_id_is_stored_once() {
    let store = fresh(Some(7)).await;
    let op = intake(5);
    store.enqueue(op.clone()).await.unwrap();
    store.enqueue(op.clone()).await.unwrap();
    assert_eq!(store.pending().await.unwrap().len(), 1);
}

#[wasm_bindgen_test]
async fn failed_attempts_are_counted_with_the_error() {
    let store = fresh(Some(7)).await;
    let op = intake(5);
    store.enqueue(op.clone()).await.unwrap();
    store.record_attempt(&[op.id], "timeout").await.unwrap();
    store
        .record_attempt(&[op.id], "server error 503")
        .await
        .unwrap();
    let p = &store.pending().await.unwrap()[0];
    assert_eq!(p.attempts, 2);
    assert_eq!(p.last_error.as_deref(), Some("server error 503"));
}

#[wasm_bindgen_test]
async fn a_refusal_moves_to_sync_issues_and_edit_and_retry_moves_it_back() {
    let store = fresh(Some(7)).await;
    let op = intake(5);
    store.enqueue(op.clone()).await.unwrap();
    store
        .move_to_issues(SyncIssue {
            op: op.clone(),
            reason: "stock_insufficient".into(),
            message: "Only 2 on hand".into(),
            failed_at: "2026-11-22T10:00:00Z".into(),
            user_id: None,
        })
        .await
        .unwrap();
    let data = store.local_data().await.unwrap();
    assert!(data.pending.is_empty());
    assert_eq!(data.issues.len(), 1);
    assert_eq!(data.issues[0].reason, "stock_insufficient");
    assert_eq!(
        data.issues[0].user_id,
        Some(7),
        "owned by the signed-in user"
    );
    assert_eq!(store.counts().await.unwrap().1, 1);

    // Edit and retry: the same id queued again leaves Sync Issues in the same transaction.
    let mut fixed = op.clone();
    if let OperationBody::Intake(p) = &mut fixed.body {
        p.quantity = 2;
    }
    store.enqueue(fixed.clone()).await.unwrap();
    let data = store.local_data().await.unwrap();
    assert!(data.issues.is_empty());
    assert_eq!(data.pending.len(), 1);
    assert_eq!(data.pending[0].op, fixed);

    // Discard is explicit.
    store
        .move_to_issues(SyncIssue {
            op: fixed.clone(),
            reason: "forbidden".into(),
            message: "no".into(),
            failed_at: "2026-11-22T10:05:00Z".into(),
            user_id: None,
        })
        .await
        .unwrap();
    store.discard_issue(fixed.id).await.unwrap();
    assert_eq!(store.counts().await.unwrap(), (0, 0, None));
}

#[wasm_bindgen_test]
async fn only_the_signed_in_users_operations_are_sent() {
    let store = fresh(Some(7)).await;
    let mine = intake(1);
    store.enqueue(mine.clone()).await.unwrap();
    set_user(&store, Some(8));
    let theirs = intake(2);
    store.enqueue(theirs.clone()).await.unwrap();

    let ids =
        |ops: Vec<app::offline::PendingOp>| ops.into_iter().map(|p| p.op.id).collect::<Vec<_>>();
    assert_eq!(ids(store.pending().await.unwrap()), vec![theirs.id]);
    // The pill counts the open profile's records only.
    assert_eq!(store.counts().await.unwrap().0, 1);
    set_user(&store, Some(7));
    assert_eq!(ids(store.pending().await.unwrap()), vec![mine.id]);
    assert_eq!(store.counts().await.unwrap().0, 1);
    assert_eq!(store.count_of("p8").await.unwrap(), 1);
}

#[wasm_bindgen_test]
async fn the_snapshot_is_split_per_hub_and_shown_only_to_its_user() {
    let store = fresh(Some(7)).await;
    store.save_snapshot(snapshot(7), None).await.unwrap();
    assert_eq!(
        store
            .meta_get::<String>("snapshot_version")
            .await
            .unwrap()
            .as_deref(),
        Some("42")
    );
    let (_, _, last) = store.counts().await.unwrap();
    assert!(last.is_some(), "the last sync time is recorded");

    let data = store.local_data().await.unwrap();
    let s = data.snapshot.expect("the user's own snapshot");
    let names: Vec<_> = s.hubs.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["Alpha Depot", "Zeta Depot"],
        "hubs come back by name"
    );
    assert_eq!(s.hubs[0].inventory[0].quantity, 12);
    assert_eq!(s.needs_lists.len(), 1);
    assert_eq!(s.needs_lists[0].number, "NL-000001");
    assert_eq!(data.last_synced, last);

    // Another user on this laptop never sees it.
    set_user(&store, Some(8));
    assert!(store.local_data().await.unwrap().snapshot.is_none());

    // A newer snapshot replaces the old one whole: no hub of the old one lingers.
    set_user(&store, Some(7));
    let mut next = snapshot(7);
    next.hubs.retain(|h| h.id == 3);
    next.version = 43;
    store
        .save_snapshot(next, Some("\"v2\"".into()))
        .await
        .unwrap();
    assert_eq!(
        store.snapshot_tag().await.unwrap().as_deref(),
        Some("\"v2\"")
    );
    let s = store.local_data().await.unwrap().snapshot.unwrap();
    assert_eq!(s.hubs.len(), 1);
    assert_eq!(s.version, 43);
}

#[wasm_bindgen_test]
async fn meta_values_round_trip() {
    let store = fresh(Some(7)).await;
    assert_eq!(store.meta_get::<String>("note").await.unwrap(), None);
    store
        .meta_put("note", &"laptop-1".to_string())
        .await
        .unwrap();
    assert_eq!(
        store.meta_get::<String>("note").await.unwrap().as_deref(),
        Some("laptop-1")
    );
}

#[wasm_bindgen_test]
async fn every_value_is_ciphertext_under_an_opaque_key() {
    let store = fresh(Some(7)).await;
    let mut op = intake(5);
    if let OperationBody::Intake(p) = &mut op.body {
        p.donor = Some("Donor Quokka-Forensic".into());
    }
    store.enqueue(op.clone()).await.unwrap();
    store.save_snapshot(snapshot(7), None).await.unwrap();
    for name in DATA_STORES {
        for (key, value) in raw(name).await {
            let key = key.as_string().unwrap();
            assert!(key.starts_with("p7:"), "{name}: key {key}");
            let bytes = value
                .dyn_ref::<js_sys::Uint8Array>()
                .unwrap_or_else(|| panic!("{name}/{key} is not ciphertext"))
                .to_vec();
            let text = String::from_utf8_lossy(&bytes);
            for word in [
                "Quokka",
                "Alpha Depot",
                "Zeta",
                "user7",
                "shelter",
                "intake",
            ] {
                assert!(!text.contains(word), "{name}/{key} shows {word}");
            }
        }
    }
    assert_eq!(
        raw(PENDING).await[0].0.as_string().unwrap(),
        format!("p7:{}", op.id)
    );
}

#[wasm_bindgen_test]
async fn a_value_moved_to_another_key_or_read_with_another_key_fails_to_open() {
    let store = fresh(Some(7)).await;
    let (a, b) = (intake(1), intake(2));
    store.enqueue(a.clone()).await.unwrap();
    store.enqueue(b.clone()).await.unwrap();
    // Copy a's sealed value over b's record.
    let pairs = raw(PENDING).await;
    let a_value = pairs
        .iter()
        .find(|(k, _)| k.as_string().unwrap().ends_with(&a.id.to_string()))
        .unwrap()
        .1
        .clone();
    let db = raw_db().await;
    let tx = db
        .transaction(&[PENDING], TransactionMode::ReadWrite)
        .unwrap();
    tx.store(PENDING)
        .unwrap()
        .put(&a_value, Some(&JsValue::from_str(&format!("p7:{}", b.id))))
        .await
        .unwrap();
    tx.done().await.unwrap();
    db.close();
    assert!(
        store.pending().await.is_err(),
        "a moved record must not open"
    );

    // The same prefix with another key (another user's key) opens nothing.
    let store = fresh(Some(7)).await;
    store.enqueue(a.clone()).await.unwrap();
    store.unlock(Unlocked {
        profile: "p7".into(),
        key: SecretKey::from_bytes(&[9u8; 32]).unwrap(),
        user_id: 7,
    });
    assert!(store.pending().await.is_err());
}

#[wasm_bindgen_test]
async fn a_locked_store_reads_and_writes_nothing_and_a_wipe_takes_one_profile() {
    let store = fresh(Some(7)).await;
    store.enqueue(intake(1)).await.unwrap();
    store.save_snapshot(snapshot(7), None).await.unwrap();
    set_user(&store, Some(8));
    store.enqueue(intake(2)).await.unwrap();

    store.lock();
    assert!(store.enqueue(intake(3)).await.is_err());
    assert!(store.local_data().await.is_err());
    assert_eq!(store.counts().await.unwrap(), (0, 0, None));

    store.wipe_profile("p7").await.unwrap();
    for name in ALL_STORES {
        assert!(
            raw(name)
                .await
                .iter()
                .all(|(k, _)| !k.as_string().unwrap().starts_with("p7")),
            "{name} still holds p7"
        );
    }
    set_user(&store, Some(8));
    assert_eq!(store.pending().await.unwrap().len(), 1, "p8 untouched");
}

#[wasm_bindgen_test]
async fn a_tab_that_has_not_heard_of_a_sign_out_stores_nothing_more_for_that_profile() {
    // Two tabs with user 7's profile open; one signs out (deletes the profile and its
    // records). The other, its key still in memory until the message arrives, is mid-way
    // through a sync run: none of its writes may bring records of that profile back.
    let here = fresh(Some(7)).await;
    let other = IdbStore::default();
    set_user(&other, Some(7));
    let issue_op = intake(4);
    other.enqueue(issue_op.clone()).await.unwrap();
    here.wipe_profile("p7").await.unwrap();

    let refused = |r: Result<(), app::offline::engine::StoreError>| {
        let e = r.expect_err("a write for a deleted profile");
        assert_eq!(e.0, "signed out on this device: nothing was stored");
    };
    refused(other.save_snapshot(snapshot(7), None).await);
    refused(other.enqueue(intake(1)).await);
    refused(other.snapshot_current().await);
    refused(other.meta_put("snapshot_tag", &Some("t".to_string())).await);
    refused(other.move_to_issues(refusal(&issue_op, "no")).await);
    refused(other.discard_issue(issue_op.id).await);
    refused(other.discards_reported(&[issue_op.id]).await);
    for name in ALL_STORES {
        let left = raw(name).await;
        assert!(
            left.iter()
                .all(|(k, _)| !k.as_string().unwrap().starts_with("p7")),
            "{name} holds a record of the signed-out profile"
        );
    }
    // The other user's profile still takes writes.
    set_user(&other, Some(8));
    other.enqueue(intake(2)).await.unwrap();
    assert_eq!(other.pending().await.unwrap().len(), 1);
}

#[wasm_bindgen_test]
async fn a_profile_with_unsynced_work_is_not_wiped_by_a_wipe_if_empty() {
    // Sign-out without "delete them", and the online-only paths, count and delete in one
    // transaction: work queued in between is never deleted unseen.
    let store = fresh(Some(7)).await;
    let op = intake(1);
    store.enqueue(op.clone()).await.unwrap();
    store.save_snapshot(snapshot(7), None).await.unwrap();
    assert_eq!(store.wipe_profile_if_empty("p7").await.unwrap(), 1);
    assert_eq!(store.pending().await.unwrap().len(), 1, "the work stays");
    assert_eq!(raw(PROFILES).await.len(), 2, "the profile stays");
    store.move_to_issues(refusal(&op, "no")).await.unwrap();
    assert_eq!(
        store.wipe_profile_if_empty("p7").await.unwrap(),
        1,
        "a Sync Issue counts"
    );
    store.discard_issue(op.id).await.unwrap();
    assert_eq!(store.wipe_profile_if_empty("p7").await.unwrap(), 0);
    for name in ALL_STORES {
        assert!(
            raw(name)
                .await
                .iter()
                .all(|(k, _)| !k.as_string().unwrap().starts_with("p7")),
            "{name} still holds p7"
        );
    }
}

#[wasm_bindgen_test]
async fn version_one_plaintext_is_sealed_for_its_user_and_its_snapshot_dropped() {
    let store = fresh(None).await;
    let (mine, theirs) = (intake(3), intake(4));
    let legacy = |op: &Operation, user: i64| {
        serde_json::json!({ "op": op, "seq": 1, "attempts": 0, "last_error": null, "user_id": user })
            .to_string()
    };
    let db = raw_db().await;
    let tx = db
        .transaction(
            &[PENDING, frontend::store::META],
            TransactionMode::ReadWrite,
        )
        .unwrap();
    let pending = tx.store(PENDING).unwrap();
    for (op, user) in [(&mine, 7), (&theirs, 8)] {
        pending
            .put(
                &JsValue::from_str(&legacy(op, user)),
                Some(&JsValue::from_str(&op.id.to_string())),
            )
            .await
            .unwrap();
    }
    tx.store(frontend::store::META)
        .unwrap()
        .put(
            &JsValue::from_str("{\"hubs\":[]}"),
            Some(&"snapshot".into()),
        )
        .await
        .unwrap();
    tx.done().await.unwrap();
    db.close();

    assert_eq!(store.drop_plaintext_snapshot().await.unwrap(), 1);
    set_user(&store, Some(7));
    assert_eq!(store.adopt_plaintext().await.unwrap(), 1);
    let ids: Vec<_> = store
        .pending()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.op.id)
        .collect();
    assert_eq!(ids, vec![mine.id], "user 7's queued work survived, sealed");
    let keys: Vec<String> = raw(PENDING)
        .await
        .into_iter()
        .map(|(k, _)| k.as_string().unwrap())
        .collect();
    assert!(keys.contains(&format!("p7:{}", mine.id)));
    assert!(
        keys.contains(&theirs.id.to_string()),
        "user 8's waits for user 8"
    );
    assert!(
        !keys.contains(&mine.id.to_string()),
        "the plaintext copy is gone"
    );
}

/// Two tabs: each has its own store (and opened copy) over the one database.
#[wasm_bindgen_test]
async fn the_opened_copy_follows_this_tabs_writes_and_drops_on_another_tabs_change() {
    let tab = fresh(Some(7)).await;
    let other = IdbStore::default();
    set_user(&other, Some(7));
    let ids =
        |d: &app::offline::client::LocalData| d.pending.iter().map(|p| p.op.id).collect::<Vec<_>>();
    let first = intake(1);
    tab.enqueue(first.clone()).await.unwrap();
    assert_eq!(ids(&tab.local_data().await.unwrap()), vec![first.id]);

    // This tab's writes show at once, from the copy or not.
    let second = intake(2);
    tab.enqueue(second.clone()).await.unwrap();
    assert_eq!(
        ids(&tab.local_data().await.unwrap()),
        vec![first.id, second.id]
    );
    tab.move_to_issues(refusal(&first, "no")).await.unwrap();
    let data = tab.local_data().await.unwrap();
    assert_eq!(ids(&data), vec![second.id]);
    assert_eq!(data.issues.len(), 1);
    assert_eq!(tab.counts().await.unwrap().0, 1);
    assert_eq!(tab.counts().await.unwrap().1, 1);
    tab.remove(&[second.id]).await.unwrap();
    assert!(tab.local_data().await.unwrap().pending.is_empty());

    // Another tab's write reaches this one when it is told (the BroadcastChannel message).
    let third = intake(3);
    other.enqueue(third.clone()).await.unwrap();
    tab.forget();
    assert_eq!(ids(&tab.local_data().await.unwrap()), vec![third.id]);
    assert_eq!(tab.counts().await.unwrap().0, 1);
    // And the copy never crosses users: another profile opened here reads its own data.
    set_user(&tab, Some(8));
    assert!(tab.local_data().await.unwrap().pending.is_empty());
    assert_eq!(tab.counts().await.unwrap().0, 0);
    // What IndexedDB holds agrees with the copy.
    set_user(&tab, Some(7));
    let direct = tab.pending().await.unwrap();
    assert_eq!(
        direct.iter().map(|p| p.op.id).collect::<Vec<_>>(),
        vec![third.id]
    );
}

#[wasm_bindgen_test]
async fn a_discard_is_noted_for_the_server_and_a_settled_issue_leaves_with_its_note() {
    let store = fresh(Some(7)).await;
    let (a, b) = (intake(1), intake(2));
    for op in [&a, &b] {
        store.enqueue(op.clone()).await.unwrap();
        store
            .move_to_issues(refusal(op, "Only 3 on hand"))
            .await
            .unwrap();
    }
    // Discarded here (twice, say from two clicks): noted once for the server, until it says so.
    store.discard_issue(a.id).await.unwrap();
    store.discard_issue(a.id).await.unwrap();
    assert_eq!(store.discards().await.unwrap(), vec![a.id]);
    store.discards_reported(&[a.id]).await.unwrap();
    assert!(store.discards().await.unwrap().is_empty());

    // Resolved by a Logistics Manager: it leaves Sync Issues (and the pill's count) for the
    // resolved list, note and all.
    let issue = store.local_data().await.unwrap().issues[0].clone();
    assert_eq!(issue.op.id, b.id);
    store
        .settle_issues(vec![app::offline::ResolvedIssue {
            issue,
            state: "resolved".into(),
            note: Some("Counted again: the stock was there".into()),
            resolved_by: Some("Logistics Manager".into()),
            resolved_at: Some("2026-11-30T11:00:00Z".into()),
        }])
        .await
        .unwrap();
    let data = store.local_data().await.unwrap();
    assert!(data.issues.is_empty());
    assert_eq!(data.resolved.len(), 1);
    assert_eq!(store.counts().await.unwrap().1, 0);
    // As IndexedDB holds it (another tab reads it so).
    store.forget();
    let data = store.local_data().await.unwrap();
    assert_eq!(
        data.resolved[0].note.as_deref(),
        Some("Counted again: the stock was there")
    );
    assert_eq!(store.counts().await.unwrap().1, 0);
    // Another user of this laptop sees none of it.
    set_user(&store, Some(8));
    assert!(store.local_data().await.unwrap().resolved.is_empty());
    assert!(store.discards().await.unwrap().is_empty());
    set_user(&store, Some(7));
    store.clear_resolved().await.unwrap();
    assert!(store.local_data().await.unwrap().resolved.is_empty());
}
