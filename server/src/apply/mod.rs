//! The one write path. Every operation — from the sync endpoint, the JSON API or a no-JS form —
//! is applied here: idempotent by operation id, authorised by the one rule, validated against
//! current state, and written (change + ledger + balance + audit + outcome) atomically.
//!
//! A batch runs in chunks of `CHUNK` operations, each one `BEGIN IMMEDIATE` transaction behind
//! an in-process writer lock, so it holds SQLite's write lock from the start without waiting in
//! SQLite's busy handler, what it reads stays true until it commits, and no batch holds the
//! lock for longer than one chunk. Checks come before writes; an operation that writes
//! more than one row does so under a savepoint, so a rejected operation leaves nothing behind
//! and never blocks the others. Outcomes and audit rows are buffered and written per batch.
pub mod claims;
mod context;
mod distribution;
mod intake;
mod needs_list;
mod needs_list_create;
mod record;
mod transfer;

use std::collections::HashMap;
use std::sync::Arc;

use app::model::SessionUser;
use app::ops::sync::SyncResult;
use app::ops::{Operation, OperationBody, Outcome, Reason, Rejection};
use serde_json::Value;
use sqlx::AnyConnection;
use tokio::sync::Mutex;

use crate::db::{savepoint, Db};
use crate::error::{AppError, AppResult};
pub use context::BatchContext;

/// Operations applied per transaction: the writer lock is released between chunks, so a
/// large batch never holds it for more than one chunk's time and other writers get turns.
pub const CHUNK: usize = 100;

/// The database plus the lock that lets one chunk write at a time (fair, FIFO), and one gate
/// per user so that one user's parallel batches queue behind each other, not in front of
/// everyone else's.
#[derive(Clone)]
pub struct Writer {
    pub db: Db,
    lock: Arc<Mutex<()>>,
    users: Arc<std::sync::Mutex<HashMap<i64, Arc<Mutex<()>>>>>,
}

impl Writer {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            lock: Arc::new(Mutex::new(())),
            users: Arc::default(),
        }
    }

    /// A turn at the writer for a write that follows a batch (the device's sync record): it
    /// queues behind the chunk writing now instead of polling for SQLite's lock, which another
    /// user's long batch, taking it chunk after chunk, would hold until its end.
    pub async fn turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.lock.lock().await
    }

    fn user_gate(&self, user_id: i64) -> Arc<Mutex<()>> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        // Forget gates nobody holds, so the map stays as small as the users syncing now.
        users.retain(|_, gate| Arc::strong_count(gate) > 1);
        users.entry(user_id).or_default().clone()
    }
}

/// An operation as received: parsed, or malformed with the reason.
pub enum Incoming {
    Parsed(Operation),
    Malformed { id: Value, message: String },
}

impl Incoming {
    /// Parses one operation of a batch sent by `device` (already checked), whose device is
    /// recorded on it (see `claims`).
    pub fn from_json(index: usize, raw: Value, device: &str) -> Self {
        let id = raw.get("id").cloned().unwrap_or(Value::Null);
        let malformed = |why: String| Incoming::Malformed {
            id: id.clone(),
            message: format!("Operation {} is malformed: {why}", index + 1),
        };
        if has_nul(&raw) {
            return malformed("text may not contain the NUL character (U+0000).".into());
        }
        match serde_json::from_value::<Operation>(raw) {
            Ok(mut op) => match claims::settle(&mut op, device) {
                Ok(()) => Incoming::Parsed(op),
                Err(why) => malformed(why),
            },
            Err(e) => malformed(format!("{e}.")),
        }
    }
}

/// Whether any text in `v` (a key or a string) holds a NUL character, which PostgreSQL cannot
/// store: refused on either engine, so an operation means the same wherever it is applied.
fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// What executing one operation produced, before it is stored.
pub struct Applied {
    pub reference: String,
    pub message: String,
}

/// Either a rejection (nothing written) or an internal failure (the whole batch fails).
pub enum Failure {
    Rejected(Rejection),
    Internal(AppError),
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

/// Where an operation came from. Through sync, operations that touch more than one hub or
/// approve are only recorded as pending confirmation; online (forms, and a confirmation) they
/// take effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Sync,
    Online,
}

/// Applies a sync batch in order and returns one result per operation, in the same order.
/// Chunks of `CHUNK` operations commit one after another; a user's batches run one at a time.
pub async fn apply_batch(
    writer: &Writer,
    user: &SessionUser,
    ops: Vec<Incoming>,
) -> AppResult<Vec<SyncResult>> {
    let gate = writer.user_gate(user.id);
    let _mine = gate.lock().await;
    let mut results = Vec::with_capacity(ops.len());
    let mut ops = ops.into_iter().peekable();
    while ops.peek().is_some() {
        let chunk: Vec<Incoming> = ops.by_ref().take(CHUNK).collect();
        results.extend(apply_chunk(writer, user, chunk).await?);
    }
    Ok(results)
}

async fn apply_chunk(
    writer: &Writer,
    user: &SessionUser,
    ops: Vec<Incoming>,
) -> AppResult<Vec<SyncResult>> {
    let _turn = writer.lock.lock().await;
    let mut tx = crate::db::write_tx(&writer.db).await?;
    let ids: Vec<String> = ops
        .iter()
        .filter_map(|o| match o {
            Incoming::Parsed(op) => Some(op.id.to_string()),
            Incoming::Malformed { .. } => None,
        })
        .collect();
    let mut ctx = BatchContext::new(user.clone());
    let mut stored = record::stored_outcomes(&mut tx, &ids, user.id).await?;
    let mut results = Vec::with_capacity(ops.len());
    for incoming in ops {
        let result = match incoming {
            Incoming::Malformed { id, message } => SyncResult::from_outcome(
                id,
                &Outcome::Rejected(Rejection::new(Reason::Invalid, message)),
            ),
            Incoming::Parsed(op) => {
                let outcome = apply_in_tx(&mut tx, &mut ctx, &mut stored, &op, Via::Sync).await?;
                SyncResult::from_outcome(Value::String(op.id.to_string()), &outcome)
            }
        };
        results.push(result);
    }
    ctx.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(results)
}

/// Applies one operation online (the no-JS forms and confirmations use this).
pub async fn apply_one(writer: &Writer, user: &SessionUser, op: &Operation) -> AppResult<Outcome> {
    let _turn = writer.lock.lock().await;
    let mut tx = crate::db::write_tx(&writer.db).await?;
    let mut ctx = BatchContext::new(user.clone());
    let mut stored = record::stored_outcomes(&mut tx, &[op.id.to_string()], user.id).await?;
    let outcome = apply_in_tx(&mut tx, &mut ctx, &mut stored, op, Via::Online).await?;
    ctx.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(outcome)
}

async fn apply_in_tx(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    stored: &mut HashMap<String, record::Stored>,
    op: &Operation,
    via: Via,
) -> AppResult<Outcome> {
    let id = op.id.to_string();
    // Already final: the stored outcome (or `id_conflict`); nothing is recorded again.
    if let Some(done) = stored.get(&id) {
        return Ok(done.answer(op));
    }
    let pending = via == Via::Sync && op.body.needs_online_confirmation();
    let executed = match op.validate() {
        Err(invalid) => Err(Failure::Rejected(invalid.into())),
        Ok(()) if pending => transfer::record_pending(conn, ctx, op)
            .await
            .map(|message| Applied {
                reference: String::new(),
                message,
            }),
        Ok(()) => execute(conn, ctx, op).await,
    };
    let outcome = match executed {
        Ok(applied) if pending => Outcome::PendingConfirmation {
            message: applied.message,
        },
        Ok(applied) => Outcome::Applied {
            reference: applied.reference,
            message: applied.message,
        },
        Err(Failure::Rejected(rejection)) => Outcome::Rejected(rejection),
        Err(Failure::Internal(e)) => return Err(e),
    };
    if outcome.is_final() {
        let digest = Some(record::digest(op));
        stored.insert(
            id,
            record::Stored {
                outcome: outcome.clone(),
                digest,
            },
        );
    }
    ctx.record_outcome(op, &outcome)?;
    Ok(outcome)
}

async fn execute(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
) -> Result<Applied, Failure> {
    // A failed statement (the balance's check, say) ends a PostgreSQL transaction unless it
    // ran under a savepoint; SQLite goes on, and only operations writing several rows need one.
    if crate::db::Engine::of_conn(conn) == crate::db::Engine::Postgres || all_or_nothing(&op.body) {
        return savepoint!(conn, "op", execute_op(conn, ctx, op));
    }
    execute_op(conn, ctx, op).await
}

/// Operations that write several rows (list, lines, counter / OUT, IN, transfer; every OUT
/// and IN of a dispatch or a correction): all of them or none.
fn all_or_nothing(body: &OperationBody) -> bool {
    !matches!(
        body,
        OperationBody::Intake(_)
            | OperationBody::Distribution(_)
            | OperationBody::TransferRequest(_)
            | OperationBody::TransferReject(_)
    )
}

async fn execute_op(
    conn: &mut AnyConnection,
    ctx: &mut BatchContext,
    op: &Operation,
) -> Result<Applied, Failure> {
    match &op.body {
        OperationBody::Intake(p) => intake::run(conn, ctx, op, p).await,
        OperationBody::Distribution(p) => distribution::run(conn, ctx, op, p).await,
        OperationBody::TransferRequest(p) => transfer::request(conn, ctx, op, p).await,
        OperationBody::TransferReject(p) => transfer::review(conn, ctx, op, p, false).await,
        OperationBody::NeedsListCreate(p) => needs_list_create::run(conn, ctx, op, p).await,
        OperationBody::TransferApprove(p) => transfer::review(conn, ctx, op, p, true).await,
        OperationBody::NeedsListUpdate(p) => needs_list::update(conn, ctx, op, p).await,
        OperationBody::NeedsListDelete(p) => needs_list::delete(conn, ctx, op, p).await,
        OperationBody::NeedsListSubmit(p) => needs_list::submit(conn, ctx, op, p).await,
        OperationBody::FulfilmentSave(p) => needs_list::fulfilment(conn, ctx, op, p, false).await,
        OperationBody::FulfilmentSubmit(p) => needs_list::fulfilment(conn, ctx, op, p, true).await,
        OperationBody::NeedsListApprove(p) => needs_list::review(conn, ctx, op, p, true).await,
        OperationBody::NeedsListReject(p) => needs_list::review(conn, ctx, op, p, false).await,
        OperationBody::NeedsListDispatch(p) => needs_list::dispatch(conn, ctx, op, p).await,
        OperationBody::NeedsListReceive(p) => needs_list::receive(conn, ctx, op, p).await,
        OperationBody::ChangeRequestCreate(p) => {
            needs_list::change_request_create(conn, ctx, op, p).await
        }
        OperationBody::ChangeRequestProcess(p) => {
            needs_list::change_request_process(conn, ctx, op, p).await
        }
        OperationBody::FulfilmentEdit(p) => needs_list::fulfilment_edit(conn, ctx, op, p).await,
    }
}
