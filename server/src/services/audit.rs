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

/// An audit row for a change made by a client operation: carries the device and operation id.
pub struct OpAudit<'a> {
    pub user_id: i64,
    pub device_id: &'a str,
    pub operation_id: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub details: serde_json::Value,
}

pub async fn record_op(conn: &mut SqliteConnection, entry: OpAudit<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, device_id, operation_id, action, entity, entity_id, details) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(db::now())
    .bind(entry.user_id)
    .bind(entry.device_id)
    .bind(entry.operation_id)
    .bind(entry.action)
    .bind(entry.entity)
    .bind(entry.entity_id)
    .bind(entry.details.to_string())
    .execute(conn)
    .await?;
    Ok(())
}
