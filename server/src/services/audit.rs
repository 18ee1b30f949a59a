//! The audit log: one row per state change, written in the change's own transaction.
use sqlx::SqliteConnection;

use crate::db;
use crate::error::AppResult;

pub async fn record(
    conn: &mut SqliteConnection,
    user_id: Option<i64>,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    details: serde_json::Value,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, details) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(db::now())
    .bind(user_id)
    .bind(action)
    .bind(entity)
    .bind(entity_id.to_string())
    .bind(details.to_string())
    .execute(conn)
    .await?;
    Ok(())
}
