//! The sign-in check shared by the JSON API and the HTML form.
use app::domain::text::{NewPassword, Username, ValidationError};
use app::model::SessionUser;

use super::{password, rate_limit, session};
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
    rate_limit::check(state, name, address).await?;

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
    let Some((user_id, _, active)) = found.filter(|_| ok) else {
        rate_limit::record_failure(state, name, address).await?;
        return Err(AppError::Unauthorized(
            "Incorrect username or password.".into(),
        ));
    };
    if !active {
        return Err(AppError::Forbidden(
            "This account has been deactivated. Contact your administrator.".into(),
        ));
    }
    rate_limit::clear_account(state, name).await?;
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
    let mut tx = state.db.begin().await?;
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
