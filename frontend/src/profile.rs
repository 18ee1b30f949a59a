//! Offline profiles: one per (user, device). A random 256-bit data key seals the profile's
//! records; it is stored only wrapped (AES-256-GCM), once under a key derived from the password
//! (PBKDF2-HMAC-SHA256, `iterations` stored beside it, 16-byte salt) for offline sign-in, once
//! under the per-device secret the server gives that user's session on this device (online
//! reloads and a password changed elsewhere). The profile record holds only opaque values: its
//! tag is SHA-256 of the device id and username, so the username is not stored.
use app::model::SessionUser;
use app::offline::access::{GrantClaims, OfflineAccess};
use app::offline::crypto::{
    b64, random_bytes, unb64, wrap_aad, SecretKey, KEY_LEN, PBKDF2_ITERATIONS,
    PBKDF2_MIN_ITERATIONS, SALT_LEN,
};
use rexie::TransactionMode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasm_bindgen::JsValue;

use crate::store::{err, IdbStore, Unlocked, PROFILES};
use crate::webcrypto::pbkdf2_sha256;

/// Wrong passwords allowed before the first wait; each further one doubles it.
pub const FREE_ATTEMPTS: u32 = 5;
pub const FIRST_WAIT_SECS: f64 = 60.0;
/// A device clock this far behind the last server time seen is refused.
pub const CLOCK_SKEW_MS: f64 = 5.0 * 60_000.0;

pub const NO_PROFILE: &str = "Offline access not available. Please connect at least once.";
pub const EXPIRED: &str = "Offline access has expired. Connect to the internet to sign in.";
pub const INCORRECT: &str = "Incorrect password";

/// The `profiles` record (JSON, not sealed: it holds only the tag, parameters and wrapped keys).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProfileRecord {
    pub v: u32,
    pub id: String,
    pub tag: String,
    pub kdf: String,
    pub iterations: u32,
    pub salt: String,
    pub wrapped_by_password: String,
    pub wrapped_by_device: String,
    pub failures: u32,
    pub wait_until_ms: f64,
}

/// Sealed in `meta` as `<profile>:access`: who the profile is and until when it may open.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessRecord {
    pub user: SessionUser,
    pub grant: Option<String>,
    pub claims: Option<GrantClaims>,
    pub last_server_time: String,
    pub idle_lock_minutes: i64,
    /// The server said the account is deactivated: no more offline sign-in; export only.
    #[serde(default)]
    pub deactivated: bool,
}

pub const ACCESS: &str = "access";

#[derive(Debug, Clone, PartialEq)]
pub enum UnlockError {
    NoProfile,
    Expired,
    Incorrect,
    Wait(u64),
    ClockBehind,
    Failed(String),
}

impl UnlockError {
    pub fn message(&self) -> String {
        match self {
            Self::NoProfile => NO_PROFILE.into(),
            Self::Expired => EXPIRED.into(),
            Self::Incorrect => INCORRECT.into(),
            Self::Wait(s) => format!(
                "Too many incorrect passwords. Wait {s} seconds before trying again."
            ),
            Self::ClockBehind => "This device's clock is earlier than the last time it reached the server. Correct the date and time, or connect to sign in.".into(),
            Self::Failed(e) => format!("This device's data could not be opened: {e}"),
        }
    }
}

pub fn tag(device_id: &str, username: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"drims:profile-tag:v1\0");
    h.update(device_id.as_bytes());
    h.update(b"\0");
    h.update(username.trim().to_lowercase().as_bytes());
    b64(&h.finalize())
}

pub async fn all(store: &IdbStore) -> Result<Vec<ProfileRecord>, String> {
    let db = store.db().await.map_err(|e| e.0)?;
    let tx = db
        .transaction(&[PROFILES], TransactionMode::ReadOnly)
        .map_err(|e| e.to_string())?;
    let values = tx
        .store(PROFILES)
        .map_err(|e| e.to_string())?
        .get_all(None, None)
        .await
        .map_err(|e| e.to_string())?;
    Ok(values
        .iter()
        .filter_map(|v| v.as_string())
        .filter_map(|t| serde_json::from_str(&t).ok())
        .collect())
}

pub async fn find(store: &IdbStore, tag: &str) -> Result<Option<ProfileRecord>, String> {
    Ok(all(store).await?.into_iter().find(|p| p.tag == tag))
}

/// Writes a profile record, new or not (a sign-in made now).
pub async fn put(store: &IdbStore, p: &ProfileRecord) -> Result<(), String> {
    write(store, p, false).await.map(drop)
}

/// Rewrites a profile record read earlier (a failure count, a new tag), only if it still
/// exists: another tab may have signed out or wiped it since, and writing it back would bring
/// back its wrapped keys (and let a tab still holding its key store records again).
/// `Ok(false)` when it was gone.
pub async fn update(store: &IdbStore, p: &ProfileRecord) -> Result<bool, String> {
    write(store, p, true).await
}

async fn write(store: &IdbStore, p: &ProfileRecord, existing: bool) -> Result<bool, String> {
    let text = serde_json::to_string(p).map_err(|e| e.to_string())?;
    let id = JsValue::from_str(&p.id);
    let db = store.db().await.map_err(|e| e.0)?;
    let tx = db
        .transaction(&[PROFILES], TransactionMode::ReadWrite)
        .map_err(|e| err(e).0)?;
    let profiles = tx.store(PROFILES).map_err(|e| err(e).0)?;
    // Checked and written in one transaction: a deletion cannot come in between.
    if existing
        && !profiles
            .key_exists(id.clone())
            .await
            .map_err(|e| err(e).0)?
    {
        return Ok(false);
    }
    profiles
        .put(&JsValue::from_str(&text), Some(&id))
        .await
        .map_err(|e| err(e).0)?;
    crate::store::committed(tx).await.map_err(|e| e.0)?;
    Ok(true)
}

async fn password_key(password: &str, salt: &str, iterations: u32) -> Result<SecretKey, String> {
    let salt = unb64(salt).map_err(|e| e.to_string())?;
    let started = now_ms();
    let bytes = pbkdf2_sha256(password, &salt, iterations).await?;
    // For diagnosing a slow field laptop (and the measures): how long the key derivation of
    // an offline sign-in took here. A number, nothing secret.
    if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = s.set_item("drims.kdf_ms", &(now_ms() - started).round().to_string());
    }
    SecretKey::from_bytes(&bytes).map_err(|e| e.to_string())
}

fn unwrap(kek: &SecretKey, profile: &str, kind: &str, wrapped: &str) -> Option<Vec<u8>> {
    let sealed = unb64(wrapped).ok()?;
    kek.open(&wrap_aad(kind, profile), &sealed)
        .ok()
        .filter(|k| k.len() == KEY_LEN)
}

fn wrap(kek: &SecretKey, profile: &str, kind: &str, data_key: &[u8]) -> String {
    b64(&kek.seal(&wrap_aad(kind, profile), data_key))
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn rfc3339_ms(t: &str) -> Option<f64> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.timestamp_millis() as f64)
}

fn opened(profile: &ProfileRecord, data_key: &[u8], user_id: i64) -> Result<Unlocked, String> {
    Ok(Unlocked {
        profile: profile.id.clone(),
        key: SecretKey::from_bytes(data_key).map_err(|e| e.to_string())?,
        user_id,
    })
}

/// Checks a wrong-password wait, then the password. Counts a failure (never wipes anything).
async fn open_with_password(
    store: &IdbStore,
    mut profile: ProfileRecord,
    password: &str,
) -> Result<(ProfileRecord, Vec<u8>), UnlockError> {
    let now = now_ms();
    if now < profile.wait_until_ms {
        return Err(UnlockError::Wait(
            ((profile.wait_until_ms - now) / 1000.0).ceil() as u64,
        ));
    }
    if profile.iterations < PBKDF2_MIN_ITERATIONS {
        return Err(UnlockError::Failed(
            "the stored key parameters are too weak".into(),
        ));
    }
    let kek = password_key(password, &profile.salt, profile.iterations)
        .await
        .map_err(UnlockError::Failed)?;
    match unwrap(&kek, &profile.id, "password", &profile.wrapped_by_password) {
        Some(key) => {
            if profile.failures > 0 {
                profile.failures = 0;
                profile.wait_until_ms = 0.0;
                match update(store, &profile).await {
                    Ok(true) => {}
                    Ok(false) => return Err(UnlockError::NoProfile),
                    // A full device: the count stays as stored (the next sign-in resets it);
                    // no reason to refuse the right password.
                    Err(e) if e == crate::store::NOT_STORED => {}
                    Err(e) => return Err(UnlockError::Failed(e)),
                }
            }
            Ok((profile, key))
        }
        None => {
            profile.failures += 1;
            if profile.failures >= FREE_ATTEMPTS {
                let doublings = (profile.failures - FREE_ATTEMPTS).min(10);
                profile.wait_until_ms =
                    now + FIRST_WAIT_SECS * 1000.0 * f64::from(1u32 << doublings);
            }
            match update(store, &profile).await {
                Ok(true) => {}
                Ok(false) => return Err(UnlockError::NoProfile),
                // A full device cannot keep the count (nor the wait it brings): the user is
                // still told the truth about the password.
                Err(e) if e == crate::store::NOT_STORED => {}
                Err(e) => return Err(UnlockError::Failed(e)),
            }
            Err(UnlockError::Incorrect)
        }
    }
}

/// Offline sign-in: the profile of `username` on this device, opened by its password, with an
/// unexpired grant and a clock not behind the last server time seen.
pub async fn unlock_with_password(
    store: &IdbStore,
    device_id: &str,
    username: &str,
    password: &str,
) -> Result<(Unlocked, AccessRecord), UnlockError> {
    let (unlocked, access) = open_profile(store, device_id, username, password).await?;
    let now = now_ms();
    let expires = access
        .claims
        .as_ref()
        .filter(|_| access.grant.is_some() && !access.deactivated)
        .and_then(|c| rfc3339_ms(&c.expires_at));
    if expires.is_none_or(|e| e <= now) {
        return Err(UnlockError::Expired);
    }
    if rfc3339_ms(&access.last_server_time).is_some_and(|seen| now + CLOCK_SKEW_MS < seen) {
        return Err(UnlockError::ClockBehind);
    }
    Ok((unlocked, access))
}

/// Opens the profile with the password only (no grant check): offline sign-in checks the grant
/// after it; exporting the unsynced work of a deactivated account needs nothing more.
pub async fn open_profile(
    store: &IdbStore,
    device_id: &str,
    username: &str,
    password: &str,
) -> Result<(Unlocked, AccessRecord), UnlockError> {
    let profile = find(store, &tag(device_id, username))
        .await
        .map_err(UnlockError::Failed)?
        .ok_or(UnlockError::NoProfile)?;
    let (profile, key) = open_with_password(store, profile, password).await?;
    let access = read_access(store, &profile, &key).await?;
    Ok((
        opened(&profile, &key, access.user.id).map_err(UnlockError::Failed)?,
        access,
    ))
}

async fn read_access(
    store: &IdbStore,
    profile: &ProfileRecord,
    key: &[u8],
) -> Result<AccessRecord, UnlockError> {
    let probe = opened(profile, key, 0).map_err(UnlockError::Failed)?;
    store
        .meta_get_with::<AccessRecord>(&probe, ACCESS)
        .await
        .map_err(|e| UnlockError::Failed(e.0))?
        .ok_or(UnlockError::Expired)
}

/// After an online sign-in on a device kept for offline use: opens the user's profile with the
/// device secret (so a password changed elsewhere loses nothing), or makes a new one, and wraps
/// the data key under the password just typed with a fresh salt.
pub async fn save_online(
    store: &IdbStore,
    device_id: &str,
    password: &str,
    user: &SessionUser,
    access: &OfflineAccess,
) -> Result<(Unlocked, u32), String> {
    let tag = tag(device_id, &user.username);
    let device_key =
        SecretKey::from_bytes(&unb64(&access.device_secret).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let existing = find(store, &tag).await?;
    let mut reopened = existing.as_ref().and_then(|p| {
        unwrap(&device_key, &p.id, "device", &p.wrapped_by_device).map(|k| (p.clone(), k))
    });
    if let (None, Some(p)) = (&reopened, &existing) {
        // The server issued a new device secret (offline use was off for a while): the
        // password just accepted by the server opens the profile as well.
        if let Ok(kek) = password_key(password, &p.salt, p.iterations).await {
            reopened =
                unwrap(&kek, &p.id, "password", &p.wrapped_by_password).map(|k| (p.clone(), k));
        }
    }
    let (id, data_key) = match reopened {
        Some((p, key)) => (p.id, key),
        None => {
            if let Some(old) = existing {
                // Neither the device secret nor this password opens it: no one can read its
                // records any more. Removed when empty; otherwise left as it is.
                if store
                    .wipe_profile_if_empty(&old.id)
                    .await
                    .map_err(|e| e.0)?
                    > 0
                {
                    let orphan = ProfileRecord {
                        tag: format!("orphaned:{}", old.id),
                        ..old
                    };
                    update(store, &orphan).await?;
                }
            }
            (
                uuid::Uuid::new_v4().simple().to_string(),
                random_bytes(KEY_LEN).map_err(|e| e.to_string())?,
            )
        }
    };
    let salt = random_bytes(SALT_LEN).map_err(|e| e.to_string())?;
    let started = now_ms();
    let kek = SecretKey::from_bytes(&pbkdf2_sha256(password, &salt, PBKDF2_ITERATIONS).await?)
        .map_err(|e| e.to_string())?;
    let kdf_ms = (now_ms() - started) as u32;
    let profile = ProfileRecord {
        v: 1,
        id: id.clone(),
        tag,
        kdf: "PBKDF2-SHA256".into(),
        iterations: PBKDF2_ITERATIONS,
        salt: b64(&salt),
        wrapped_by_password: wrap(&kek, &id, "password", &data_key),
        wrapped_by_device: wrap(&device_key, &id, "device", &data_key),
        failures: 0,
        wait_until_ms: 0.0,
    };
    put(store, &profile).await?;
    let unlocked = opened(&profile, &data_key, user.id)?;
    write_access(store, &unlocked, user, access).await?;
    Ok((unlocked, kdf_ms))
}

/// An online start on a device kept for offline use: the device secret opens the profile
/// without the password; the fresh grant and server time are stored.
pub async fn unlock_with_device(
    store: &IdbStore,
    device_id: &str,
    user: &SessionUser,
    access: &OfflineAccess,
) -> Result<Option<Unlocked>, String> {
    let Some(profile) = find(store, &tag(device_id, &user.username)).await? else {
        return Ok(None);
    };
    let device_key =
        SecretKey::from_bytes(&unb64(&access.device_secret).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let Some(data_key) = unwrap(
        &device_key,
        &profile.id,
        "device",
        &profile.wrapped_by_device,
    ) else {
        return Ok(None);
    };
    let unlocked = opened(&profile, &data_key, user.id)?;
    write_access(store, &unlocked, user, access).await?;
    Ok(Some(unlocked))
}

async fn write_access(
    store: &IdbStore,
    unlocked: &Unlocked,
    user: &SessionUser,
    access: &OfflineAccess,
) -> Result<(), String> {
    let record = AccessRecord {
        user: user.clone(),
        grant: Some(access.grant.clone()),
        claims: Some(access.claims.clone()),
        last_server_time: access.server_time.clone(),
        idle_lock_minutes: access.idle_lock_minutes,
        deactivated: false,
    };
    store
        .meta_put_with(unlocked, ACCESS, &record)
        .await
        .map_err(|e| e.0)
}

/// The server said the account is deactivated: no more offline sign-in; the queue stays, for
/// export.
pub async fn mark_deactivated(store: &IdbStore, unlocked: &Unlocked) -> Result<(), String> {
    let Some(mut record) = store
        .meta_get_with::<AccessRecord>(unlocked, ACCESS)
        .await
        .map_err(|e| e.0)?
    else {
        return Ok(());
    };
    // The grant stays (an export carries it as proof of origin); offline sign-in checks the flag.
    record.deactivated = true;
    store
        .meta_put_with(unlocked, ACCESS, &record)
        .await
        .map_err(|e| e.0)
}

/// The profile of a user on this device, if any (for sign-out and an unticked checkbox).
pub async fn find_for(
    store: &IdbStore,
    device_id: &str,
    username: &str,
) -> Result<Option<ProfileRecord>, String> {
    find(store, &tag(device_id, username)).await
}
