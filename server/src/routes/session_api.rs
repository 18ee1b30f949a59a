//! `POST/GET/DELETE /api/session`: sign in, who am I, sign out.
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::json::JsonBody;
use crate::auth::extract::{ClientAddress, RequireUser};
use crate::auth::{session, sign_in::sign_in};
use crate::error::AppResult;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn create(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    JsonBody(creds): JsonBody<Credentials>,
) -> AppResult<Response> {
    let signed_in = sign_in(&state, &creds.username, &creds.password, &address).await?;
    let cookie = session::set_cookie(
        &signed_in.token,
        state.config.session_ttl_minutes,
        state.config.secure_cookie,
    );
    Ok(([(header::SET_COOKIE, cookie)], Json(signed_in.user)).into_response())
}

pub async fn current(RequireUser(user): RequireUser) -> impl IntoResponse {
    Json(user)
}

pub async fn delete(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    if let Some(token) = session::token_from_headers(&headers, state.config.secure_cookie) {
        session::delete(&state.db, &token).await?;
    }
    let cookie = session::clear_cookie(state.config.secure_cookie);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
