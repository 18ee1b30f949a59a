//! Operations that arrived through sync but take effect only when a person confirms them
//! online (DOMAIN: anything touching more than one hub, and approvals). Confirming applies
//! the operation now, re-validated against current state, as the confirming user; a refusal
//! leaves it pending with the reason. Discarding keeps the record, marked discarded.
use app::model::SessionUser;
use app::ops::{Names, Operation, Outcome};
use app::permissions::authorize;
use app::reports::PendingConfirmation;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit;
use super::rows::HubRow;
use crate::apply;
use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    user_id: i64,
    device_id: Option<String>,
    kind: String,
    hub_id: i64,
    operation: String,
    received_at: String,
    username: String,
}

const COLUMNS: &str = "SELECT p.id, p.user_id, p.device_id, p.kind, p.hub_id, p.operation, p.received_at, \
     u.username FROM pending_confirmations p JOIN users u ON u.id = p.user_id WHERE p.status = 'pending'";

fn parse(row: &Row) -> AppResult<Operation> {
    serde_json::from_str(&row.operation)
        .map_err(|e| AppError::Internal(format!("stored operation {}: {e}", row.id)))
}

async fn hub(db: &Db, id: i64) -> AppResult<Option<HubRow>> {
    Ok(
        sqlx::query_as("SELECT id, name, hub_type, status, activated_at FROM hubs WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// Whoever may do the operation at its hub may confirm or discard it (its author included).
fn may_decide(user: &SessionUser, op: &Operation, hub: Option<&HubRow>) -> bool {
    hub.is_some_and(|h| authorize(&user.actor(), op.body.action(), Some(h.hub_ref())).is_ok())
}

async fn names(db: &Db) -> AppResult<Names> {
    let items: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM items")
        .fetch_all(db)
        .await?;
    let hubs: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM hubs")
        .fetch_all(db)
        .await?;
    Ok(Names {
        items: items.into_iter().collect(),
        hubs: hubs.into_iter().collect(),
    })
}

pub async fn list(db: &Db, user: &SessionUser) -> AppResult<Vec<PendingConfirmation>> {
    let names = names(db).await?;
    let rows: Vec<Row> = sqlx::query_as(&format!("{COLUMNS} ORDER BY p.id"))
        .fetch_all(db)
        .await?;
    // Every hub once, not a query per row.
    let hubs: std::collections::HashMap<i64, HubRow> =
        sqlx::query_as::<_, HubRow>("SELECT id, name, hub_type, status, activated_at FROM hubs")
            .fetch_all(db)
            .await?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
    let mut out = Vec::new();
    for row in rows {
        let op = parse(&row)?;
        let hub = hubs.get(&row.hub_id);
        if !may_decide(user, &op, hub) {
            continue;
        }
        out.push(PendingConfirmation {
            id: row.id,
            kind: row.kind.clone(),
            summary: op.summary(&names),
            user: row.username.clone(),
            hub: hub.map(|h| h.name.clone()).unwrap_or_default(),
            received_at: row.received_at.clone(),
            device_id: row.device_id.clone(),
        });
    }
    Ok(out)
}

async fn load(db: &Db, user: &SessionUser, id: i64) -> AppResult<(Row, Operation)> {
    let row: Option<Row> = sqlx::query_as(&format!("{COLUMNS} AND p.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    let row = row.ok_or_else(|| {
        AppError::NotFound(format!(
            "Pending confirmation {id} does not exist or was already decided."
        ))
    })?;
    let op = parse(&row)?;
    if !may_decide(user, &op, hub(db, row.hub_id).await?.as_ref()) {
        return Err(AppError::Forbidden(
            "You may not confirm or discard this operation.".into(),
        ));
    }
    Ok((row, op))
}

/// The id a confirmation applies under: derived from the original, so confirming twice (double
/// click, two people) applies it once.
fn confirmation_id(original: Uuid) -> Uuid {
    let digest = Sha256::digest(format!("confirm:{original}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

pub async fn confirm(state: &AppState, user: &SessionUser, id: i64) -> AppResult<String> {
    let (row, op) = load(&state.db, user, id).await?;
    let now_op = Operation {
        id: confirmation_id(op.id),
        created_at: db::now(),
        device_id: "confirmation".into(),
        ..op
    };
    match apply::apply_one(&state.writer, user, &now_op).await? {
        Outcome::Applied { message, .. } => {
            let mut tx = db::write_tx(&state.db).await?;
            sqlx::query(
                "UPDATE pending_confirmations SET status = 'confirmed', decided_by = $1, decided_at = $2, \
                 result = $3 WHERE id = $4 AND status = 'pending'",
            )
            .bind(user.id)
            .bind(db::now())
            .bind(&message)
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
            audit::record(
                &mut tx,
                Some(user.id),
                "confirmation_confirm",
                "pending_confirmation",
                row.id,
                serde_json::json!({ "kind": row.kind, "operation_id": now_op.id.to_string() }),
            )
            .await?;
            tx.commit().await?;
            Ok(message)
        }
        Outcome::Rejected(r) => Err(AppError::Conflict(format!(
            "Not done, still pending: {}",
            r.message
        ))),
        Outcome::PendingConfirmation { message } => Err(AppError::Internal(format!(
            "an online confirmation came back pending: {message}"
        ))),
    }
}

pub async fn discard(db: &Db, user: &SessionUser, id: i64) -> AppResult<String> {
    let (row, op) = load(db, user, id).await?;
    let mut tx = db::write_tx(db).await?;
    sqlx::query(
        "UPDATE pending_confirmations SET status = 'discarded', decided_by = $1, decided_at = $2, \
         result = 'discarded' WHERE id = $3 AND status = 'pending'",
    )
    .bind(user.id)
    .bind(db::now())
    .bind(row.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(user.id),
        "confirmation_discard",
        "pending_confirmation",
        row.id,
        serde_json::json!({ "kind": row.kind, "user_id": row.user_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(format!("Discarded: {}.", op.summary(&names(db).await?)))
}
