//! The one write path. Every operation — from the sync endpoint, the JSON API or a no-JS form —
//! is applied here: idempotent by operation id, authorised by the one rule, validated against
//! current state, and written (change + ledger + balance + audit + outcome) atomically.
//!
//! A batch runs in one `BEGIN IMMEDIATE` transaction (it holds the write lock from the start,
//! so what it reads stays true until it commits) with a savepoint per operation: a rejected
//! operation is rolled back alone and never blocks the others.
mod context;
mod distribution;
mod intake;
mod needs_list_create;

use app::model::SessionUser;
use app::ops::sync::SyncResult;
use app::ops::{Operation, OperationBody, Outcome, Reason, Rejection};
use serde_json::Value;
use sqlx::SqliteConnection;

use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
pub use context::BatchContext;

/// An operation as received: parsed, or malformed with the reason.
pub enum Incoming {
    Parsed(Operation),
    Malformed { id: Value, message: String },
}

impl Incoming {
    pub fn from_json(index: usize, raw: Value) -> Self {
        let id = raw.get("id").cloned().unwrap_or(Value::Null);
        match serde_json::from_value::<Operation>(raw) {
            Ok(op) => Incoming::Parsed(op),
            Err(e) => Incoming::Malformed {
                id,
                message: format!("Operation {} is malformed: {e}.", index + 1),
            },
        }
    }
}

/// What executing one operation produced, before it is stored.
pub struct Applied {
    pub reference: String,
    pub message: String,
}

/// Either a rejection (rolled back, stored) or an internal failure (the whole batch fails).
pub enum Failure {
    Rejected(Rejection),
    Internal(AppError),
}

impl From<Rejection> for Failure {
    fn from(r: Rejection) -> Self {
        Failure::Rejected(r)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Internal(e.into())
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::Internal(e)
    }
}

pub fn reject(reason: Reason, message: impl Into<String>) -> Failure {
    Failure::Rejected(Rejection::new(reason, message))
}

/// Applies a batch in order and returns one result per operation, in the same order.
pub async fn apply_batch(
    db: &Db,
    user: &SessionUser,
    ops: Vec<Incoming>,
) -> AppResult<Vec<SyncResult>> {
    let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
    let mut ctx = BatchContext::new(user.clone());
    let mut results = Vec::with_capacity(ops.len());
    for incoming in ops {
        let result = match incoming {
            Incoming::Malformed { id, message } => SyncResult::from_outcome(
                id,
                &Outcome::Rejected(Rejection::new(Reason::Invalid, message)),
            ),
            Incoming::Parsed(op) => {
                let outcome = apply_in_tx(&mut tx, &mut ctx, &op).await?;
                SyncResult::from_outcome(Value::String(op.id.to_string()), &outcome)
            }
        };
        results.push(result);
    }
    tx.commit().await?;
    Ok(results)
}

/// Applies one operation (forms and the JSON API use this).
pub async fn apply_one(db: &Db, user: &SessionUser, op: &Operation) -> AppResult<Outcome> {
    let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
    let mut ctx = BatchContext::new(user.clone());
    let outcome = apply_in_tx(&mut tx, &mut ctx, op).await?;
    tx.commit().await?;
    Ok(outcome)
}

async fn apply_in_tx(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
) -> AppResult<Outcome> {
    let id = op.id.to_string();
    if let Some(stored) = stored_outcome(conn, &id, ctx.user.id).await? {
        return Ok(stored);
    }
    sqlx::query("SAVEPOINT op").execute(&mut *conn).await?;
    let executed = match op.body.validate() {
        Err(invalid) => Err(Failure::Rejected(invalid.into())),
        Ok(()) => execute(conn, ctx, op).await,
    };
    let outcome = match executed {
        Ok(applied) => Outcome::Applied {
            reference: applied.reference,
            message: applied.message,
        },
        Err(Failure::Rejected(rejection)) => {
            sqlx::query("ROLLBACK TO op").execute(&mut *conn).await?;
            Outcome::Rejected(rejection)
        }
        Err(Failure::Internal(e)) => return Err(e),
    };
    store_outcome(conn, ctx, op, &outcome).await?;
    sqlx::query("RELEASE op").execute(&mut *conn).await?;
    Ok(outcome)
}

async fn execute(
    conn: &mut SqliteConnection,
    ctx: &mut BatchContext,
    op: &Operation,
) -> Result<Applied, Failure> {
    match &op.body {
        OperationBody::Intake(p) => intake::run(conn, ctx, op, p).await,
        OperationBody::Distribution(p) => distribution::run(conn, ctx, op, p).await,
        OperationBody::NeedsListCreate(p) => needs_list_create::run(conn, ctx, op, p).await,
    }
}

/// (status, user id, message, reference) of a stored operation.
type StoredRow = (String, i64, String, Option<String>);

/// A final outcome already stored for this id. An id used by another user is refused, so
/// ids cannot be used to read someone else's outcome.
async fn stored_outcome(
    conn: &mut SqliteConnection,
    id: &str,
    user_id: i64,
) -> AppResult<Option<Outcome>> {
    let row: Option<StoredRow> =
        sqlx::query_as("SELECT status, user_id, message, reference FROM operations WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((status, owner, message, reference)) = row else {
        return Ok(None);
    };
    if owner != user_id {
        return Ok(Some(Outcome::Rejected(Rejection::new(
            Reason::Invalid,
            "This operation id was already used by another user; record the entry again.",
        ))));
    }
    Ok(match status.as_str() {
        "applied" => Some(Outcome::Applied {
            reference: reference.unwrap_or_default(),
            message,
        }),
        "pending_confirmation" => Some(Outcome::PendingConfirmation { message }),
        _ => None, // a stored rejection wrote nothing: the operation may be tried again
    })
}

async fn store_outcome(
    conn: &mut SqliteConnection,
    ctx: &BatchContext,
    op: &Operation,
    outcome: &Outcome,
) -> AppResult<()> {
    let (reason, message, reference) = match outcome {
        Outcome::Applied { reference, message } => {
            (None, message.as_str(), Some(reference.as_str()))
        }
        Outcome::Rejected(r) => (Some(r.reason.code()), r.message.as_str(), None),
        Outcome::PendingConfirmation { message } => (None, message.as_str(), None),
    };
    let payload = serde_json::to_string(&op.body).map_err(|e| AppError::Internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO operations (id, kind, hub_id, user_id, device_id, client_created_at, received_at, \
         status, reason, message, reference, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, reason = excluded.reason, \
         message = excluded.message, reference = excluded.reference, payload = excluded.payload, \
         received_at = excluded.received_at, attempts = attempts + 1",
    )
    .bind(op.id.to_string())
    .bind(op.body.kind())
    .bind(op.hub_id)
    .bind(ctx.user.id)
    .bind(&op.device_id)
    .bind(&op.created_at)
    .bind(db::now())
    .bind(outcome.status())
    .bind(reason)
    .bind(message)
    .bind(reference)
    .bind(payload)
    .execute(conn)
    .await?;
    Ok(())
}
