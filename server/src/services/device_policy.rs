//! The device policy (ADMIN only, audited): the default mode, the most devices kept for
//! offline use, the grace period (the offline window of `offline_policy`: one column, two
//! names) and whether users may ask for offline use. Stored in the `offline_policy` row.
use app::model::SessionUser;
use app::offline::devices::DevicePolicy;
use app::permissions::{authorize, Action};
use serde_json::json;
use sqlx::AnyConnection;

use super::audit;
use crate::db::{self, Db};
use crate::error::AppResult;

pub async fn read(conn: &mut AnyConnection) -> AppResult<DevicePolicy> {
    let row: Option<(String, Option<i64>, i64, i64)> = sqlx::query_as(
        "SELECT default_mode, max_offline_devices, offline_window_days, allow_user_request \
         FROM offline_policy WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row
        .map(|(default_mode, max, days, allow)| DevicePolicy {
            default_mode,
            max_offline_devices: max,
            offline_grace_days: days,
            allow_user_request: allow != 0,
            current_offline_count: None,
        })
        .unwrap_or_default())
}

/// Devices kept for offline use now (what the cap counts).
pub async fn offline_count(conn: &mut AnyConnection) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM devices WHERE offline_enabled = 1")
            .fetch_one(conn)
            .await?,
    )
}

/// The policy in force (sign-in; no permission needed).
pub async fn current(db: &Db) -> AppResult<DevicePolicy> {
    let mut conn = db.acquire().await?;
    read(&mut conn).await
}

pub async fn get(db: &Db, user: &SessionUser) -> AppResult<DevicePolicy> {
    authorize(&user.actor(), Action::ManageUsers, None)?;
    let mut conn = db.acquire().await?;
    let mut policy = read(&mut conn).await?;
    policy.current_offline_count = Some(offline_count(&mut conn).await?);
    Ok(policy)
}

/// Saves the policy. Lowering the cap below the devices kept now disables none of them: it
/// stops new ones until enough are disabled or revoked.
pub async fn update(db: &Db, admin: &SessionUser, input: &DevicePolicy) -> AppResult<DevicePolicy> {
    authorize(&admin.actor(), Action::ManageUsers, None)?;
    input.validate()?;
    let mut tx = db::write_tx(db).await?;
    let before = read(&mut tx).await?;
    sqlx::query(
        "UPDATE offline_policy SET default_mode = $1, max_offline_devices = $2, \
         offline_window_days = $3, allow_user_request = $4, updated_by = $5, updated_at = $6 \
         WHERE id = 1",
    )
    .bind(&input.default_mode)
    .bind(input.max_offline_devices)
    .bind(input.offline_grace_days)
    .bind(i64::from(input.allow_user_request))
    .bind(admin.id)
    .bind(db::now())
    .execute(&mut *tx)
    .await?;
    let mut after = read(&mut tx).await?;
    audit::record(
        &mut tx,
        Some(admin.id),
        "update",
        "device_policy",
        1,
        json!({ "before": before, "after": after }),
    )
    .await?;
    after.current_offline_count = Some(offline_count(&mut tx).await?);
    tx.commit().await?;
    Ok(after)
}
