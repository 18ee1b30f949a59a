//! `POST/GET/DELETE /api/session`: sign in (with the device and, when kept for offline use,
//! its offline access), who am I, sign out (which also stops keeping the device).
use app::offline::access::{SignInRequest, SignInResponse};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::json::JsonBody;
use crate::auth::extract::{ClientAddress, RequireUser};
use crate::auth::{session, sign_in};
use crate::error::AppResult;
use crate::services::devices::DeviceInfo;
use crate::state::AppState;

/// The sign-in body: `SignInRequest` plus the client's optional `app_version` (also taken from
/// an `X-App-Version` header).
#[derive(serde::Deserialize)]
pub struct SignInBody {
    #[serde(flatten)]
    req: SignInRequest,
    #[serde(default)]
    app_version: Option<String>,
}

/// The device facts a request carries: its User-Agent and the client's version.
pub fn client_info(headers: &HeaderMap, app_version: Option<String>) -> DeviceInfo {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    DeviceInfo {
        name: None,
        user_agent: header(header::USER_AGENT),
        app_version: app_version
            .or_else(|| header(header::HeaderName::from_static("x-app-version"))),
    }
}

pub async fn create(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SignInBody>,
) -> AppResult<Response> {
    let req = body.req;
    let info = client_info(&headers, body.app_version);
    let signed_in = sign_in::sign_in(&state, &req, &address, info).await?;
    let cookie = session::set_cookie(
        &signed_in.token,
        state.config.session_ttl_minutes,
        state.config.secure_cookie,
    );
    let body = SignInResponse {
        user: signed_in.user,
        device_mode: sign_in::mode(signed_in.offline.is_some()).to_string(),
        offline: signed_in.offline,
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

pub async fn current(RequireUser(user): RequireUser) -> impl IntoResponse {
    Json(user)
}

pub async fn delete(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if let Some(token) = session::token_from_headers(&headers, state.config.secure_cookie) {
        session::delete(&state.db, &token).await?;
    }
    let cookie = session::clear_cookie(state.config.secure_cookie);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
