//! The device registry on the wire (ADMIN): the device policy, the registered devices with
//! their activity, and the answer a device gets when it checks itself. Shared by the server,
//! the admin pages and the browser client.
use serde::{Deserialize, Serialize};

use crate::domain::ValidationError;

/// How devices are kept for offline use (`default_mode`).
pub const MODES: [&str; 3] = ["online-only", "offline-enabled", "ask-user"];

/// `GET/PUT /api/device-policy`. `offline_grace_days` is the offline window of a grant
/// (`OfflinePolicy::offline_window_days`): the same setting under the registry's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicePolicy {
    pub default_mode: String,
    #[serde(default)]
    pub max_offline_devices: Option<i64>,
    pub offline_grace_days: i64,
    pub allow_user_request: bool,
    /// Devices kept for offline use now (answers only; ignored on input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_offline_count: Option<i64>,
}

impl Default for DevicePolicy {
    fn default() -> Self {
        Self {
            default_mode: "ask-user".into(),
            max_offline_devices: None,
            offline_grace_days: 7,
            allow_user_request: true,
            current_offline_count: None,
        }
    }
}

impl DevicePolicy {
    pub const MAX_DEVICES: i64 = 100_000;

    pub fn validate(&self) -> Result<(), ValidationError> {
        if !MODES.contains(&self.default_mode.as_str()) {
            return Err(ValidationError::new(
                "default_mode",
                "The default mode must be online-only, offline-enabled or ask-user.",
            ));
        }
        if let Some(n) = self.max_offline_devices {
            if !(0..=Self::MAX_DEVICES).contains(&n) {
                return Err(ValidationError::new(
                    "max_offline_devices",
                    format!(
                        "The most devices kept offline must be 0 to {} (or empty: no limit).",
                        Self::MAX_DEVICES
                    ),
                ));
            }
        }
        crate::offline::access::OfflinePolicy {
            offline_window_days: self.offline_grace_days,
            idle_lock_minutes: 1,
        }
        .validate()
        .map_err(|_| {
            ValidationError::new(
                "offline_grace_days",
                format!(
                    "The offline grace period must be 0 to {} days (0 turns offline sign-in off).",
                    crate::offline::access::OfflinePolicy::MAX_WINDOW_DAYS
                ),
            )
        })
    }
}

/// One registered device as the ADMIN sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSummary {
    pub id: String,
    pub name: Option<String>,
    /// The user who last signed in on it.
    pub user: Option<String>,
    /// The browser's User-Agent at the last sign-in (truncated).
    pub platform: Option<String>,
    pub app_version: Option<String>,
    pub offline_enabled: bool,
    pub revoked: bool,
    pub revoked_at: Option<String>,
    pub revoke_reason: Option<String>,
    pub registered_at: String,
    pub last_sign_in_at: Option<String>,
    pub last_seen_at: Option<String>,
    pub last_sync_at: Option<String>,
    pub last_sync_count: i64,
    pub wipe_requested_at: Option<String>,
    pub wipe_acknowledged_at: Option<String>,
}

/// `GET /api/devices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    pub devices: Vec<DeviceSummary>,
    pub policy: DevicePolicy,
}

/// One line of a device's activity log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEvent {
    pub at: String,
    /// sign_in, sign_out, sync, mode_change, deprovision, revoke, wipe_acknowledged, refused.
    pub kind: String,
    pub user: Option<String>,
    pub count: Option<i64>,
    pub details: String,
}

/// `GET /api/devices/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceDetail {
    pub device: DeviceSummary,
    pub events: Vec<DeviceEvent>,
}

/// `PUT /api/devices/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub offline_enabled: Option<bool>,
}

/// `POST /api/devices/{id}/revoke`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeInput {
    #[serde(default)]
    pub reason: String,
}

/// `GET /api/devices/check` (header `X-Device-ID`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCheck {
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_enabled: Option<bool>,
    /// The ADMIN asked this device to delete its data (after syncing, when not revoked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wipe_requested: Option<bool>,
    /// `revoked` when not valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When to ask again (`DRIMS_DEVICE_CHECK_SECONDS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_every_seconds: Option<u32>,
}

/// The message a revoked device gets, everywhere it is refused.
pub const REVOKED_MESSAGE: &str =
    "This device has been revoked by an administrator. Its data must be deleted; contact your administrator.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_ranges() {
        assert!(DevicePolicy::default().validate().is_ok());
        let bad_mode = DevicePolicy {
            default_mode: "sometimes".into(),
            ..Default::default()
        };
        assert_eq!(bad_mode.validate().unwrap_err().field, "default_mode");
        let bad_cap = DevicePolicy {
            max_offline_devices: Some(-1),
            ..Default::default()
        };
        assert_eq!(bad_cap.validate().unwrap_err().field, "max_offline_devices");
        let bad_days = DevicePolicy {
            offline_grace_days: 91,
            ..Default::default()
        };
        assert_eq!(bad_days.validate().unwrap_err().field, "offline_grace_days");
    }
}
