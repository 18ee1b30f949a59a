//! JSON API of the device registry: the device policy and the devices (ADMIN only, audited),
//! CSV exports of both, and what a device asks about itself (check, wipe acknowledgement).
use app::offline::devices::{
    DeviceCheck, DeviceDetail, DeviceList, DevicePolicy, DeviceSummary, DeviceUpdate, RevokeInput,
};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::json::JsonBody;
use crate::auth::extract::{ClientAddress, MaybeUser, RequireUser};
use crate::auth::session;
use crate::error::{AppError, AppResult};
use crate::security::device_guard::HEADER;
use crate::services::device_policy;
use crate::services::devices::admin;
use crate::state::AppState;
use app::domain::ValidationError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/device-policy", get(get_policy).put(put_policy))
        .route("/api/devices", get(list))
        .route("/api/devices/check", get(check))
        .route("/api/devices/{id}", get(detail).put(update))
        .route("/api/devices/{id}/revoke", post(revoke))
        .route("/api/devices/{id}/deprovision", post(deprovision))
        .route("/api/devices/{id}/wipe-ack", post(wipe_ack))
        .route("/admin/devices/export.csv", get(export_csv))
        .route("/admin/devices/{id}/activity.csv", get(activity_csv))
}

async fn get_policy(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
) -> AppResult<Json<DevicePolicy>> {
    Ok(Json(device_policy::get(&s.db, &u).await?))
}

async fn put_policy(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    JsonBody(i): JsonBody<DevicePolicy>,
) -> AppResult<Json<DevicePolicy>> {
    Ok(Json(device_policy::update(&s.db, &u, &i).await?))
}

async fn list(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
) -> AppResult<Json<DeviceList>> {
    Ok(Json(admin::list(&s.db, &u).await?))
}

async fn detail(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    Path(id): Path<String>,
) -> AppResult<Json<DeviceDetail>> {
    Ok(Json(admin::detail(&s.db, &u, &id).await?))
}

async fn update(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<DeviceUpdate>,
) -> AppResult<Json<DeviceSummary>> {
    Ok(Json(admin::update(&s.db, &u, &id, &i).await?))
}

async fn revoke(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    Path(id): Path<String>,
    JsonBody(i): JsonBody<RevokeInput>,
) -> AppResult<Json<DeviceSummary>> {
    Ok(Json(admin::revoke(&s.db, &u, &id, &i).await?))
}

async fn deprovision(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    Path(id): Path<String>,
) -> AppResult<Json<DeviceSummary>> {
    Ok(Json(admin::deprovision(&s.db, &u, &id).await?))
}

async fn check(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    headers: HeaderMap,
) -> AppResult<Json<DeviceCheck>> {
    let id = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| {
            AppError::Invalid(ValidationError::new(
                "X-Device-ID",
                "Send the device id in the X-Device-ID header.",
            ))
        })?;
    let mut answer = admin::check(&s.db, u.as_ref(), id).await?;
    answer.check_every_seconds = Some(s.config.device_check_seconds);
    Ok(Json(answer))
}

async fn wipe_ack(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Json<DeviceSummary>> {
    let session_device = match session::token_from_headers(&headers, s.config.secure_cookie) {
        Some(token) if u.is_some() => session::device_id(&s.db, &token).await?,
        _ => None,
    };
    Ok(Json(
        admin::wipe_ack(&s.db, session_device.as_deref(), u.as_ref(), &id, &address).await?,
    ))
}

fn csv_response(file: String, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

async fn export_csv(State(s): State<AppState>, RequireUser(u): RequireUser) -> AppResult<Response> {
    let body = admin::export_csv(&s.db, &u).await?;
    Ok(csv_response(format!("devices-{}.csv", today()), body))
}

async fn activity_csv(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let body = admin::activity_csv(&s.db, &u, &id).await?;
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    Ok(csv_response(
        format!("device-{safe}-activity-{}.csv", today()),
        body,
    ))
}
