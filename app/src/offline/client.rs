//! The offline client as the pages see it: a status signal for the header pill and a port to
//! the device's outbox and last snapshot. The browser runner in `frontend` implements the port
//! over IndexedDB; on the server (and with JavaScript off) the client is inert and every form
//! posts straight to the server.
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use uuid::Uuid;

use super::{PendingOp, SyncIssue};
use crate::ops::sync::Snapshot;
use crate::ops::Operation;

pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// What the header pill shows. The default is what the server renders (and what a page
/// without JavaScript keeps): online, nothing pending, the client not running.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncStatus {
    /// The browser client runs (WASM loaded); "Sync Now" and the counts mean something.
    pub ready: bool,
    /// `navigator.onLine` and the last ping of `/api/ping` answered.
    pub online: bool,
    pub syncing: bool,
    pub pending: usize,
    pub failed: usize,
    /// The server answered 401: everything is kept until the user signs in again.
    pub needs_sign_in: bool,
    pub last_synced: Option<String>,
    /// Bumped on every change of the outbox, the issues or the snapshot (in any tab).
    pub changes: u64,
}

impl Default for SyncStatus {
    fn default() -> Self {
        Self {
            ready: false,
            online: true,
            syncing: false,
            pending: 0,
            failed: 0,
            needs_sign_in: false,
            last_synced: None,
            changes: 0,
        }
    }
}

impl SyncStatus {
    /// The pill's words, as DESIGN.md names them.
    pub fn label(&self) -> &'static str {
        if !self.online {
            "Offline – Working in offline mode"
        } else if self.needs_sign_in {
            "Online – Sign in to sync"
        } else if self.syncing || self.pending > 0 {
            "Online – Syncing..."
        } else {
            "Online – Synced"
        }
    }

    /// `ok` (green), `busy` (amber) or `offline` (red): the pill's class.
    pub fn tone(&self) -> &'static str {
        if !self.online {
            "offline"
        } else if self.needs_sign_in || self.syncing || self.pending > 0 {
            "busy"
        } else {
            "ok"
        }
    }

    pub fn counts(&self) -> String {
        format!("{} pending · {} failed", self.pending, self.failed)
    }
}

/// Everything kept on this device, read in one go.
#[derive(Clone, Debug, Default)]
pub struct LocalData {
    pub snapshot: Option<Snapshot>,
    pub pending: Vec<PendingOp>,
    pub issues: Vec<SyncIssue>,
    /// When the snapshot was last refreshed (RFC 3339).
    pub last_synced: Option<String>,
}

/// The device side of offline mode, implemented over IndexedDB by the `frontend` crate.
pub trait OfflinePort {
    fn device_id(&self) -> String;
    /// Puts the operation in the outbox (taking it out of Sync Issues if it was there, in the
    /// same transaction) and wakes the engine. Resolves once it is stored.
    fn enqueue(&self, op: Operation) -> LocalFuture<Result<(), String>>;
    fn local_data(&self) -> LocalFuture<Result<LocalData, String>>;
    /// Removes a Sync Issue for good: only ever on a person's explicit decision.
    fn discard_issue(&self, id: Uuid) -> LocalFuture<Result<(), String>>;
    /// Runs a sync now; resolves when that run has ended.
    fn sync_now(&self) -> LocalFuture<()>;
}

/// The offline client in context: always present, inert on the server.
#[derive(Clone)]
pub struct Offline {
    pub status: RwSignal<SyncStatus>,
    port: Option<SendWrapper<Rc<dyn OfflinePort>>>,
}

impl Offline {
    pub fn inert() -> Self {
        Self {
            status: RwSignal::new(SyncStatus::default()),
            port: None,
        }
    }

    pub fn new(status: RwSignal<SyncStatus>, port: Rc<dyn OfflinePort>) -> Self {
        Self {
            status,
            port: Some(SendWrapper::new(port)),
        }
    }

    /// The port, when the browser client runs.
    pub fn port(&self) -> Option<Rc<dyn OfflinePort>> {
        self.port.as_deref().cloned()
    }

    /// The local data, or `None` without a client. The future is `Send` (one thread in the
    /// browser), so it can feed a `Resource`.
    pub fn local_data(&self) -> Pin<Box<dyn Future<Output = Option<LocalData>> + Send>> {
        match self.port.clone() {
            // Polled on the browser's one thread only.
            Some(port) => Box::pin(SendWrapper::new(
                async move { port.local_data().await.ok() },
            )),
            None => Box::pin(async { None }),
        }
    }
}

pub fn use_offline() -> Offline {
    use_context::<Offline>().unwrap_or_else(Offline::inert)
}
