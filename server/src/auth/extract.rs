//! Extractors: `MaybeUser` (signed in or not) and `RequireUser` (401 when signed out), plus the
//! client address used for rate limiting.
use app::model::SessionUser;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::session;
use crate::error::AppError;
use crate::state::AppState;

pub struct MaybeUser(pub Option<SessionUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match session::token_from_headers(&parts.headers, state.config.secure_cookie) {
            Some(token) => Ok(MaybeUser(session::lookup(&state.db, &token).await?)),
            None => Ok(MaybeUser(None)),
        }
    }
}

pub struct RequireUser(pub SessionUser);

impl FromRequestParts<AppState> for RequireUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        MaybeUser::from_request_parts(parts, state)
            .await?
            .0
            .map(RequireUser)
            .ok_or_else(AppError::signed_out)
    }
}

pub use super::client_address::ClientAddress;
