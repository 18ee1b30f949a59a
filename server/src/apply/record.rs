//! Stored outcomes (the idempotency record) and audit rows, read once per batch and written
//! once per batch with multi-row inserts.
use std::collections::HashMap;

use app::ops::{Operation, Outcome, Reason, Rejection};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::db::Sql;

use crate::error::AppResult;

/// One outcome row for `operations`.
pub struct OutcomeRow {
    pub id: String,
    pub kind: &'static str,
    pub hub_id: i64,
    pub device_id: String,
    pub client_created_at: String,
    pub received_at: String,
    pub status: &'static str,
    pub reason: Option<&'static str>,
    pub message: String,
    pub reference: Option<String>,
    pub payload: String,
    pub digest: String,
}

/// What an operation asks for (kind, hub, payload), as a SHA-256: an id is bound to it.
pub fn digest(op: &Operation) -> String {
    let body = serde_json::to_string(&op.body).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(op.body.kind().as_bytes());
    h.update(b"\n");
    h.update(op.hub_id.to_string().as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    crate::auth::session::hex(&h.finalize())
}

/// A final outcome already stored for an id, and the digest it was stored with.
#[derive(Clone)]
pub struct Stored {
    pub outcome: Outcome,
    pub digest: Option<String>,
}

impl Stored {
    /// The stored outcome for `op`, or `id_conflict` if the id was used for something else.
    pub fn answer(&self, op: &Operation) -> Outcome {
        match &self.digest {
            Some(d) if *d != digest(op) => Outcome::Rejected(Rejection::new(
                Reason::IdConflict,
                "This operation id was already used for a different operation; record the entry again.",
            )),
            _ => self.outcome.clone(),
        }
    }
}

/// One audit row for a change made by an operation.
pub struct AuditRow {
    pub at: String,
    pub device_id: String,
    pub operation_id: String,
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: String,
    pub details: String,
}

/// (id, status, user id, message, reference, digest) of a stored operation.
type StoredRow = (String, String, i64, String, Option<String>, Option<String>);

/// Final outcomes already stored for these ids. An id used by another user is refused, so
/// ids cannot be used to read someone else's outcome. Stored rejections wrote nothing: those
/// operations may be tried again, so they are not returned.
pub async fn stored_outcomes(
    conn: &mut AnyConnection,
    ids: &[String],
    user_id: i64,
) -> AppResult<HashMap<String, Stored>> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut q = Sql::new(
            "SELECT id, status, user_id, message, reference, digest FROM operations WHERE id IN ",
        );
        q.bind_list(chunk.iter().cloned());
        let rows: Vec<StoredRow> = q.fetch_all(&mut *conn).await?;
        for (id, status, owner, message, reference, digest) in rows {
            // A refusal wrote nothing: anyone allowed may try that id again (a confirmation
            // that failed for one confirmer, say), taking the row over.
            if owner != user_id && status == "rejected" {
                continue;
            }
            let outcome = if owner != user_id {
                Outcome::Rejected(Rejection::new(
                    Reason::Invalid,
                    "This operation id was already used by another user; record the entry again.",
                ))
            } else {
                match status.as_str() {
                    "applied" => Outcome::Applied {
                        reference: reference.unwrap_or_default(),
                        message,
                    },
                    "pending_confirmation" => Outcome::PendingConfirmation { message },
                    _ => continue,
                }
            };
            // Another user's id answers the same whatever it carries.
            let digest = digest.filter(|_| owner == user_id);
            found.insert(id, Stored { outcome, digest });
        }
    }
    Ok(found)
}

pub async fn write_outcomes(
    conn: &mut AnyConnection,
    user_id: i64,
    rows: &[OutcomeRow],
) -> AppResult<()> {
    for chunk in rows.chunks(200) {
        let mut q = Sql::new(
            "INSERT INTO operations (id, kind, hub_id, user_id, device_id, client_created_at, received_at, \
             status, reason, message, reference, payload, digest) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(r.id.clone())
                .push(", ")
                .bind(r.kind)
                .push(", ")
                .bind(r.hub_id);
            q.push(", ")
                .bind(user_id)
                .push(", ")
                .bind(r.device_id.clone());
            q.push(", ")
                .bind(r.client_created_at.clone())
                .push(", ")
                .bind(r.received_at.clone());
            q.push(", ")
                .bind(r.status)
                .push(", ")
                .bind(r.reason)
                .push(", ")
                .bind(r.message.clone());
            q.push(", ")
                .bind(r.reference.clone())
                .push(", ")
                .bind(r.payload.clone());
            q.push(", ").bind(r.digest.clone()).push(")");
        }
        // A new attempt has a new outcome: a discard or resolution of an earlier refusal
        // no longer describes it (refused again, it is an open issue again).
        q.push(
            " ON CONFLICT (id) DO UPDATE SET status = excluded.status, reason = excluded.reason, \
             message = excluded.message, reference = excluded.reference, payload = excluded.payload, \
             digest = excluded.digest, user_id = excluded.user_id, \
             received_at = excluded.received_at, attempts = operations.attempts + 1, \
             resolution = NULL, resolution_note = NULL, resolved_by = NULL, resolved_at = NULL",
        );
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn write_audits(
    conn: &mut AnyConnection,
    user_id: i64,
    rows: &[AuditRow],
) -> AppResult<()> {
    for chunk in rows.chunks(200) {
        let mut q = Sql::new(
            "INSERT INTO audit_log (at, user_id, device_id, operation_id, action, entity, entity_id, details) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(r.at.clone())
                .push(", ")
                .bind(user_id)
                .push(", ")
                .bind(r.device_id.clone());
            q.push(", ")
                .bind(r.operation_id.clone())
                .push(", ")
                .bind(r.action);
            q.push(", ")
                .bind(r.entity)
                .push(", ")
                .bind(r.entity_id.clone());
            q.push(", ").bind(r.details.clone()).push(")");
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
