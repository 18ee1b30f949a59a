//! The device guard: an API call carrying `X-Device-ID` of a revoked device is refused at once
//! (403 `device_revoked`; a refused write is logged on the device), and a signed-in call from
//! a known device marks it seen (written at most once a minute). The device's own check and
//! wipe acknowledgement pass: a revoked device must still learn it and say it wiped.
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::session;
use crate::error::AppError;
use crate::services::devices;
use crate::state::AppState;

pub const HEADER: &str = "x-device-id";

fn exempt(path: &str) -> bool {
    path == "/api/devices/check"
        || (path.starts_with("/api/devices/") && path.ends_with("/wipe-ack"))
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/api/") || exempt(path) {
        return next.run(req).await;
    }
    let Some(device_id) = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|d| crate::apply::claims::check_device(d).is_ok())
        .map(str::to_string)
    else {
        return next.run(req).await;
    };
    let known = match devices::state(&state.db, &device_id).await {
        Ok(known) => known,
        Err(e) => return e.into_response(),
    };
    match known {
        Some((true, _)) => {
            let write = req.method() != Method::GET && req.method() != Method::HEAD;
            let user = match session::token_from_headers(req.headers(), state.config.secure_cookie)
            {
                Some(token) => session::lookup(&state.db, &token).await.ok().flatten(),
                None => None,
            };
            if write {
                let attempt = format!("{} {}", req.method(), path);
                if let Err(e) = devices::refuse_if_revoked(
                    &state,
                    &device_id,
                    user.map(|u| u.id),
                    &attempt,
                    None,
                )
                .await
                {
                    return e.into_response();
                }
            }
            AppError::device_revoked().into_response()
        }
        Some((false, last_seen)) => {
            let minute_ago =
                crate::db::timestamp(chrono::Utc::now() - chrono::Duration::seconds(60));
            let stale = last_seen.is_none_or(|seen| seen < minute_ago);
            if stale {
                if let Some(token) =
                    session::token_from_headers(req.headers(), state.config.secure_cookie)
                {
                    if let Ok(Some(_)) = session::lookup(&state.db, &token).await {
                        if let Err(e) = devices::seen(&state.db, &device_id).await {
                            tracing::warn!(error = %e, "could not mark the device seen");
                        }
                    }
                }
            }
            next.run(req).await
        }
        None => next.run(req).await,
    }
}
