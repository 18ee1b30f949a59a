//! Offline grants: the server's HMAC-SHA256 signing key (one row in `server_keys`, shared by
//! every server on the database) and the grant `base64url(claims JSON).base64url(HMAC)`.
use app::offline::access::{GrantCheck, GrantClaims};
use app::offline::crypto::{b64, unb64};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;

use crate::db::{self, Db};
use crate::error::{AppError, AppResult};

type HmacSha256 = Hmac<Sha256>;

const KEY_NAME: &str = "grant_hmac";

/// The grant-signing key, ready to sign. Held in memory; neither `Debug` nor `Serialize`.
pub struct GrantKey(HmacSha256);

impl GrantKey {
    pub fn from_bytes(bytes: &[u8]) -> AppResult<Self> {
        <HmacSha256 as Mac>::new_from_slice(bytes)
            .map(Self)
            .map_err(|_| AppError::Internal("the grant key has an invalid length".into()))
    }

    /// Reads the key, creating it at first start. `INSERT … ON CONFLICT DO NOTHING` then `SELECT`: when two
    /// servers start together both end up with the one key that was stored first.
    pub async fn load_or_create(db: &Db) -> AppResult<Self> {
        let mut fresh = [0u8; 32];
        OsRng.fill_bytes(&mut fresh);
        sqlx::query(
            "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(KEY_NAME)
        .bind(b64(&fresh))
        .bind(db::now())
        .execute(db)
        .await?;
        let stored: String = sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = $1")
            .bind(KEY_NAME)
            .fetch_one(db)
            .await?;
        let bytes = unb64(&stored)
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| AppError::Internal("the stored grant key is not 32 bytes".into()))?;
        Self::from_bytes(&bytes)
    }

    fn mac(&self) -> HmacSha256 {
        self.0.clone()
    }

    pub fn sign(&self, claims: &GrantClaims) -> String {
        let body = b64(serde_json::to_string(claims).unwrap_or_default().as_bytes());
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        format!("{body}.{}", b64(&mac.finalize().into_bytes()))
    }

    /// The claims of a grant whose signature is ours, expired or not (an import attests a
    /// file's origin even when the account was deactivated since).
    pub fn signed_claims(&self, grant: &str) -> Result<GrantClaims, &'static str> {
        let (body, sig) = grant.trim().split_once('.').ok_or("malformed")?;
        let sig = unb64(sig).map_err(|_| "malformed")?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&sig).map_err(|_| "bad_signature")?;
        let json = unb64(body).map_err(|_| "malformed")?;
        serde_json::from_slice(&json).map_err(|_| "malformed")
    }
}

/// Checks a grant's signature, then its expiry against `now`.
pub fn verify(key: &GrantKey, grant: &str, now: DateTime<Utc>) -> GrantCheck {
    let invalid = |reason: &str, claims: Option<GrantClaims>| GrantCheck {
        valid: false,
        reason: Some(reason.to_string()),
        claims,
    };
    let claims = match key.signed_claims(grant) {
        Ok(claims) => claims,
        Err(reason) => return invalid(reason, None),
    };
    match DateTime::parse_from_rfc3339(&claims.expires_at) {
        Err(_) => invalid("malformed", None),
        Ok(expires) if expires.with_timezone(&Utc) <= now => invalid("expired", Some(claims)),
        Ok(_) => GrantCheck {
            valid: true,
            reason: None,
            claims: Some(claims),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::Role;
    use chrono::Duration;

    fn claims(issued: DateTime<Utc>, days: i64) -> GrantClaims {
        GrantClaims {
            user_id: 5,
            role: Role::SubHubUser,
            hub_id: Some(3),
            device_id: "laptop-1".into(),
            issued_at: db::timestamp(issued),
            expires_at: db::timestamp(issued + Duration::days(days)),
        }
    }

    #[test]
    fn a_signed_grant_verifies_until_it_expires() {
        let key = GrantKey::from_bytes(&[7; 32]).unwrap();
        let now = Utc::now();
        let grant = key.sign(&claims(now, 7));
        let ok = verify(&key, &grant, now + Duration::days(6));
        assert!(ok.valid, "{ok:?}");
        assert_eq!(ok.claims, Some(claims(now, 7)));
        let late = verify(&key, &grant, now + Duration::days(7) + Duration::seconds(1));
        assert!(!late.valid);
        assert_eq!(late.reason.as_deref(), Some("expired"));
    }

    #[test]
    fn altered_claims_another_key_or_garbage_are_refused() {
        let key = GrantKey::from_bytes(&[7; 32]).unwrap();
        let now = Utc::now();
        let grant = key.sign(&claims(now, 7));
        let (_, sig) = grant.split_once('.').unwrap();
        let mut longer = claims(now, 7);
        longer.expires_at = db::timestamp(now + Duration::days(700));
        let forged = format!(
            "{}.{sig}",
            b64(serde_json::to_string(&longer).unwrap().as_bytes())
        );
        let reason = |g: &str, k: &GrantKey| verify(k, g, now).reason;
        assert_eq!(reason(&forged, &key).as_deref(), Some("bad_signature"));
        let other = GrantKey::from_bytes(&[8; 32]).unwrap();
        assert_eq!(reason(&grant, &other).as_deref(), Some("bad_signature"));
        assert_eq!(reason("no-dot", &key).as_deref(), Some("malformed"));
        assert_eq!(reason("a.!!!", &key).as_deref(), Some("malformed"));
        assert!(verify(&key, &grant, now).valid);
    }
}
