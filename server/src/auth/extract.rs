//! Extractors: `MaybeUser` (signed in or not) and `RequireUser` (401 when signed out), plus the
//! client address used for rate limiting.
use std::net::SocketAddr;

use app::model::SessionUser;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::session;
use crate::error::AppError;
use crate::state::AppState;

pub struct MaybeUser(pub Option<SessionUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match session::token_from_headers(&parts.headers) {
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

/// The peer's IP address (as the server sees it; no proxy headers are trusted).
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddress(addr))
    }
}
