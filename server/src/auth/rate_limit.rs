//! Sign-in rate limiting, per (account, client address) and per client address, counted in the
//! database so it holds across restarts and servers. A stranger's failures never lock the real
//! user out from another address. Each attempt is recorded, atomically with the check, before
//! the password is verified (so parallel guesses count), and removed again when it succeeds.
use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn pair_key(username: &str, address: &str) -> String {
    format!("pair:{}|{address}", username.to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

/// How long a key waits after its last failure: nothing below `limit`, then one minute,
/// doubling with each further failure, never longer than the window.
pub fn delay(failures: i64, limit: i64, window_minutes: i64) -> Option<Duration> {
    if failures < limit {
        return None;
    }
    let doublings = (failures - limit).min(20) as u32;
    let seconds = 60i64.saturating_mul(1 << doublings);
    Some(Duration::seconds(seconds.min(window_minutes * 60)))
}

/// The rows recorded for one attempt; they stay as failures unless it succeeds.
pub struct Attempt {
    ids: Vec<i64>,
}

async fn waiting_until(
    conn: &mut AnyConnection,
    key: &str,
    since: &str,
    limit: i64,
    window_minutes: i64,
) -> AppResult<Option<DateTime<Utc>>> {
    let (count, last): (i64, Option<String>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(failed_at) FROM login_failures WHERE key = $1 AND failed_at > $2",
    )
    .bind(key)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    let last = last
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc));
    Ok(match (delay(count, limit, window_minutes), last) {
        (Some(wait), Some(last)) if last + wait > Utc::now() => Some(last + wait),
        _ => None,
    })
}

/// Refuses while the pair or the address is waiting; otherwise records the attempt.
pub async fn begin(state: &AppState, username: &str, address: &str) -> AppResult<Attempt> {
    let cfg = &state.config;
    let window = cfg.login_window_minutes;
    let since = db::timestamp(Utc::now() - Duration::minutes(window));
    let keys = [
        (pair_key(username, address), cfg.max_failures_per_account),
        (address_key(address), cfg.max_failures_per_address),
    ];
    let mut tx = db::write_tx(&state.db).await?;
    let mut until: Option<DateTime<Utc>> = None;
    for (key, limit) in &keys {
        if let Some(t) = waiting_until(&mut tx, key, &since, *limit, window).await? {
            until = Some(until.map_or(t, |u| u.max(t)));
        }
    }
    if let Some(until) = until {
        tx.rollback().await?;
        let minutes = ((until - Utc::now()).num_seconds() + 59) / 60;
        return Err(AppError::RateLimited(format!(
            "Too many failed sign-in attempts. Please wait {} minute{} and try again.",
            minutes.max(1),
            if minutes > 1 { "s" } else { "" }
        )));
    }
    let now = db::now();
    let mut ids = Vec::with_capacity(keys.len());
    for (key, _) in &keys {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (key, failed_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(key)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
    }
    // Keep the table small: forget failures older than the window.
    sqlx::query("DELETE FROM login_failures WHERE failed_at <= $1")
        .bind(&since)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Attempt { ids })
}

/// The attempt was never checked (the server was too busy): it does not count.
pub async fn forget(state: &AppState, attempt: Attempt) -> AppResult<()> {
    for id in attempt.ids {
        sqlx::query("DELETE FROM login_failures WHERE id = $1")
            .bind(id)
            .execute(&state.db)
            .await?;
    }
    Ok(())
}

/// The attempt was right: it is no failure, and the pair starts afresh.
pub async fn succeeded(
    state: &AppState,
    attempt: Attempt,
    username: &str,
    address: &str,
) -> AppResult<()> {
    let mut tx = db::write_tx(&state.db).await?;
    for id in attempt.ids {
        sqlx::query("DELETE FROM login_failures WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM login_failures WHERE key = $1")
        .bind(pair_key(username, address))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::delay;

    #[test]
    fn delays_grow_and_are_capped() {
        assert_eq!(delay(4, 5, 15), None);
        assert_eq!(delay(5, 5, 15).unwrap().num_seconds(), 60);
        assert_eq!(delay(6, 5, 15).unwrap().num_seconds(), 120);
        assert_eq!(delay(9, 5, 15).unwrap().num_seconds(), 900);
        assert_eq!(delay(500, 5, 15).unwrap().num_seconds(), 900);
    }
}
