//! Offline profiles in headless Chromium: WebCrypto's PBKDF2 and the real `drims` database.
//! The wrapped data key opens only with its password (or the device secret), wrong passwords
//! make the user wait and wipe nothing, an expired grant or a clock behind the server refuse.
#![cfg(target_arch = "wasm32")]

use app::domain::Role;
use app::model::SessionUser;
use app::offline::access::{GrantClaims, OfflineAccess};
use app::offline::crypto::{b64, random_bytes, PBKDF2_ITERATIONS};
use app::offline::engine::OutboxStore;
use app::ops::{IntakePayload, Operation, OperationBody};
use frontend::profile::{self, UnlockError};
use frontend::store::{IdbStore, Unlocked, ALL_STORES, DB_NAME, DB_VERSION};
use rexie::{Rexie, TransactionMode};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const DEVICE: &str = "browser-test-device";

async fn fresh() -> IdbStore {
    let store = IdbStore::default();
    store.db().await.expect("the database opens");
    let db = Rexie::builder(DB_NAME)
        .version(DB_VERSION)
        .build()
        .await
        .unwrap();
    let tx = db
        .transaction(&ALL_STORES, TransactionMode::ReadWrite)
        .unwrap();
    for name in ALL_STORES {
        tx.store(name).unwrap().clear().await.unwrap();
    }
    tx.done().await.unwrap();
    db.close();
    store
}

fn user() -> SessionUser {
    SessionUser {
        id: 5,
        username: "Zephyrine.Field".into(),
        display_name: "Sub-Hub User".into(),
        role: Role::SubHubUser,
        hub_id: Some(3),
        hub_type: None,
        hub_name: Some("Montego Bay Depot".into()),
    }
}

fn access(secret: &str, expires_in_hours: i64) -> OfflineAccess {
    let now = chrono::Utc::now();
    OfflineAccess {
        device_secret: secret.into(),
        grant: "claims.signature".into(),
        claims: GrantClaims {
            user_id: 5,
            role: Role::SubHubUser,
            hub_id: Some(3),
            device_id: DEVICE.into(),
            issued_at: now.to_rfc3339(),
            expires_at: (now + chrono::Duration::hours(expires_in_hours)).to_rfc3339(),
        },
        server_time: now.to_rfc3339(),
        idle_lock_minutes: 15,
    }
}

/// The user's profile kept on the device by an online sign-in with "right horse".
async fn keep(store: &IdbStore) -> Unlocked {
    profile::save_online(
        store,
        DEVICE,
        "right horse",
        &user(),
        &access(&secret(), 24),
    )
    .await
    .unwrap()
    .0
}

fn secret() -> String {
    b64(&random_bytes(32).unwrap())
}

fn intake() -> Operation {
    Operation::new(
        3,
        DEVICE,
        OperationBody::Intake(IntakePayload {
            item_id: 1,
            quantity: 4,
            event_id: 1,
            donor: None,
            expiry_date: None,
            notes: None,
        }),
        "2026-11-22T09:00:00Z".into(),
    )
}

#[wasm_bindgen_test]
async fn the_data_key_opens_only_with_its_password_or_the_device_secret() {
    let store = fresh().await;
    let device = secret();
    let (unlocked, kdf_ms) =
        profile::save_online(&store, DEVICE, "right horse", &user(), &access(&device, 24))
            .await
            .unwrap();
    web_sys::console::log_1(
        &format!("PBKDF2-SHA256 {PBKDF2_ITERATIONS} iterations: {kdf_ms} ms").into(),
    );
    store.unlock(unlocked.clone());
    store.enqueue(intake()).await.unwrap();
    store.lock();

    // The stored profile says nothing of the user, and keeps its parameters.
    let stored = profile::all(&store).await.unwrap();
    assert_eq!(stored.len(), 1);
    let text = serde_json::to_string(&stored[0]).unwrap().to_lowercase();
    // A name long enough not to turn up by chance in base64.
    assert!(!text.contains("zephyrine"), "{text}");
    assert_eq!(stored[0].iterations, PBKDF2_ITERATIONS);
    assert_eq!(
        app::offline::crypto::unb64(&stored[0].salt).unwrap().len(),
        16
    );

    // The username is case-insensitive; the right password opens the same data.
    let (again, _) =
        profile::unlock_with_password(&store, DEVICE, "zephyrine.field", "right horse")
            .await
            .unwrap();
    store.unlock(again);
    assert_eq!(store.pending().await.unwrap().len(), 1);

    assert_eq!(
        profile::unlock_with_password(&store, DEVICE, "zephyrine.field", "wrong horse")
            .await
            .err(),
        Some(UnlockError::Incorrect)
    );
    assert_eq!(
        profile::unlock_with_password(&store, DEVICE, "lm", "right horse")
            .await
            .err(),
        Some(UnlockError::NoProfile)
    );
    assert_eq!(
        profile::unlock_with_password(&store, "another-device", "zephyrine.field", "right horse")
            .await
            .err(),
        Some(UnlockError::NoProfile)
    );

    // Online: the device secret opens it without the password; another secret does not.
    assert!(
        profile::unlock_with_device(&store, DEVICE, &user(), &access(&device, 24))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        profile::unlock_with_device(&store, DEVICE, &user(), &access(&secret(), 24))
            .await
            .unwrap()
            .is_none()
    );

    // A password changed elsewhere: the next online sign-in re-wraps the same data key.
    let (rewrapped, _) =
        profile::save_online(&store, DEVICE, "new pony", &user(), &access(&device, 24))
            .await
            .unwrap();
    assert_eq!(rewrapped.profile, unlocked.profile);
    store.unlock(rewrapped);
    assert_eq!(
        store.pending().await.unwrap().len(),
        1,
        "the queue survived"
    );
    assert_eq!(
        profile::unlock_with_password(&store, DEVICE, "zephyrine.field", "right horse")
            .await
            .err(),
        Some(UnlockError::Incorrect)
    );
    assert!(
        profile::unlock_with_password(&store, DEVICE, "zephyrine.field", "new pony")
            .await
            .is_ok()
    );
}

#[wasm_bindgen_test]
async fn five_wrong_passwords_make_it_wait_and_wipe_nothing() {
    let store = fresh().await;
    let unlocked = keep(&store).await;
    store.unlock(unlocked);
    store.enqueue(intake()).await.unwrap();
    store.lock();
    for _ in 0..4 {
        assert_eq!(
            profile::unlock_with_password(&store, DEVICE, "zephyrine.field", "nope")
                .await
                .err(),
            Some(UnlockError::Incorrect)
        );
    }
    // The fifth is still checked (and wrong); then the wait starts.
    assert_eq!(
        profile::unlock_with_password(&store, DEVICE, "zephyrine.field", "nope")
            .await
            .err(),
        Some(UnlockError::Incorrect)
    );
    match profile::unlock_with_password(&store, DEVICE, "zephyrine.field", "right horse").await {
        Err(UnlockError::Wait(s)) => assert!((55..=60).contains(&s), "waits {s} s"),
        other => panic!("expected a wait, got {:?}", other.map(|_| ())),
    }
    let p = &profile::all(&store).await.unwrap()[0];
    assert_eq!(p.failures, 5);
    assert_eq!(store.count_of(&p.id).await.unwrap(), 1, "nothing wiped");
}

#[wasm_bindgen_test]
async fn an_expired_grant_or_a_clock_behind_the_server_refuses() {
    let store = fresh().await;
    profile::save_online(
        &store,
        DEVICE,
        "right horse",
        &user(),
        &access(&secret(), -1),
    )
    .await
    .unwrap();
    assert_eq!(
        profile::unlock_with_password(&store, DEVICE, "zephyrine.field", "right horse")
            .await
            .err(),
        Some(UnlockError::Expired)
    );
    assert_eq!(
        UnlockError::Expired.message(),
        "Offline access has expired. Connect to the internet to sign in."
    );

    let store = fresh().await;
    let mut ahead = access(&secret(), 48);
    ahead.server_time = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    profile::save_online(&store, DEVICE, "right horse", &user(), &ahead)
        .await
        .unwrap();
    assert_eq!(
        profile::unlock_with_password(&store, DEVICE, "zephyrine.field", "right horse")
            .await
            .err(),
        Some(UnlockError::ClockBehind)
    );
}

#[wasm_bindgen_test]
async fn a_profile_read_before_another_tab_signed_out_is_not_written_back() {
    let store = fresh().await;
    keep(&store).await;
    // Read by a password check in one tab; deleted by a sign-out in another meanwhile.
    let mut read = profile::all(&store).await.unwrap().remove(0);
    store.wipe_profile(&read.id).await.unwrap();
    read.failures += 1;
    assert_eq!(profile::update(&store, &read).await, Ok(false));
    assert!(profile::all(&store).await.unwrap().is_empty(), "not back");
    // A profile that exists is rewritten.
    keep(&store).await;
    let mut now = profile::all(&store).await.unwrap().remove(0);
    now.failures = 2;
    assert_eq!(profile::update(&store, &now).await, Ok(true));
    assert_eq!(profile::all(&store).await.unwrap()[0].failures, 2);
}
