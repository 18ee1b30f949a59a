//! Offline access on the wire: sign-in with a device, the signed offline grant, the per-device
//! secret that re-opens the device's data key online, the offline policy, and the encrypted
//! export of unsynced work. Server and browser share these types.
use serde::{Deserialize, Serialize};

use crate::domain::Role;
use crate::model::SessionUser;
use crate::ops::sync::SyncResult;
use crate::ops::Operation;

/// The device a sign-in comes from: the client's random id (no fingerprinting).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `POST /api/session`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SignInRequest {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub device: Option<DeviceRef>,
    /// "Keep this device ready for offline use".
    #[serde(default)]
    pub keep_offline: bool,
}

/// `POST /api/session` answers the user (as before, flattened) and, when the device is kept for
/// offline use and the policy allows it, its offline access.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignInResponse {
    #[serde(flatten)]
    pub user: SessionUser,
    /// `offline` (kept for offline use) or `online-only`.
    pub device_mode: String,
    #[serde(default)]
    pub offline: Option<OfflineAccess>,
}

/// What a device kept for offline use receives after an online sign-in, and again on each online
/// start (`GET /api/offline/access`): the device secret to open its data key without the
/// password, and a fresh grant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfflineAccess {
    /// 32 random bytes (base64url) per (user, device), kept by the server and given only to
    /// that user's authenticated session on that device.
    pub device_secret: String,
    /// The signed grant, `base64url(claims JSON).base64url(HMAC-SHA256)`.
    pub grant: String,
    pub claims: GrantClaims,
    /// The server's clock (RFC 3339): the device refuses a clock earlier than the last one seen.
    pub server_time: String,
    pub idle_lock_minutes: i64,
}

/// What a grant says. Signed by the server; the device checks `expires_at` offline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantClaims {
    pub user_id: i64,
    pub role: Role,
    pub hub_id: Option<i64>,
    pub device_id: String,
    /// RFC 3339 (UTC).
    pub issued_at: String,
    pub expires_at: String,
}

/// `POST /api/offline/grant/verify` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantCheck {
    pub valid: bool,
    /// `malformed`, `bad_signature` or `expired` when not valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<GrantClaims>,
}

/// The offline policy (ADMIN, audited): `GET/PUT /api/offline-policy`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflinePolicy {
    /// How long a grant lasts; 0 = offline sign-in disabled.
    pub offline_window_days: i64,
    /// After this long without input, every tab drops the key and asks for the password.
    pub idle_lock_minutes: i64,
}

impl Default for OfflinePolicy {
    fn default() -> Self {
        Self {
            offline_window_days: 7,
            idle_lock_minutes: 15,
        }
    }
}

impl OfflinePolicy {
    pub const MAX_WINDOW_DAYS: i64 = 90;
    pub const MAX_IDLE_MINUTES: i64 = 24 * 60;

    pub fn validate(&self) -> Result<(), crate::domain::ValidationError> {
        use crate::domain::ValidationError;
        if !(0..=Self::MAX_WINDOW_DAYS).contains(&self.offline_window_days) {
            return Err(ValidationError::new(
                "offline_window_days",
                format!(
                    "The offline window must be 0 to {} days (0 turns offline sign-in off).",
                    Self::MAX_WINDOW_DAYS
                ),
            ));
        }
        if !(1..=Self::MAX_IDLE_MINUTES).contains(&self.idle_lock_minutes) {
            return Err(ValidationError::new(
                "idle_lock_minutes",
                format!(
                    "The idle lock must be 1 to {} minutes.",
                    Self::MAX_IDLE_MINUTES
                ),
            ));
        }
        Ok(())
    }
}

/// An export of unsynced work, encrypted under a passphrase the user typed:
/// PBKDF2-HMAC-SHA256 (`iterations`, 16-byte `salt`) -> AES-256-GCM key; `ciphertext` is
/// `nonce || ciphertext || tag` of `ExportContents` as JSON, associated data `drims:export:v1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFile {
    /// Always `drims-pending-export`.
    pub format: String,
    pub version: u32,
    /// Always `PBKDF2-SHA256`.
    pub kdf: String,
    pub iterations: u32,
    pub salt: String,
    pub ciphertext: String,
}

pub const EXPORT_FORMAT: &str = "drims-pending-export";
pub const EXPORT_KDF: &str = "PBKDF2-SHA256";

/// What an export file holds once opened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportContents {
    pub device_id: String,
    pub user_id: i64,
    pub username: String,
    /// The device's last grant, if any: the server checks its signature to attest where the
    /// file came from.
    #[serde(default)]
    pub grant: Option<String>,
    pub exported_at: String,
    pub operations: Vec<Operation>,
}

/// `POST /api/offline/import` (LM, ADMIN) body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImportRequest {
    pub file: ExportFile,
    pub passphrase: String,
}

/// What an import did, one result per operation in the file's order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub id: i64,
    pub imported_at: String,
    pub imported_by: String,
    pub source_device: String,
    pub source_user: String,
    /// Whether the file's grant carried a valid server signature for that user and device.
    pub grant_verified: bool,
    pub results: Vec<SyncResult>,
}
