//! The first administrator of a fresh database, from configuration (`DRIMS_ADMIN_USERNAME`,
//! `DRIMS_ADMIN_PASSWORD`): created only while no ADMIN exists, under the same username and
//! password rules as any user. ADMIN is a role in the database, never a special username.
use app::domain::text::{NewPassword, Username};
use serde_json::json;

use super::audit;
use crate::auth::password;
use crate::db::{self, Db};

/// Creates the ADMIN `username` when the database has none; `Ok(false)` when one exists.
pub async fn ensure(db: &Db, username: &str, password_text: &str) -> Result<bool, String> {
    let name = Username::parse(username.trim())
        .map_err(|e| format!("DRIMS_ADMIN_USERNAME: {}", e.message))?;
    let pw = NewPassword::parse(password_text)
        .map_err(|e| format!("DRIMS_ADMIN_PASSWORD: {}", e.message))?;
    let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'ADMIN'")
        .fetch_one(db)
        .await
        .map_err(|e| e.to_string())?;
    if admins > 0 {
        return Ok(false);
    }
    let hash = password::hash(pw.expose().to_string())
        .await
        .map_err(|e| e.to_string())?;
    let fail = |e: sqlx::Error| format!("cannot create the first administrator: {e}");
    let mut tx = db::write_tx(db).await.map_err(fail)?;
    // Checked again under the write lock: two servers starting together create one admin.
    let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'ADMIN'")
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
    if admins > 0 {
        return Ok(false);
    }
    let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = $1")
        .bind(name.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
    if taken > 0 {
        return Err(format!(
            "DRIMS_ADMIN_USERNAME: the user '{}' exists and is not an administrator; \
             choose another username",
            name.as_str()
        ));
    }
    let now = db::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, role, hub_id, active, created_at, updated_at) \
         VALUES ($1, $2, $3, 'ADMIN', NULL, 1, $4, $5) RETURNING id",
    )
    .bind(name.as_str())
    .bind("Administrator")
    .bind(&hash)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(fail)?;
    audit::record(
        &mut tx,
        None,
        "create",
        "user",
        id,
        json!({ "username": name.as_str(), "role": "ADMIN", "source": "DRIMS_ADMIN_USERNAME" }),
    )
    .await
    .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(fail)?;
    Ok(true)
}
