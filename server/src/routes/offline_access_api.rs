//! JSON API of offline access: a kept device's fresh grant and secret, grant verification,
//! the offline policy (ADMIN), and the import of exported unsynced work (LM, ADMIN).
use app::offline::access::{GrantCheck, ImportReport, ImportRequest, OfflineAccess, OfflinePolicy};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::json::JsonBody;
use crate::auth::extract::RequireUser;
use crate::auth::{grant, session};
use crate::error::AppResult;
use crate::services::{offline_access, offline_import, offline_policy};
use crate::state::AppState;

/// An export file of 10,000 operations stays well under this.
pub const IMPORT_BODY_LIMIT: usize = 20 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/offline/access", get(access))
        .route("/api/offline/grant/verify", post(verify))
        .route("/api/offline-policy", get(get_policy).put(put_policy))
        .merge(
            Router::new()
                .route("/api/offline/import", post(import))
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
}

async fn access(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    headers: HeaderMap,
) -> AppResult<Json<OfflineAccess>> {
    let device = match session::token_from_headers(&headers, s.config.secure_cookie) {
        Some(token) => session::device_id(&s.db, &token).await?,
        None => None,
    };
    Ok(Json(
        offline_access::refresh(&s.db, &s.grant_key, &u, device.as_deref()).await?,
    ))
}

#[derive(Deserialize)]
struct VerifyInput {
    #[serde(default)]
    grant: String,
}

async fn verify(
    State(s): State<AppState>,
    RequireUser(_): RequireUser,
    JsonBody(i): JsonBody<VerifyInput>,
) -> Json<GrantCheck> {
    Json(grant::verify(&s.grant_key, &i.grant, chrono::Utc::now()))
}

async fn get_policy(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
) -> AppResult<Json<OfflinePolicy>> {
    Ok(Json(offline_policy::get(&s.db, &u).await?))
}

async fn put_policy(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    JsonBody(i): JsonBody<OfflinePolicy>,
) -> AppResult<Json<OfflinePolicy>> {
    Ok(Json(offline_policy::update(&s.db, &u, &i).await?))
}

async fn import(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    JsonBody(req): JsonBody<ImportRequest>,
) -> AppResult<Json<ImportReport>> {
    Ok(Json(
        offline_import::run(&s.writer, &s.grant_key, &u, req).await?,
    ))
}
