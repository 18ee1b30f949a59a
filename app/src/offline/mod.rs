//! Offline mode's shared core: the outbox record types and the sync engine, a pure state
//! machine behind small store and transport traits. The browser runner (IndexedDB through
//! rexie, gloo-net) implements the traits in `frontend`; tests use in-memory fakes.
pub mod backoff;
pub mod client;
pub mod engine;
pub mod project;

use serde::{Deserialize, Serialize};

use crate::ops::Operation;

/// An operation waiting in the outbox (`pending_operations`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingOp {
    pub op: Operation,
    /// Position in the outbox: operations are sent in this order (oldest first).
    pub seq: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// An operation the server refused (`sync_issues`): kept, with the reason, until a person
/// fixes and retries it or discards it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncIssue {
    pub op: Operation,
    pub reason: String,
    pub message: String,
    pub failed_at: String,
}
