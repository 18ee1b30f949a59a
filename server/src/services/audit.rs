//! The audit log: one row per state change, written in the change's own transaction.
use sqlx::AnyConnection;

use crate::db;
use crate::error::AppResult;

pub async fn record(
    conn: &mut AnyConnection,
    user_id: Option<i64>,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    details: serde_json::Value,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, details) VALUES ($1, $2, $3, $4, $5, $6)",
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

/// An audit row about a client operation (entity `operation`), with the device it came from.
pub async fn record_operation(
    conn: &mut AnyConnection,
    user_id: i64,
    device_id: Option<&str>,
    operation_id: &str,
    action: &str,
    details: serde_json::Value,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, device_id, operation_id, action, entity, entity_id, details) \
         VALUES ($1, $2, $3, $4, $5, 'operation', $6, $7)",
    )
    .bind(db::now())
    .bind(user_id)
    .bind(device_id)
    .bind(operation_id)
    .bind(action)
    .bind(operation_id)
    .bind(details.to_string())
    .execute(conn)
    .await?;
    Ok(())
}
