//! The offline policy (ADMIN only, audited): how long an offline grant lasts and when an idle
//! device locks. One row in `offline_policy`.
use app::model::SessionUser;
use app::offline::access::OfflinePolicy;
use app::permissions::{authorize, Action};
use serde_json::json;
use sqlx::AnyConnection;

use super::audit;
use crate::db::{self, Db};
use crate::error::AppResult;

async fn read(conn: &mut AnyConnection) -> AppResult<OfflinePolicy> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT offline_window_days, idle_lock_minutes FROM offline_policy WHERE id = 1",
    )
    .fetch_optional(conn)
    .await?;
    Ok(row
        .map(|(offline_window_days, idle_lock_minutes)| OfflinePolicy {
            offline_window_days,
            idle_lock_minutes,
        })
        .unwrap_or_default())
}

/// The policy in force (for sign-in and grants; no permission needed).
pub async fn current(db: &Db) -> AppResult<OfflinePolicy> {
    let mut conn = db.acquire().await?;
    read(&mut conn).await
}

pub async fn get(db: &Db, user: &SessionUser) -> AppResult<OfflinePolicy> {
    authorize(&user.actor(), Action::ManageUsers, None)?;
    current(db).await
}

pub async fn update(
    db: &Db,
    admin: &SessionUser,
    input: &OfflinePolicy,
) -> AppResult<OfflinePolicy> {
    authorize(&admin.actor(), Action::ManageUsers, None)?;
    input.validate()?;
    let mut tx = db.begin().await?;
    let before = read(&mut tx).await?;
    sqlx::query(
        "INSERT INTO offline_policy (id, offline_window_days, idle_lock_minutes, updated_by, updated_at) \
         VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET \
         offline_window_days = excluded.offline_window_days, \
         idle_lock_minutes = excluded.idle_lock_minutes, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(input.offline_window_days)
    .bind(input.idle_lock_minutes)
    .bind(admin.id)
    .bind(db::now())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(admin.id),
        "update",
        "offline_policy",
        1,
        json!({ "before": before, "after": input }),
    )
    .await?;
    tx.commit().await?;
    Ok(input.clone())
}
