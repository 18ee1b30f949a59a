//! `POST /api/offline/sync` (apply a batch of operations) and `GET /api/offline/snapshot`.
use app::domain::ValidationError;
use app::ops::sync::{SyncRequest, SyncResponse, MAX_BATCH};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::json::JsonBody;
use crate::apply::{self, Incoming};
use crate::auth::extract::{MaybeUser, RequireUser};
use crate::auth::session;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::services::{devices, snapshot, sync_issues};
use crate::state::AppState;

pub async fn sync(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    body: Result<JsonBody<SyncRequest>, AppError>,
) -> AppResult<Json<SyncResponse>> {
    // A revoked device is told so first, signed in or not (revoking ended its sessions).
    let pushed = |req: &SyncRequest| Some(req.operations.len() as i64);
    if let Ok(JsonBody(req)) = &body {
        let claimed = req.device_id.trim();
        if apply::claims::check_device(claimed).is_ok() {
            let who = user.as_ref().map(|u| u.id);
            devices::refuse_if_revoked(&state, claimed, who, "sync", pushed(req)).await?;
        }
    }
    let user = user.ok_or_else(AppError::signed_out)?;
    // The device says whose outbox this batch comes from: under another user's session (one
    // signed in meanwhile in another tab) it is not applied; 401 makes the device keep it for
    // its user's next sign-in.
    if let Some(owner) = headers.get("x-drims-user") {
        if owner.to_str().ok().map(str::trim) != Some(user.id.to_string().as_str()) {
            return Err(AppError::Unauthorized(
                "This batch was recorded by another user: sign in as that user to send it.".into(),
            ));
        }
    }
    let JsonBody(req) = body?;
    let claimed = req.device_id.trim().to_string();
    apply::claims::check_device(&claimed)
        .map_err(|e| AppError::Invalid(ValidationError::new("device_id", e)))?;
    // The device recorded: the one the session signed in on, when it did; else the batch's.
    let session_device = match session::token_from_headers(&headers, state.config.secure_cookie) {
        Some(token) => session::device_id(&state.db, &token).await?,
        None => None,
    };
    let device = session_device.unwrap_or(claimed);
    devices::refuse_if_revoked(&state, &device, Some(user.id), "sync", pushed(&req)).await?;
    let count = req.operations.len() as i64;
    if req.operations.len() > MAX_BATCH {
        return Err(AppError::Invalid(ValidationError::new(
            "operations",
            format!(
                "At most {MAX_BATCH} operations per batch; this one has {}.",
                req.operations.len()
            ),
        )));
    }
    let ops = req
        .operations
        .into_iter()
        .enumerate()
        .map(|(i, raw)| Incoming::from_json(i, raw, &device))
        .collect();
    let results = apply::apply_batch(&state.writer, &user, ops).await?;
    {
        let _turn = state.writer.turn().await;
        devices::synced(&state.db, &device, user.id, count).await?;
    }
    Ok(Json(SyncResponse {
        results,
        server_time: db::now(),
        snapshot_version: snapshot::version(&state.db).await?,
    }))
}

/// The snapshot with a strong `ETag`; `If-None-Match` naming it gets `304 Not Modified` and
/// no body (the security layer keeps `Cache-Control: no-store` on both answers).
pub async fn snapshot(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    headers: HeaderMap,
) -> AppResult<Response> {
    let snapshot = snapshot::build(&state.db, &user).await?;
    let tag = snapshot::etag(&snapshot);
    let etag = [(header::ETAG, tag.clone())];
    if none_match(&headers, &tag) {
        return Ok((StatusCode::NOT_MODIFIED, etag).into_response());
    }
    Ok((etag, Json(snapshot)).into_response())
}

/// Whether `If-None-Match` names `tag` (weak comparison, as RFC 9110 asks for this header).
fn none_match(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag)
}

pub async fn issues(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
) -> AppResult<Json<Vec<app::reports::RejectedOperation>>> {
    Ok(Json(sync_issues::list(&state.db, &user).await?))
}
