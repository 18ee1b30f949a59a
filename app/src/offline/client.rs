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

use super::engine::Progress;
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
    /// Where the running sync stands ("Syncing 1,200 of 5,000"), while one runs.
    pub progress: Option<Progress>,
    pub pending: usize,
    pub failed: usize,
    /// The server answered 401: everything is kept until the user signs in again.
    pub needs_sign_in: bool,
    /// The last sync run could not store what it received: the device's storage refused the
    /// write (full, most likely). The device's copy is as old as "last synced" says.
    pub storage_refused: bool,
    pub last_synced: Option<String>,
    /// Bumped on every change of the outbox, the issues or the snapshot (in any tab).
    pub changes: u64,
    /// A profile is open in this tab: its data key is in memory, the outbox can be used.
    pub unlocked: bool,
    /// Show the sign-in page instead of any content: offline with no open profile, or locked
    /// after the idle time. Never set on the server (its pages are the server's to guard).
    pub needs_unlock: bool,
    /// Bumped whenever the open profile changes (sign-in, lock, sign-out).
    pub access_epoch: u64,
    /// A new version of the app, as the service worker reports it.
    pub update: AppUpdate,
    /// This device's storage for the browser's site data, once known.
    pub storage: Option<StorageState>,
    /// An ADMIN revoked or deprovisioned this device: everything DRIMS kept on it was deleted.
    /// The words to show (why).
    pub wiped: Option<String>,
}

/// The state of a new version of the app (a new service worker) in this tab.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AppUpdate {
    #[default]
    None,
    /// Downloaded whole and waiting: the user decides when to switch.
    Available,
    /// The user asked to update, but a form on this page has input not saved yet.
    Unsaved,
    /// Switching: the page reloads once the new version has taken over.
    Applying,
    /// Another tab switched to the new version; this one reloads when its user says so.
    Applied,
    /// A file of the new version could not be downloaded: this version keeps running.
    Failed,
}

/// Persistent storage and the space used, from `navigator.storage`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StorageState {
    /// The browser will not clear this site's data under storage pressure.
    pub persisted: bool,
    pub usage: f64,
    pub quota: f64,
}

impl Default for SyncStatus {
    fn default() -> Self {
        Self {
            ready: false,
            online: true,
            syncing: false,
            progress: None,
            pending: 0,
            failed: 0,
            needs_sign_in: false,
            storage_refused: false,
            last_synced: None,
            changes: 0,
            unlocked: false,
            needs_unlock: false,
            access_epoch: 0,
            update: AppUpdate::None,
            storage: None,
            wiped: None,
        }
    }
}

impl SyncStatus {
    /// The pill's words, as DESIGN.md names them.
    pub fn label(&self) -> String {
        if !self.ready && self.online {
            // Server-rendered, before the client runs (or with JavaScript off, where there is
            // no queue on the device): the page came from the server, nothing more is known.
            "Online".into()
        } else if !self.online {
            "Offline – Working in offline mode".into()
        } else if self.needs_sign_in {
            "Online – Sign in to sync".into()
        } else if self.storage_refused && !self.syncing {
            "Online – Device storage full: cannot keep data".into()
        } else if let Some(text) = self.progress_text() {
            format!("Online – {text}")
        } else if self.syncing || self.pending > 0 {
            "Online – Syncing...".into()
        } else {
            "Online – Synced".into()
        }
    }

    /// "Syncing 1,200 of 5,000" while a run is sending, else nothing.
    pub fn progress_text(&self) -> Option<String> {
        let p = self.progress.filter(|p| self.syncing && p.total > 0)?;
        Some(format!(
            "Syncing {} of {}",
            thousands(p.done),
            thousands(p.total)
        ))
    }

    /// `ok` (green), `busy` (amber) or `offline` (red): the pill's class.
    pub fn tone(&self) -> &'static str {
        if !self.online || (self.storage_refused && !self.syncing) {
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

/// 5000 -> "5,000".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Everything kept on this device, read in one go.
#[derive(Clone, Debug, Default)]
pub struct LocalData {
    pub snapshot: Option<Snapshot>,
    pub pending: Vec<PendingOp>,
    pub issues: Vec<SyncIssue>,
    /// Issues the server settled since (newest first).
    pub resolved: Vec<super::ResolvedIssue>,
    /// When the snapshot was last refreshed (RFC 3339).
    pub last_synced: Option<String>,
}

/// Where an operation recorded on this device is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Whereabouts {
    /// Still in the outbox.
    Queued,
    /// Refused by the server: in Sync Issues, with its message.
    Refused(String),
    /// Neither: the server settled it (applied or pending confirmation).
    Sent,
}

/// What the sign-in form sends to the device.
#[derive(Clone, Debug)]
pub struct SignInForm {
    pub username: String,
    pub password: String,
    pub keep_offline: bool,
}

/// How a sign-in through the device ended.
#[derive(Clone, Debug, PartialEq)]
pub enum SignedIn {
    /// Signed in with the server: load the next page from it.
    Online,
    /// No network: the device's profile is open; the pages render from its data.
    Offline,
    /// The server deactivated the account; `pending` operations recorded here are kept and
    /// can be exported.
    Deactivated { pending: usize },
}

/// How a sign-out request ended.
#[derive(Clone, Debug, PartialEq)]
pub enum SignOut {
    /// Operations wait to be synced: ask before deleting them from the device.
    Pending(usize),
    /// Signed out; this user's data is gone from the device.
    Done,
}

/// The device side of offline mode, implemented over IndexedDB by the `frontend` crate.
pub trait OfflinePort {
    /// Signs in with the server (and keeps the device ready for offline use when asked), or,
    /// with no network, opens the user's profile on this device with the password.
    fn sign_in(&self, form: SignInForm) -> LocalFuture<Result<SignedIn, String>>;
    /// Signs out: with `force` false and operations waiting, only reports how many.
    fn sign_out(&self, force: bool) -> LocalFuture<Result<SignOut, String>>;
    /// Writes the open profile's unsynced operations to a file encrypted under `passphrase`
    /// (or, for a deactivated account, the profile opened with `credentials`). Resolves to the
    /// number of operations exported.
    fn export(
        &self,
        passphrase: String,
        credentials: Option<SignInForm>,
    ) -> LocalFuture<Result<usize, String>>;
    fn device_id(&self) -> String;
    /// Puts the operation in the outbox (taking it out of Sync Issues if it was there, in the
    /// same transaction) and wakes the engine. Resolves once it is stored.
    fn enqueue(&self, op: Operation) -> LocalFuture<Result<(), String>>;
    fn local_data(&self) -> LocalFuture<Result<LocalData, String>>;
    /// Where one operation of the open profile is now.
    fn whereabouts(&self, id: Uuid) -> LocalFuture<Result<Whereabouts, String>>;
    /// Removes a Sync Issue for good: only ever on a person's explicit decision.
    fn discard_issue(&self, id: Uuid) -> LocalFuture<Result<(), String>>;
    /// Empties the list of issues the server settled (their user has read it).
    fn clear_resolved(&self) -> LocalFuture<Result<(), String>>;
    /// Runs a sync now; resolves when that run has ended.
    fn sync_now(&self) -> LocalFuture<()>;
    /// Whether the server answers now (`/api/ping`).
    fn reachable(&self) -> LocalFuture<bool>;
    /// Switches to the waiting new version and reloads, unless (without `force`) a form on
    /// the page holds input not saved yet: then only reports it (`AppUpdate::Unsaved`).
    fn update_app(&self, force: bool);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pill_counts_a_running_sync_in_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1200), "1,200");
        assert_eq!(thousands(1_234_567), "1,234,567");
        let mut s = SyncStatus {
            ready: true,
            syncing: true,
            pending: 5000,
            progress: Some(Progress {
                done: 1200,
                total: 5000,
            }),
            ..SyncStatus::default()
        };
        assert_eq!(s.label(), "Online – Syncing 1,200 of 5,000");
        s.syncing = false;
        assert_eq!(s.label(), "Online – Syncing...", "ended: no stale progress");
        s.online = false;
        assert_eq!(s.label(), "Offline – Working in offline mode");
    }

    #[test]
    fn a_device_whose_storage_refused_the_sync_says_so() {
        let mut s = SyncStatus {
            ready: true,
            online: true,
            storage_refused: true,
            ..SyncStatus::default()
        };
        assert_eq!(s.label(), "Online – Device storage full: cannot keep data");
        assert_eq!(s.tone(), "offline");
        s.syncing = true;
        assert_eq!(s.label(), "Online – Syncing...", "a run going on says so");
        assert_eq!(s.tone(), "busy");
        s.syncing = false;
        s.online = false;
        assert_eq!(s.label(), "Offline – Working in offline mode");
    }
}
