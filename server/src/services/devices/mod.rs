//! The device registry: one row per client device id, written at sign-in, sync and (at most
//! once a minute) on any signed-in call naming the device; its activity log; the offline
//! decision at sign-in under the device policy; and the refusal of revoked devices.
pub mod admin;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use app::model::SessionUser;
use app::offline::devices::{DevicePolicy, DeviceSummary};
use serde_json::{json, Value};
use sqlx::{AnyConnection, FromRow};

use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What a sign-in says about the device beyond its id.
#[derive(Clone, Debug, Default)]
pub struct DeviceInfo {
    pub name: Option<String>,
    pub user_agent: Option<String>,
    pub app_version: Option<String>,
}

pub const MAX_NAME: usize = 100;
pub const MAX_USER_AGENT: usize = 200;
pub const MAX_VERSION: usize = 40;

/// Trimmed, cut to `max` characters, control characters dropped; empty is none.
pub fn clean(text: Option<&str>, max: usize) -> Option<String> {
    let t: String = text?
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect();
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

#[derive(FromRow)]
pub struct DeviceRow {
    pub id: String,
    pub name: Option<String>,
    pub username: Option<String>,
    pub user_agent: Option<String>,
    pub app_version: Option<String>,
    pub offline_enabled: i64,
    pub revoked_at: Option<String>,
    pub revoke_reason: Option<String>,
    pub registered_at: String,
    pub last_sign_in_at: Option<String>,
    pub last_seen_at: Option<String>,
    pub last_sync_at: Option<String>,
    pub last_sync_count: i64,
    pub wipe_requested_at: Option<String>,
    pub wipe_acknowledged_at: Option<String>,
    pub offline_enabled_at: Option<String>,
}

pub const SELECT: &str = "SELECT d.id, d.name, u.username, d.user_agent, d.app_version, \
     d.offline_enabled, d.revoked_at, d.revoke_reason, d.registered_at, d.last_sign_in_at, \
     d.last_seen_at, d.last_sync_at, d.last_sync_count, d.wipe_requested_at, \
     d.wipe_acknowledged_at, d.offline_enabled_at FROM devices d LEFT JOIN users u ON u.id = d.user_id";

impl From<DeviceRow> for DeviceSummary {
    fn from(r: DeviceRow) -> Self {
        DeviceSummary {
            id: r.id,
            name: r.name,
            user: r.username,
            platform: r.user_agent,
            app_version: r.app_version,
            offline_enabled: r.offline_enabled != 0,
            revoked: r.revoked_at.is_some(),
            revoked_at: r.revoked_at,
            revoke_reason: r.revoke_reason,
            registered_at: r.registered_at,
            last_sign_in_at: r.last_sign_in_at,
            last_seen_at: r.last_seen_at,
            last_sync_at: r.last_sync_at,
            last_sync_count: r.last_sync_count,
            wipe_requested_at: r.wipe_requested_at,
            wipe_acknowledged_at: r.wipe_acknowledged_at,
        }
    }
}

pub async fn find(conn: &mut AnyConnection, id: &str) -> AppResult<Option<DeviceRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// One line of the device's activity log (only for a registered device).
pub async fn event(
    conn: &mut AnyConnection,
    device_id: &str,
    kind: &str,
    user_id: Option<i64>,
    count: Option<i64>,
    details: Value,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO device_events (device_id, at, kind, user_id, count, details) \
         SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM devices WHERE id = $7)",
    )
    .bind(device_id)
    .bind(db::now())
    .bind(kind)
    .bind(user_id)
    .bind(count)
    .bind(details.to_string())
    .bind(device_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Registers the device, or notes a new sign-in on it (the user, what the browser said).
pub async fn register(
    conn: &mut AnyConnection,
    device_id: &str,
    user_id: i64,
    info: &DeviceInfo,
    signing_in: bool,
) -> AppResult<()> {
    let now = db::now();
    let sign_in_at = signing_in.then_some(now.clone());
    sqlx::query(
        "INSERT INTO devices (id, name, user_agent, app_version, user_id, registered_at, \
         registered_by, last_sign_in_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (id) DO UPDATE SET name = COALESCE(excluded.name, devices.name), \
         user_agent = COALESCE(excluded.user_agent, devices.user_agent), \
         app_version = COALESCE(excluded.app_version, devices.app_version), \
         user_id = excluded.user_id, \
         last_sign_in_at = COALESCE(excluded.last_sign_in_at, devices.last_sign_in_at), \
         last_seen_at = excluded.last_seen_at",
    )
    .bind(device_id)
    .bind(clean(info.name.as_deref(), MAX_NAME))
    .bind(clean(info.user_agent.as_deref(), MAX_USER_AGENT))
    .bind(clean(info.app_version.as_deref(), MAX_VERSION))
    .bind(user_id)
    .bind(&now)
    .bind(user_id)
    .bind(sign_in_at)
    .bind(&now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Refuses a revoked device (403 `device_revoked`), logging what it tried (`refused`).
pub async fn refuse_if_revoked(
    state: &AppState,
    device_id: &str,
    user_id: Option<i64>,
    attempt: &str,
    count: Option<i64>,
) -> AppResult<()> {
    let db = &state.db;
    let revoked: Option<Option<String>> =
        sqlx::query_scalar("SELECT revoked_at FROM devices WHERE id = $1")
            .bind(device_id)
            .fetch_optional(db)
            .await?;
    if revoked.flatten().is_none() {
        return Ok(());
    }
    // Anyone holding the device (it was stolen, say) can send calls naming it with no session:
    // of those, one a minute is logged, or a script could fill the log; the others are
    // refused with a read only (no turn at the writers' lock), and counted in memory: the next
    // one logged says how many were not. Refusals of signed-in users are each logged (each
    // names a user to answer for it).
    let anonymous = user_id.is_none();
    let unlogged = &state.unlogged_refusals;
    if anonymous && refused_lately(db, device_id).await? {
        unlogged.add(device_id);
        return Err(AppError::device_revoked());
    }
    let mut tx = db::write_tx(db).await?;
    // Again under the lock: of two such calls at once, one logs.
    if anonymous && refused_lately(&mut *tx, device_id).await? {
        unlogged.add(device_id);
        return Err(AppError::device_revoked());
    }
    let mut details = json!({ "attempt": attempt });
    let before = if anonymous {
        unlogged.take(device_id)
    } else {
        0
    };
    if before > 0 {
        details["not_logged_since_last"] = json!(before);
    }
    let logged = match event(&mut tx, device_id, "refused", user_id, count, details).await {
        Ok(()) => tx.commit().await.map_err(AppError::from),
        Err(e) => Err(e),
    };
    if let Err(e) = logged {
        // Not logged after all: the count waits for the next one.
        unlogged.put_back(device_id, before + i64::from(anonymous));
        return Err(e);
    }
    Err(AppError::device_revoked())
}

/// Refusals of a revoked device's calls without a session that were not logged (one a minute
/// is), per device, counted in this server process and reported (`not_logged_since_last`)
/// with the next such refusal it logs. Only revoked devices have entries.
#[derive(Clone, Default)]
pub struct UnloggedRefusals(Arc<Mutex<HashMap<String, i64>>>);

impl UnloggedRefusals {
    fn add(&self, device_id: &str) {
        self.put_back(device_id, 1);
    }

    fn put_back(&self, device_id: &str, n: i64) {
        if n > 0 {
            let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            *counts.entry(device_id.to_string()).or_default() += n;
        }
    }

    fn take(&self, device_id: &str) -> i64 {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        counts.remove(device_id).unwrap_or_default()
    }
}

/// Whether a refusal with no session was logged for the device within the last
/// [`ANONYMOUS_REFUSALS_EVERY_SECS`].
async fn refused_lately<'c, E>(conn: E, device_id: &str) -> AppResult<bool>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let since = db::timestamp(
        chrono::Utc::now() - chrono::Duration::seconds(ANONYMOUS_REFUSALS_EVERY_SECS),
    );
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM device_events \
         WHERE device_id = $1 AND kind = 'refused' AND user_id IS NULL AND at > $2",
    )
    .bind(device_id)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// At most one refusal of a revoked device's calls without a session is logged in this time.
pub const ANONYMOUS_REFUSALS_EVERY_SECS: i64 = 60;

/// Outcome of asking to keep a device for offline use.
#[derive(Debug, PartialEq, Eq)]
pub enum Enable {
    Enabled,
    AlreadyEnabled,
    /// The policy's most devices kept offline is reached.
    LimitReached,
    /// Unknown, revoked or being deprovisioned.
    Unavailable,
}

/// Enables offline use of a device if the cap allows, decided by one conditional UPDATE (so
/// parallel requests can never go past the cap: SQLite runs writes one at a time).
pub async fn try_enable(
    conn: &mut AnyConnection,
    device_id: &str,
    by: Option<i64>,
) -> AppResult<Enable> {
    let done = sqlx::query(
        "UPDATE devices SET offline_enabled = 1, offline_enabled_by = $1, offline_enabled_at = $2 \
         WHERE id = $3 AND offline_enabled = 0 AND revoked_at IS NULL AND wipe_requested_at IS NULL \
         AND (SELECT COUNT(*) FROM devices WHERE offline_enabled = 1) < \
             COALESCE((SELECT max_offline_devices FROM offline_policy WHERE id = 1), 9223372036854775807)",
    )
    .bind(by)
    .bind(db::now())
    .bind(device_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done == 1 {
        return Ok(Enable::Enabled);
    }
    let row: Option<(i64, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT offline_enabled, revoked_at, wipe_requested_at FROM devices WHERE id = $1",
    )
    .bind(device_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some((1, _, _)) => Enable::AlreadyEnabled,
        Some((0, None, None)) => Enable::LimitReached,
        _ => Enable::Unavailable,
    })
}

/// Stops offline use of a device; true when it was enabled.
pub async fn disable(
    conn: &mut AnyConnection,
    device_id: &str,
    by: Option<i64>,
) -> AppResult<bool> {
    Ok(sqlx::query(
        "UPDATE devices SET offline_enabled = 0, offline_enabled_by = $1, offline_enabled_at = $2 \
         WHERE id = $3 AND offline_enabled = 1",
    )
    .bind(by)
    .bind(db::now())
    .bind(device_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// At sign-in (the device registered, not revoked): whether it is kept for offline use now.
/// online-only: never. offline-enabled: when the device is enabled, or can be (within the
/// cap) unless an ADMIN disabled it. ask-user: when the user ticked "keep offline" and the
/// device is enabled or (if users may ask) can be; unticked, a device no other user keeps
/// stops counting against the cap.
pub async fn keep_at_sign_in(
    db: &Db,
    user: &SessionUser,
    device_id: &str,
    policy: &DevicePolicy,
    keep_offline: bool,
) -> AppResult<bool> {
    if policy.offline_grace_days <= 0 || policy.default_mode == "online-only" {
        return Ok(false);
    }
    let mut tx = db::write_tx(db).await?;
    let row: Option<(i64, Option<String>)> =
        sqlx::query_as("SELECT offline_enabled, offline_enabled_at FROM devices WHERE id = $1")
            .bind(device_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((enabled, enabled_at)) = row else {
        return Ok(false);
    };
    let ask = policy.default_mode == "ask-user";
    let kept = if enabled != 0 {
        !ask || keep_offline
    } else if ask && (!keep_offline || !policy.allow_user_request) {
        false
    } else if !ask && enabled_at.is_some() {
        // Disabled by an ADMIN: stays so until an ADMIN enables it again.
        false
    } else {
        let outcome = try_enable(&mut tx, device_id, None).await?;
        if outcome == Enable::Enabled {
            event(
                &mut tx,
                device_id,
                "mode_change",
                Some(user.id),
                None,
                json!({ "offline_enabled": true, "by": "sign_in", "policy": policy.default_mode }),
            )
            .await?;
        }
        outcome == Enable::Enabled
    };
    if ask && enabled != 0 && !keep_offline {
        let others: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM device_keys WHERE device_id = $1 AND user_id <> $2",
        )
        .bind(device_id)
        .bind(user.id)
        .fetch_one(&mut *tx)
        .await?;
        if others == 0 && disable(&mut tx, device_id, None).await? {
            event(
                &mut tx,
                device_id,
                "mode_change",
                Some(user.id),
                None,
                json!({ "offline_enabled": false, "by": "sign_in" }),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(kept)
}

/// A sync from the device: when and how many operations (registering it if it never signed
/// in with its id).
pub async fn synced(db: &Db, device_id: &str, user_id: i64, count: i64) -> AppResult<()> {
    let mut tx = db::write_tx(db).await?;
    let now = db::now();
    let updated = sqlx::query(
        "UPDATE devices SET last_sync_at = $1, last_sync_count = $2, last_seen_at = $3 WHERE id = $4",
    )
    .bind(&now)
    .bind(count)
    .bind(&now)
    .bind(device_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        register(&mut tx, device_id, user_id, &DeviceInfo::default(), false).await?;
        sqlx::query("UPDATE devices SET last_sync_at = $1, last_sync_count = $2 WHERE id = $3")
            .bind(&now)
            .bind(count)
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
    }
    event(
        &mut tx,
        device_id,
        "sync",
        Some(user_id),
        Some(count),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A signed-in call naming the device: `last_seen_at`, written at most once a minute.
pub async fn seen(db: &Db, device_id: &str) -> AppResult<()> {
    let minute_ago = db::timestamp(chrono::Utc::now() - chrono::Duration::seconds(60));
    sqlx::query(
        "UPDATE devices SET last_seen_at = $1 WHERE id = $2 AND revoked_at IS NULL \
         AND (last_seen_at IS NULL OR last_seen_at < $3)",
    )
    .bind(db::now())
    .bind(device_id)
    .bind(minute_ago)
    .execute(db)
    .await?;
    Ok(())
}

/// What the request guard needs about a device: revoked, and when it was last seen.
pub async fn state(db: &Db, device_id: &str) -> AppResult<Option<(bool, Option<String>)>> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT revoked_at, last_seen_at FROM devices WHERE id = $1")
            .bind(device_id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(revoked, seen)| (revoked.is_some(), seen)))
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn device_text_is_trimmed_cut_and_plain() {
        assert_eq!(clean(Some("  Tablet 3 "), 100).as_deref(), Some("Tablet 3"));
        assert_eq!(clean(Some("a\u{0}b\nc"), 100).as_deref(), Some("abc"));
        assert_eq!(
            clean(Some(&"é".repeat(300)), 200).unwrap().chars().count(),
            200
        );
        assert_eq!(clean(Some("   "), 100), None);
        assert_eq!(clean(None, 100), None);
    }
}
