//! What a device kept for offline use receives: its secret and a fresh signed grant, issued
//! only to that user's session on that device, and only while the policy allows offline use.
use app::model::SessionUser;
use app::offline::access::{GrantClaims, OfflineAccess, OfflinePolicy};
use chrono::Utc;

use super::{device_policy, devices, offline_policy};
use crate::auth::device;
use crate::auth::grant::GrantKey;
use crate::db::{self, Db};
use crate::error::{AppError, AppResult};

fn access(
    key: &GrantKey,
    user: &SessionUser,
    device_id: &str,
    secret: String,
    policy: &OfflinePolicy,
) -> OfflineAccess {
    let now = Utc::now();
    let claims = GrantClaims {
        user_id: user.id,
        role: user.role,
        hub_id: user.hub_id,
        device_id: device_id.to_string(),
        issued_at: db::timestamp(now),
        expires_at: db::timestamp(now + chrono::Duration::days(policy.offline_window_days)),
    };
    OfflineAccess {
        device_secret: secret,
        grant: key.sign(&claims),
        claims,
        server_time: db::timestamp(now),
        idle_lock_minutes: policy.idle_lock_minutes,
    }
}

/// At sign-in (the device registered and not revoked): keeps the device (same secret as
/// before, if it had one) and issues a grant when the device policy keeps it (see
/// `devices::keep_at_sign_in`); otherwise the device is not kept for this user (its secret is
/// deleted).
pub async fn at_sign_in(
    db: &Db,
    key: &GrantKey,
    user: &SessionUser,
    device_id: Option<&str>,
    keep_offline: bool,
) -> AppResult<Option<OfflineAccess>> {
    let Some(device_id) = device_id else {
        return Ok(None);
    };
    let policy = offline_policy::current(db).await?;
    let devices_policy = device_policy::current(db).await?;
    let kept = devices::keep_at_sign_in(db, user, device_id, &devices_policy, keep_offline).await?;
    if !kept || policy.offline_window_days <= 0 {
        device::forget(db, user.id, device_id).await?;
        return Ok(None);
    }
    let secret = device::keep(db, user.id, device_id).await?;
    Ok(Some(access(key, user, device_id, secret, &policy)))
}

/// On an online start: a fresh grant for the session's own device, if it is kept.
pub async fn refresh(
    db: &Db,
    key: &GrantKey,
    user: &SessionUser,
    device_id: Option<&str>,
) -> AppResult<OfflineAccess> {
    let not_kept = || AppError::NotFound("This device is not kept for offline use.".into());
    let device_id = device_id.ok_or_else(not_kept)?;
    let policy = offline_policy::current(db).await?;
    if policy.offline_window_days <= 0
        || device_policy::current(db).await?.default_mode == "online-only"
    {
        return Err(not_kept());
    }
    let enabled: Option<i64> = sqlx::query_scalar(
        "SELECT CASE WHEN offline_enabled = 1 AND revoked_at IS NULL THEN 1 ELSE 0 END \
         FROM devices WHERE id = $1",
    )
    .bind(device_id)
    .fetch_optional(db)
    .await?;
    if enabled == Some(0) {
        return Err(not_kept());
    }
    let secret = device::reissue(db, user.id, device_id)
        .await?
        .ok_or_else(not_kept)?;
    Ok(access(key, user, device_id, secret, &policy))
}
