//! The sign-in check shared by the JSON API and the HTML form.
use app::domain::text::{NewPassword, Username, ValidationError};
use app::model::SessionUser;

use super::{password, rate_limit, session};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::services::audit;
use crate::state::AppState;

pub struct SignedIn {
    pub user: SessionUser,
    pub token: String,
}

pub async fn sign_in(
    state: &AppState,
    username: &str,
    password_text: &str,
    address: &str,
) -> AppResult<SignedIn> {
    let name = username.trim();
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

    let found: Option<(i64, String, bool)> =
        sqlx::query_as("SELECT id, password_hash, active FROM users WHERE username = ?")
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
    if !active {
        return Err(AppError::Forbidden(
            "This account has been deactivated. Contact your administrator.".into(),
        ));
    }
    let token = session::create(
        &state.db,
        user_id,
        state.config.session_ttl_minutes,
        address,
    )
    .await?;
    let user = session::lookup(&state.db, &token)
        .await?
        .ok_or_else(|| AppError::Internal("new session not found".into()))?;
    let mut tx = db::write_tx(&state.db).await?;
    audit::record(
        &mut tx,
        Some(user.id),
        "sign_in",
        "user",
        user.id,
        serde_json::json!({ "address": address }),
    )
    .await?;
    tx.commit().await?;
    Ok(SignedIn { user, token })
}
