//! Devices at sign-in: the client's device id (checked here), and the per-(user, device)
//! secret in `device_keys` that re-opens a kept device's data key without the password.
use app::domain::ValidationError;
use app::offline::access::DeviceRef;
use app::offline::crypto::b64;
use rand_core::{OsRng, RngCore};

use crate::db::{self, Db};
use crate::error::AppResult;

pub const MAX_ID_LEN: usize = 100;

/// The device id of a sign-in, if one was sent: 1 to 100 of `A-Z a-z 0-9 _ -`.
pub fn parse(device: Option<&DeviceRef>) -> Result<Option<String>, ValidationError> {
    let Some(device) = device else {
        return Ok(None);
    };
    let id = device.id.as_str();
    let ok = (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(Some(id.to_string()))
    } else {
        Err(ValidationError::new(
            "device",
            format!("The device id must be 1 to {MAX_ID_LEN} letters, digits, '-' or '_'."),
        ))
    }
}

/// The device's secret, created on first use and kept afterwards (across sign-ins and
/// password changes); marks it issued now.
pub async fn keep(db: &Db, user_id: i64, device_id: &str) -> AppResult<String> {
    let mut fresh = [0u8; 32];
    OsRng.fill_bytes(&mut fresh);
    let now = db::now();
    let secret = sqlx::query_scalar(
        "INSERT INTO device_keys (user_id, device_id, secret, created_at, last_issued_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, device_id) \
         DO UPDATE SET last_issued_at = excluded.last_issued_at RETURNING secret",
    )
    .bind(user_id)
    .bind(device_id)
    .bind(b64(&fresh))
    .bind(&now)
    .bind(&now)
    .fetch_one(db)
    .await?;
    Ok(secret)
}

/// The secret of a device already kept for this user, marked issued now; `None` otherwise.
pub async fn reissue(db: &Db, user_id: i64, device_id: &str) -> AppResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "UPDATE device_keys SET last_issued_at = $1 WHERE user_id = $2 AND device_id = $3 \
         RETURNING secret",
    )
    .bind(db::now())
    .bind(user_id)
    .bind(device_id)
    .fetch_optional(db)
    .await?)
}

/// The device is no longer kept for this user: its secret is gone for good.
pub async fn forget(db: &Db, user_id: i64, device_id: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM device_keys WHERE user_id = $1 AND device_id = $2")
        .bind(user_id)
        .bind(device_id)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Result<Option<String>, ValidationError> {
        parse(Some(&DeviceRef {
            id: s.into(),
            name: None,
        }))
    }

    #[test]
    fn device_ids_are_short_and_plain() {
        assert_eq!(id("a1_B-2").unwrap().as_deref(), Some("a1_B-2"));
        assert_eq!(id(&"x".repeat(100)).unwrap().map(|s| s.len()), Some(100));
        for bad in ["", "has space", "é", "a/b", &"x".repeat(101)] {
            assert_eq!(id(bad).unwrap_err().field, "device", "{bad:?}");
        }
        assert_eq!(parse(None).unwrap(), None);
    }
}
