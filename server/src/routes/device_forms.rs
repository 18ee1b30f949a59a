//! No-JS forms of the device registry (ADMIN): the device policy, and per device its offline
//! use, deprovisioning and revocation (with a reason). Each redirects back with a notice.
use app::domain::ValidationError;
use app::offline::devices::{DevicePolicy, DeviceSummary, DeviceUpdate, RevokeInput};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use super::forms::submit;
use crate::auth::extract::MaybeUser;
use crate::error::AppResult;
use crate::services::device_policy;
use crate::services::devices::admin;
use crate::state::AppState;

const PAGE: &str = "/admin/devices";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms/device-policy", post(policy))
        .route("/forms/devices/{id}/offline", post(offline))
        .route("/forms/devices/{id}/deprovision", post(deprovision))
        .route("/forms/devices/{id}/revoke", post(revoke))
}

#[derive(Deserialize, Serialize)]
struct PolicyForm {
    #[serde(default)]
    default_mode: String,
    /// Empty: no limit.
    #[serde(default)]
    max_offline_devices: String,
    #[serde(default)]
    offline_grace_days: String,
    /// The checkbox (any value = ticked).
    #[serde(default)]
    allow_user_request: Option<String>,
}

impl PolicyForm {
    fn parse(&self) -> AppResult<DevicePolicy> {
        let max = match self.max_offline_devices.trim() {
            "" => None,
            n => Some(n.parse().map_err(|_| {
                ValidationError::new(
                    "max_offline_devices",
                    "The most devices kept offline must be a whole number (or empty: no limit).",
                )
            })?),
        };
        let days = self.offline_grace_days.trim().parse().map_err(|_| {
            ValidationError::new(
                "offline_grace_days",
                "The offline grace period must be a whole number of days.",
            )
        })?;
        Ok(DevicePolicy {
            default_mode: self.default_mode.trim().to_string(),
            max_offline_devices: max,
            offline_grace_days: days,
            allow_user_request: self
                .allow_user_request
                .as_deref()
                .is_some_and(|v| v != "false"),
            current_offline_count: None,
        })
    }
}

async fn policy(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<PolicyForm>, FormRejection>,
) -> Response {
    let back = "/admin/offline-policy";
    submit(
        s.config.secure_cookie,
        u,
        f,
        back,
        |p: &DevicePolicy| {
            (
                back.into(),
                format!(
                    "Device policy saved: {}, {} kept offline at most, grace period {} days.",
                    p.default_mode,
                    p.max_offline_devices
                        .map_or("no limit on devices".to_string(), |n| n.to_string()),
                    p.offline_grace_days
                ),
            )
        },
        |u, i| async move {
            let result = match i.parse() {
                Ok(p) => device_policy::update(&s.db, &u, &p).await,
                Err(e) => Err(e),
            };
            (result, i)
        },
    )
    .await
}

#[derive(Deserialize, Serialize)]
struct OfflineForm {
    /// `on` or `off`.
    #[serde(default)]
    offline: String,
}

async fn offline(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<String>,
    f: Result<Form<OfflineForm>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        PAGE,
        |d: &DeviceSummary| {
            let state = if d.offline_enabled {
                "enabled"
            } else {
                "disabled"
            };
            (
                PAGE.into(),
                format!("Offline use {state} on device {}.", d.id),
            )
        },
        |u, i| async move {
            let input = DeviceUpdate {
                name: None,
                offline_enabled: Some(i.offline == "on"),
            };
            (admin::update(&s.db, &u, &id, &input).await, i)
        },
    )
    .await
}

#[derive(Deserialize, Serialize)]
struct Confirm {
    #[serde(default)]
    confirm: String,
}

async fn deprovision(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<String>,
    f: Result<Form<Confirm>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        PAGE,
        |d: &DeviceSummary| {
            (
                PAGE.into(),
                format!(
                    "Device {} is being deprovisioned: it syncs, deletes its data and is retired.",
                    d.id
                ),
            )
        },
        |u, i| async move { (admin::deprovision(&s.db, &u, &id).await, i) },
    )
    .await
}

async fn revoke(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<String>,
    f: Result<Form<RevokeInput>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        PAGE,
        |d: &DeviceSummary| (PAGE.into(), format!("Device {} revoked.", d.id)),
        |u, i| async move { (admin::revoke(&s.db, &u, &id, &i).await, i) },
    )
    .await
}
