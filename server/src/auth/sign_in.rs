//! The sign-in check shared by the JSON API and the HTML form.
use app::domain::text::{NewPassword, Username, ValidationError};
use app::model::SessionUser;
use app::offline::access::{OfflineAccess, SignInRequest};

use super::{device, password, rate_limit, session};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::services::devices::{self, DeviceInfo};
use crate::services::{audit, offline_access};
use crate::state::AppState;

pub struct SignedIn {
    pub user: SessionUser,
    pub token: String,
    /// Present when the device is kept for offline use (asked for, and the policy allows it).
    pub offline: Option<OfflineAccess>,
}

/// `client`: what the request says about the device besides its id (User-Agent, app version);
/// the name comes from the request's `device`.
pub async fn sign_in(
    state: &AppState,
    req: &SignInRequest,
    address: &str,
    client: DeviceInfo,
) -> AppResult<SignedIn> {
    let password_text = req.password.as_str();
    let name = req.username.trim();
    if name.is_empty() {
        return Err(ValidationError::new("username", "Username is required.").into());
    }
    if name.chars().count() > Username::MAX {
        return Err(ValidationError::new(
            "username",
            format!(
                "Username is too long (at most {} characters).",
                Username::MAX
            ),
        )
        .into());
    }
    if password_text.is_empty() {
        return Err(ValidationError::new("password", "Password is required.").into());
    }
    if password_text.chars().count() > NewPassword::MAX {
        return Err(ValidationError::new(
            "password",
            format!(
                "Password is too long (at most {} characters).",
                NewPassword::MAX
            ),
        )
        .into());
    }
    let device_id = device::parse(req.device.as_ref())?;
    let attempt = rate_limit::begin(state, name, address).await?;
    // Each verify holds ~19 MiB on the blocking pool: only a few run at once.
    let permit = tokio::time::timeout(
        std::time::Duration::from_millis(state.config.sign_in_wait_ms),
        state.sign_in_gate.clone().acquire_owned(),
    )
    .await;
    let Ok(Ok(verifying)) = permit else {
        rate_limit::forget(state, attempt).await?;
        return Err(AppError::RateLimited(
            "The server is busy signing people in. Please try again in a moment.".into(),
        ));
    };

    let found: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT id, password_hash, active FROM users WHERE username = $1")
            .bind(name)
            .fetch_optional(&state.db)
            .await?;
    let ok = password::verify(
        password_text.to_string(),
        found.as_ref().map(|f| f.1.clone()),
    )
    .await;
    drop(verifying);
    let Some((user_id, _, active)) = found.filter(|_| ok) else {
        // The attempt recorded above stays as the failure.
        return Err(AppError::Unauthorized(
            "Incorrect username or password.".into(),
        ));
    };
    rate_limit::succeeded(state, attempt, name, address).await?;
    if active == 0 {
        return Err(AppError::Forbidden(
            "This account has been deactivated. Contact your administrator.".into(),
        ));
    }
    if let Some(device_id) = device_id.as_deref() {
        // A revoked device is refused even with the right password.
        devices::refuse_if_revoked(state, device_id, Some(user_id), "sign_in", None).await?;
        let info = DeviceInfo {
            name: req.device.as_ref().and_then(|d| d.name.clone()),
            ..client
        };
        let mut tx = db::write_tx(&state.db).await?;
        devices::register(&mut tx, device_id, user_id, &info, true).await?;
        tx.commit().await?;
    }
    let token = session::create(
        &state.db,
        user_id,
        state.config.session_ttl_minutes,
        address,
        device_id.as_deref(),
    )
    .await?;
    let user = session::lookup(&state.db, &token)
        .await?
        .ok_or_else(|| AppError::Internal("new session not found".into()))?;
    let offline = offline_access::at_sign_in(
        &state.db,
        &state.grant_key,
        &user,
        device_id.as_deref(),
        req.keep_offline,
    )
    .await?;
    let mut tx = db::write_tx(&state.db).await?;
    if let Some(device_id) = device_id.as_deref() {
        devices::event(
            &mut tx,
            device_id,
            "sign_in",
            Some(user.id),
            None,
            serde_json::json!({ "address": address, "device_mode": mode(offline.is_some()) }),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        Some(user.id),
        "sign_in",
        "user",
        user.id,
        serde_json::json!({
            "address": address,
            "device_id": device_id,
            "device_name": req
                .device
                .as_ref()
                .and_then(|d| d.name.as_ref())
                .map(|n| n.chars().take(100).collect::<String>()),
            "device_mode": mode(offline.is_some()),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(SignedIn {
        user,
        token,
        offline,
    })
}

/// `offline` when the device is kept for offline use, `online-only` otherwise.
pub fn mode(kept: bool) -> &'static str {
    if kept {
        "offline"
    } else {
        "online-only"
    }
}
