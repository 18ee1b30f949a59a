//! What the ADMIN does with devices (list, rename, enable or disable offline use within the
//! cap, deprovision, revoke; CSV exports), and what a device may ask about itself (check,
//! acknowledge a wipe). Every ADMIN change is audited and logged on the device.
use app::domain::ValidationError;
use app::model::SessionUser;
use app::offline::devices::{
    DeviceCheck, DeviceDetail, DeviceEvent, DeviceList, DeviceSummary, DeviceUpdate, RevokeInput,
    REVOKED_MESSAGE,
};
use app::permissions::{authorize, Action};
use serde_json::json;
use sqlx::AnyConnection;

use super::{clean, disable, event, find, try_enable, Enable, MAX_NAME, SELECT};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::services::{audit, csv, device_policy};

fn admin_only(user: &SessionUser) -> AppResult<()> {
    authorize(&user.actor(), Action::ManageUsers, None)?;
    Ok(())
}

async fn existing(conn: &mut AnyConnection, id: &str) -> AppResult<DeviceSummary> {
    find(conn, id)
        .await?
        .map(DeviceSummary::from)
        .ok_or_else(|| AppError::NotFound(format!("Device '{id}' is not registered.")))
}

pub async fn list(db: &Db, user: &SessionUser) -> AppResult<DeviceList> {
    admin_only(user)?;
    let rows: Vec<super::DeviceRow> = sqlx::query_as(&format!(
        "{SELECT} ORDER BY d.revoked_at IS NOT NULL, COALESCE(d.last_seen_at, d.registered_at) DESC"
    ))
    .fetch_all(db)
    .await?;
    Ok(DeviceList {
        devices: rows.into_iter().map(DeviceSummary::from).collect(),
        policy: device_policy::get(db, user).await?,
    })
}

/// at, kind, username, count, details.
type EventRow = (String, String, Option<String>, Option<i64>, String);

async fn events(conn: &mut AnyConnection, id: &str) -> AppResult<Vec<DeviceEvent>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT e.at, e.kind, u.username, e.count, e.details FROM device_events e \
         LEFT JOIN users u ON u.id = e.user_id WHERE e.device_id = $1 ORDER BY e.id DESC",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, kind, user, count, details)| DeviceEvent {
            at,
            kind,
            user,
            count,
            details,
        })
        .collect())
}

pub async fn detail(db: &Db, user: &SessionUser, id: &str) -> AppResult<DeviceDetail> {
    admin_only(user)?;
    let mut conn = db.acquire().await?;
    Ok(DeviceDetail {
        device: existing(&mut conn, id).await?,
        events: events(&mut conn, id).await?,
    })
}

/// Renames the device and/or enables or disables its offline use (enabling within the cap:
/// 409 `device_limit_reached` when it is full).
pub async fn update(
    db: &Db,
    admin: &SessionUser,
    id: &str,
    input: &DeviceUpdate,
) -> AppResult<DeviceSummary> {
    admin_only(admin)?;
    let mut tx = db::write_tx(db).await?;
    let before = existing(&mut tx, id).await?;
    if let Some(name) = &input.name {
        let name = clean(Some(name), MAX_NAME)
            .ok_or_else(|| ValidationError::new("name", "The device name cannot be empty."))?;
        sqlx::query("UPDATE devices SET name = $1 WHERE id = $2")
            .bind(&name)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    match input.offline_enabled {
        Some(true) => match try_enable(&mut tx, id, Some(admin.id)).await? {
            Enable::Enabled => {
                event(
                    &mut tx,
                    id,
                    "mode_change",
                    Some(admin.id),
                    None,
                    json!({ "offline_enabled": true, "by": "admin" }),
                )
                .await?;
            }
            Enable::AlreadyEnabled => {}
            Enable::LimitReached => {
                let policy = device_policy::read(&mut tx).await?;
                return Err(AppError::DeviceLimitReached(format!(
                    "Offline use is already enabled on the most devices the policy allows ({}). \
                     Disable or revoke another device, or raise the limit.",
                    policy.max_offline_devices.unwrap_or_default()
                )));
            }
            Enable::Unavailable => {
                return Err(AppError::Conflict(format!(
                "Device '{id}' is revoked or being deprovisioned; offline use cannot be enabled."
            )))
            }
        },
        Some(false) => {
            // Recorded as the ADMIN's choice even when it was off (offline-enabled mode then
            // does not turn it on again at the next sign-in).
            let was_on = disable(&mut tx, id, Some(admin.id)).await?;
            sqlx::query(
                "UPDATE devices SET offline_enabled_by = $1, offline_enabled_at = $2 WHERE id = $3",
            )
            .bind(admin.id)
            .bind(db::now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM device_keys WHERE device_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if was_on {
                event(
                    &mut tx,
                    id,
                    "mode_change",
                    Some(admin.id),
                    None,
                    json!({ "offline_enabled": false, "by": "admin" }),
                )
                .await?;
            }
        }
        None => {}
    }
    let after = existing(&mut tx, id).await?;
    audit::record(
        &mut tx,
        Some(admin.id),
        "update",
        "device",
        id,
        json!({ "before": before, "after": after }),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Revoke (lost or stolen): refused everywhere from now on, offline use off, asked to wipe;
/// its device secrets and sessions are deleted at once.
pub async fn revoke(
    db: &Db,
    admin: &SessionUser,
    id: &str,
    input: &RevokeInput,
) -> AppResult<DeviceSummary> {
    admin_only(admin)?;
    let reason = clean(Some(&input.reason), 500).ok_or_else(|| {
        ValidationError::new(
            "reason",
            "Say why the device is revoked (lost, stolen, ...).",
        )
    })?;
    let mut tx = db::write_tx(db).await?;
    let before = existing(&mut tx, id).await?;
    if before.revoked {
        return Err(AppError::Conflict(format!(
            "Device '{id}' is already revoked."
        )));
    }
    let now = db::now();
    sqlx::query(
        "UPDATE devices SET revoked_at = $1, revoked_by = $2, revoke_reason = $3, offline_enabled = 0, \
         wipe_requested_at = COALESCE(wipe_requested_at, $4) WHERE id = $5",
    )
    .bind(&now)
    .bind(admin.id)
    .bind(&reason)
    .bind(&now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let keys = sqlx::query("DELETE FROM device_keys WHERE device_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let sessions = sqlx::query("DELETE FROM sessions WHERE device_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    event(
        &mut tx,
        id,
        "revoke",
        Some(admin.id),
        None,
        json!({ "reason": reason, "sessions_ended": sessions, "keys_deleted": keys }),
    )
    .await?;
    let after = existing(&mut tx, id).await?;
    audit::record(
        &mut tx,
        Some(admin.id),
        "revoke",
        "device",
        id,
        json!({ "reason": reason, "sessions_ended": sessions, "keys_deleted": keys }),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Deprovision (a device handed back): no more offline use and a wipe is requested; it may
/// still sign in and sync what it holds until it acknowledges the wipe, which retires it.
pub async fn deprovision(db: &Db, admin: &SessionUser, id: &str) -> AppResult<DeviceSummary> {
    admin_only(admin)?;
    let mut tx = db::write_tx(db).await?;
    let before = existing(&mut tx, id).await?;
    if before.revoked {
        return Err(AppError::Conflict(format!(
            "Device '{id}' is already revoked."
        )));
    }
    if before.wipe_requested_at.is_some() {
        return Err(AppError::Conflict(format!(
            "Device '{id}' is already being deprovisioned."
        )));
    }
    sqlx::query(
        "UPDATE devices SET wipe_requested_at = $1, offline_enabled = 0, offline_enabled_by = $2, \
         offline_enabled_at = $3 WHERE id = $4",
    )
    .bind(db::now())
    .bind(admin.id)
    .bind(db::now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    event(&mut tx, id, "deprovision", Some(admin.id), None, json!({})).await?;
    let after = existing(&mut tx, id).await?;
    audit::record(
        &mut tx,
        Some(admin.id),
        "deprovision",
        "device",
        id,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// `GET /api/devices/check`. Signed in: the device's state for this user. Signed out: only
/// whether this id is revoked (what a wiped-out session needs to learn to wipe itself); any
/// other id answers 401, so nothing about other users' devices is told.
pub async fn check(db: &Db, user: Option<&SessionUser>, id: &str) -> AppResult<DeviceCheck> {
    let row: Option<(i64, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT offline_enabled, revoked_at, wipe_requested_at FROM devices WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    if let Some((_, Some(_), _)) = row {
        return Ok(DeviceCheck {
            valid: false,
            offline_enabled: None,
            wipe_requested: Some(true),
            reason: Some("revoked".into()),
            message: Some(REVOKED_MESSAGE.into()),
            check_every_seconds: None,
        });
    }
    let Some(user) = user else {
        return Err(AppError::signed_out());
    };
    let (enabled, wipe) = row
        .map(|(e, _, w)| (e != 0, w.is_some()))
        .unwrap_or((false, false));
    let kept: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM device_keys WHERE device_id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user.id)
    .fetch_one(db)
    .await?;
    Ok(DeviceCheck {
        valid: true,
        offline_enabled: Some(enabled && kept > 0),
        wipe_requested: Some(wipe),
        reason: None,
        message: None,
        check_every_seconds: None,
    })
}

/// `POST /api/devices/{id}/wipe-ack`: from a session opened on that device, or, once the
/// device is revoked (its sessions are gone), from anyone holding its id: the record is all
/// it changes. A deprovisioned device is retired by it (revoked, reason "deprovisioned").
pub async fn wipe_ack(
    db: &Db,
    session_device: Option<&str>,
    user: Option<&SessionUser>,
    id: &str,
    address: &str,
) -> AppResult<DeviceSummary> {
    let mut tx = db::write_tx(db).await?;
    let before = match find(&mut tx, id).await? {
        Some(row) => DeviceSummary::from(row),
        None if user.is_some() => {
            return Err(AppError::NotFound(format!(
                "Device '{id}' is not registered."
            )))
        }
        None => return Err(AppError::signed_out()),
    };
    let own_session = session_device == Some(id) && user.is_some();
    if !own_session && !before.revoked {
        return Err(if user.is_some() {
            AppError::Forbidden(
                "Only a session signed in on this device may acknowledge its wipe.".into(),
            )
        } else {
            AppError::signed_out()
        });
    }
    if before.wipe_requested_at.is_none() {
        return Err(AppError::Conflict(format!(
            "No wipe was requested for device '{id}'."
        )));
    }
    let now = db::now();
    sqlx::query(
        "UPDATE devices SET wipe_acknowledged_at = $1, revoked_at = COALESCE(revoked_at, $2), \
         revoke_reason = COALESCE(revoke_reason, 'deprovisioned'), offline_enabled = 0 WHERE id = $3",
    )
    .bind(&now)
    .bind(&now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM device_keys WHERE device_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE device_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let user_id = user.map(|u| u.id);
    let details = json!({ "authenticated": own_session, "address": address });
    event(
        &mut tx,
        id,
        "wipe_acknowledged",
        user_id,
        None,
        details.clone(),
    )
    .await?;
    audit::record(&mut tx, user_id, "wipe_acknowledged", "device", id, details).await?;
    let after = existing(&mut tx, id).await?;
    tx.commit().await?;
    Ok(after)
}

fn opt(s: &Option<String>) -> String {
    csv::field(s.as_deref().unwrap_or(""))
}

/// Every registered device, as CSV.
pub async fn export_csv(db: &Db, user: &SessionUser) -> AppResult<String> {
    let list = list(db, user).await?;
    let mut out = String::from(
        "id,name,user,platform,app_version,offline_enabled,revoked_at,revoke_reason,registered_at,\
         last_sign_in_at,last_seen_at,last_sync_at,last_sync_count,wipe_requested_at,wipe_acknowledged_at\n",
    );
    for d in list.devices {
        let cells = [
            csv::field(&d.id),
            opt(&d.name),
            opt(&d.user),
            opt(&d.platform),
            opt(&d.app_version),
            d.offline_enabled.to_string(),
            opt(&d.revoked_at),
            opt(&d.revoke_reason),
            csv::field(&d.registered_at),
            opt(&d.last_sign_in_at),
            opt(&d.last_seen_at),
            opt(&d.last_sync_at),
            d.last_sync_count.to_string(),
            opt(&d.wipe_requested_at),
            opt(&d.wipe_acknowledged_at),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// One device's activity log, as CSV.
pub async fn activity_csv(db: &Db, user: &SessionUser, id: &str) -> AppResult<String> {
    let detail = detail(db, user, id).await?;
    let mut out = String::from("at,kind,user,count,details\n");
    for e in detail.events {
        let cells = [
            csv::field(&e.at),
            csv::field(&e.kind),
            opt(&e.user),
            e.count.map(|c| c.to_string()).unwrap_or_default(),
            csv::field(&e.details),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    Ok(out)
}
