//! Sign-in rate limiting, per account and per client address, counted in the database so it
//! holds across restarts and across several servers.
use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn account_key(username: &str) -> String {
    format!("user:{}", username.to_lowercase())
}

pub fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

fn window_start(state: &AppState) -> String {
    db::timestamp(chrono::Utc::now() - chrono::Duration::minutes(state.config.login_window_minutes))
}

async fn failures(db: &Db, key: &str, since: &str) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE key = ? AND failed_at > ?")
            .bind(key)
            .bind(since)
            .fetch_one(db)
            .await?,
    )
}

/// Refuses when either key has had too many failures within the window.
pub async fn check(state: &AppState, username: &str, address: &str) -> AppResult<()> {
    let since = window_start(state);
    let cfg = &state.config;
    let too_many = failures(&state.db, &account_key(username), &since).await?
        >= cfg.max_failures_per_account
        || failures(&state.db, &address_key(address), &since).await?
            >= cfg.max_failures_per_address;
    if too_many {
        return Err(AppError::RateLimited(format!(
            "Too many failed sign-in attempts. Please wait {} minutes and try again.",
            cfg.login_window_minutes
        )));
    }
    Ok(())
}

pub async fn record_failure(state: &AppState, username: &str, address: &str) -> AppResult<()> {
    let now = db::now();
    for key in [account_key(username), address_key(address)] {
        sqlx::query("INSERT INTO login_failures (key, failed_at) VALUES (?, ?)")
            .bind(key)
            .bind(&now)
            .execute(&state.db)
            .await?;
    }
    // Keep the table small: forget failures older than the window.
    sqlx::query("DELETE FROM login_failures WHERE failed_at <= ?")
        .bind(window_start(state))
        .execute(&state.db)
        .await?;
    Ok(())
}

pub async fn clear_account(state: &AppState, username: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE key = ?")
        .bind(account_key(username))
        .execute(&state.db)
        .await?;
    Ok(())
}
