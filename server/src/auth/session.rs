//! Server-side sessions: a random 256-bit token in an HttpOnly, SameSite=Lax cookie (`__Host-`
//! prefixed and Secure over HTTPS); only the token's SHA-256 is stored, with an expiry.
use app::model::SessionUser;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::db::{self, Db};
use crate::error::AppResult;
use crate::services::rows::parse_role;

/// The session cookie's name: `__Host-` prefixed (Secure, host-only, Path=/, so a sibling
/// subdomain cannot set it) when served over HTTPS; plain `drims_session` over http.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-drims_session"
    } else {
        "drims_session"
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Creates a session (from `device_id`, when the client named its device) and returns the raw
/// token for the cookie.
pub async fn create(
    db: &Db,
    user_id: i64,
    ttl_minutes: i64,
    address: &str,
    device_id: Option<&str>,
) -> AppResult<String> {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = hex(&bytes);
    let now = chrono::Utc::now();
    let expires = now + chrono::Duration::minutes(ttl_minutes);
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, address, device_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(db::timestamp(now))
    .bind(db::timestamp(expires))
    .bind(address)
    .bind(device_id)
    .execute(db)
    .await?;
    // Expired sessions are of no use to anyone: forget them at each sign-in.
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(db::timestamp(now))
        .execute(db)
        .await?;
    Ok(token)
}

/// Signs out: the session ends, and the device it came from is no longer kept for offline
/// use by that user (its device secret is deleted with it).
pub async fn delete(db: &Db, token: &str) -> AppResult<()> {
    let hash = token_hash(token);
    let mut tx = db::write_tx(db).await?;
    let signed_in: Option<(i64, Option<String>)> =
        sqlx::query_as("SELECT user_id, device_id FROM sessions WHERE token_hash = $1")
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((user_id, Some(device_id))) = signed_in {
        crate::services::devices::event(
            &mut tx,
            &device_id,
            "sign_out",
            Some(user_id),
            None,
            serde_json::json!({}),
        )
        .await?;
    }
    sqlx::query(
        "DELETE FROM device_keys WHERE (user_id, device_id) IN \
         (SELECT user_id, device_id FROM sessions WHERE token_hash = $1 AND device_id IS NOT NULL)",
    )
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The device a live session was opened from, if the client named one.
pub async fn device_id(db: &Db, token: &str) -> AppResult<Option<String>> {
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "SELECT device_id FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(db::now())
    .fetch_optional(db)
    .await?
    .flatten())
}

pub async fn delete_for_user(db: &Db, user_id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

#[derive(FromRow)]
pub struct SessionUserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub hub_id: Option<i64>,
    pub hub_type: Option<String>,
    pub hub_name: Option<String>,
}

impl SessionUserRow {
    pub fn into_user(self) -> SessionUser {
        SessionUser {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            role: parse_role(&self.role),
            hub_id: self.hub_id,
            hub_type: self
                .hub_type
                .as_deref()
                .and_then(app::domain::HubType::from_code),
            hub_name: self.hub_name,
        }
    }
}

pub const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.hub_id, \
     h.hub_type AS hub_type, h.name AS hub_name";

/// The active user behind a live session token, if any.
pub async fn lookup(db: &Db, token: &str) -> AppResult<Option<SessionUser>> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN hubs h ON h.id = u.hub_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1"
    );
    let row: Option<SessionUserRow> = sqlx::query_as(&sql)
        .bind(token_hash(token))
        .bind(db::now())
        .fetch_optional(db)
        .await?;
    Ok(row.map(SessionUserRow::into_user))
}

pub fn set_cookie(token: &str, ttl_minutes: i64, secure: bool) -> String {
    crate::security::cookies::set(cookie_name(secure), token, ttl_minutes * 60, secure)
}

pub fn clear_cookie(secure: bool) -> String {
    crate::security::cookies::set(cookie_name(secure), "", 0, secure)
}

/// The session token from a `Cookie` header, if present (only the name in use: over HTTPS a
/// plain `drims_session` someone planted is ignored).
pub fn token_from_headers(headers: &axum::http::HeaderMap, secure: bool) -> Option<String> {
    crate::security::cookies::get(headers, cookie_name(secure))
}
