//! The sync engine: sends the outbox oldest first in batches and settles each operation only
//! on the server's word. Applied and pending-confirmation operations leave the outbox; refused
//! ones move to Sync Issues with their reason; on a network failure, timeout or 5xx everything
//! stays and the engine backs off; on 401 everything stays and the user is asked to sign in.
//! A crash between sending and settling is harmless: the server applies each id once, so the
//! resent batch comes back with the stored outcomes.
use std::collections::{HashMap, VecDeque};
use std::future::Future;

use uuid::Uuid;

use super::backoff::Backoff;
use super::{PendingOp, SyncIssue};
use crate::ops::sync::{Snapshot, SyncResponse, SyncResult, MAX_BATCH};
use crate::ops::Operation;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// No answer: offline, DNS, connection refused, or the request timed out.
    Network(String),
    /// The session is gone: keep everything, ask the user to sign in.
    Unauthorized,
    /// 5xx: the server failed; nothing was applied for certain, so retry.
    Server(u16),
    /// 4xx other than 401 for the whole batch: a client defect; keep and report it.
    Refused(u16, String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError(pub String);

/// The outbox and its neighbours. Implemented over IndexedDB in the browser.
#[allow(async_fn_in_trait)] // used through generics on one thread; no Send bound wanted
pub trait OutboxStore {
    /// Every pending operation, oldest first.
    async fn pending(&self) -> Result<Vec<PendingOp>, StoreError>;
    /// Removes operations the server has settled.
    async fn remove(&self, ids: &[Uuid]) -> Result<(), StoreError>;
    /// Moves one refused operation from the outbox to Sync Issues (one transaction).
    async fn move_to_issues(&self, issue: SyncIssue) -> Result<(), StoreError>;
    /// Counts a failed attempt for these operations.
    async fn record_attempt(&self, ids: &[Uuid], error: &str) -> Result<(), StoreError>;
    /// Stores a new snapshot and the server's tag for it (its `ETag`).
    async fn save_snapshot(
        &self,
        snapshot: Snapshot,
        tag: Option<String>,
    ) -> Result<(), StoreError>;
    /// The tag of the snapshot stored, to ask the server whether it changed.
    async fn snapshot_tag(&self) -> Result<Option<String>, StoreError>;
    /// The server said the stored snapshot is current: only the time of the sync changes.
    async fn snapshot_current(&self) -> Result<(), StoreError>;
}

/// How the server answered a snapshot request.
#[derive(Clone, Debug, PartialEq)]
pub enum SnapshotAnswer {
    /// A new snapshot, with its tag.
    Fresh(Box<Snapshot>, Option<String>),
    /// The one the device holds is current (`304 Not Modified`: one round trip, no body).
    Unchanged,
}

pub trait SyncTransport {
    fn sync(
        &self,
        device_id: &str,
        ops: &[Operation],
    ) -> impl Future<Output = Result<SyncResponse, TransportError>>;
    /// The snapshot, unless the one tagged `tag` is still current.
    fn snapshot(
        &self,
        tag: Option<&str>,
    ) -> impl Future<Output = Result<SnapshotAnswer, TransportError>>;
}

/// How a run ended: what the status pill and the scheduler act on.
#[derive(Clone, Debug, PartialEq)]
pub enum RunEnd {
    /// The outbox is empty and the snapshot refreshed (or there was nothing to do).
    Synced,
    /// Operations remain; try again after this many milliseconds.
    RetryIn(u64),
    /// Keep everything and show "Sign in to sync".
    NeedsSignIn,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunReport {
    pub applied: usize,
    pub pending_confirmation: usize,
    pub rejected: usize,
    pub snapshot_refreshed: bool,
    /// Batches the server answered.
    pub batches: usize,
}

/// Where a run stands: operations settled so far (applied, pending confirmation or moved to
/// Sync Issues) out of all it has to send ("Syncing 1,200 of 5,000").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// The first batch of a page's life; later ones follow [`next_batch_size`].
pub const FIRST_BATCH: usize = 100;
/// Batches never shrink below this on slow answers or failures (a 413 may go lower).
pub const MIN_BATCH: usize = 10;
/// A full batch answered within this grows the next one (doubled, up to `MAX_BATCH`).
pub const GROW_WITHIN_MS: f64 = 8_000.0;
/// A batch answered after this shrinks the next one (halved): the request timeout is 30 s.
pub const SHRINK_AFTER_MS: f64 = 20_000.0;

/// The adaptive batch size: few round trips on a slow, far link (2G: 800 ms each), never a
/// batch so large that it cannot finish before the request times out, nor above `ceiling`
/// (the largest the server took, once it answered 413).
pub fn next_batch_size(current: usize, sent: usize, elapsed_ms: f64, ceiling: usize) -> usize {
    let next = if elapsed_ms > SHRINK_AFTER_MS {
        sent / 2
    } else if sent >= current && elapsed_ms < GROW_WITHIN_MS {
        current * 2
    } else {
        current
    };
    next.clamp(MIN_BATCH.min(ceiling), ceiling.clamp(1, MAX_BATCH))
}

pub struct SyncEngine<S, T> {
    pub store: S,
    pub transport: T,
    pub device_id: String,
    pub batch_size: usize,
    /// The largest batch the server accepted after refusing a larger one as too large (413).
    pub batch_ceiling: usize,
    pub backoff: Backoff,
    /// Milliseconds on a monotonic clock: how long each batch took (sizes the next one).
    pub clock: Box<dyn Fn() -> f64>,
    /// Told where the run stands: at its start and after every batch.
    pub progress: Option<Box<dyn FnMut(Progress)>>,
    /// Consecutive failed runs; drives the backoff, reset by a successful exchange.
    failures: u32,
}

impl<S: OutboxStore, T: SyncTransport> SyncEngine<S, T> {
    pub fn new(store: S, transport: T, device_id: impl Into<String>) -> Self {
        Self {
            store,
            transport,
            device_id: device_id.into(),
            batch_size: FIRST_BATCH,
            batch_ceiling: MAX_BATCH,
            backoff: Backoff::default(),
            clock: Box::new(|| 0.0),
            progress: None,
            failures: 0,
        }
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }

    fn tell(&mut self, done: usize, total: usize) {
        if let Some(progress) = self.progress.as_mut() {
            progress(Progress { done, total });
        }
    }

    /// One sync run. `now` stamps Sync Issues; `unit` is a random value in [0, 1) for jitter.
    ///
    /// The outbox is read once (and once more when it has been sent, for what was recorded
    /// meanwhile): a run over n operations decrypts each once, not once per batch.
    pub async fn run(&mut self, now: &str, unit: f64) -> Result<(RunEnd, RunReport), StoreError> {
        let mut report = RunReport::default();
        let mut queue: VecDeque<PendingOp> = self.store.pending().await?.into();
        let mut done = 0;
        let mut total = queue.len();
        if total > 0 {
            self.tell(done, total);
        }
        loop {
            if queue.is_empty() {
                // Recorded while this run went on: sent in the same run.
                queue = self.store.pending().await?.into();
                if queue.is_empty() {
                    break;
                }
                total = done + queue.len();
                self.tell(done, total);
            }
            let take = self.batch_size.clamp(1, queue.len());
            let batch: Vec<&PendingOp> = queue.iter().take(take).collect();
            let ops: Vec<Operation> = batch.iter().map(|p| p.op.clone()).collect();
            let ids: Vec<Uuid> = ops.iter().map(|o| o.id).collect();
            let started = (self.clock)();
            let response = match self.transport.sync(&self.device_id, &ops).await {
                Ok(response) => response,
                Err(TransportError::Unauthorized) => return Ok((RunEnd::NeedsSignIn, report)),
                // Too large: halve the batch and go on at once (one operation too large is a
                // permanent refusal, below).
                Err(TransportError::Refused(413, _)) if take > 1 => {
                    self.batch_size = (take / 2).max(1);
                    self.batch_ceiling = self.batch_size;
                    continue;
                }
                Err(TransportError::Refused(code, body)) if permanent(code) => {
                    // The same batch would be refused again: each operation goes to Sync
                    // Issues with the server's reason, to be fixed and sent again, or
                    // discarded by a person. Never retried forever, never dropped.
                    let (reason, message) = refusal(code, &body);
                    for op in &ops {
                        report.rejected += 1;
                        self.store
                            .move_to_issues(SyncIssue {
                                op: op.clone(),
                                reason: reason.clone(),
                                message: message.clone(),
                                failed_at: now.to_string(),
                                user_id: p_user(&batch, op.id),
                            })
                            .await?;
                    }
                    queue.drain(..take);
                    done += take;
                    self.tell(done, total);
                    continue;
                }
                Err(err) => {
                    let text = match &err {
                        TransportError::Network(m) => format!("network: {m}"),
                        TransportError::Server(code) => format!("server error {code}"),
                        TransportError::Refused(code, m) => format!("refused {code}: {m}"),
                        TransportError::Unauthorized => unreachable!("handled above"),
                    };
                    // No answer may mean the batch was too much for the link before the
                    // request timed out: try a smaller one next time.
                    if matches!(err, TransportError::Network(_)) {
                        self.batch_size = (take / 2).max(MIN_BATCH).min(self.batch_size);
                    }
                    self.store.record_attempt(&ids, &text).await?;
                    self.failures = self.failures.saturating_add(1);
                    return Ok((
                        RunEnd::RetryIn(self.backoff.delay_ms(self.failures, unit)),
                        report,
                    ));
                }
            };
            self.failures = 0;
            report.batches += 1;
            let elapsed = (self.clock)() - started;
            self.batch_size = next_batch_size(self.batch_size, take, elapsed, self.batch_ceiling);
            let answers: HashMap<String, &SyncResult> = response
                .results
                .iter()
                .filter_map(|r| r.id.as_str().map(|id| (id.to_string(), r)))
                .collect();
            let mut settled = Vec::new();
            let mut unanswered = Vec::new();
            for op in &ops {
                match answers.get(&op.id.to_string()) {
                    Some(r) if r.status == "applied" => {
                        report.applied += 1;
                        settled.push(op.id);
                    }
                    Some(r) if r.status == "pending_confirmation" => {
                        report.pending_confirmation += 1;
                        settled.push(op.id);
                    }
                    Some(r) if r.status == "rejected" => {
                        report.rejected += 1;
                        self.store
                            .move_to_issues(SyncIssue {
                                op: op.clone(),
                                reason: r.reason.clone().unwrap_or_else(|| "invalid".into()),
                                message: r.message.clone(),
                                failed_at: now.to_string(),
                                user_id: p_user(&batch, op.id),
                            })
                            .await?;
                    }
                    // No (or an unknown) answer for this id: it stays for the next run.
                    _ => unanswered.push(op.id),
                }
            }
            self.store.remove(&settled).await?;
            queue.drain(..take);
            done += take - unanswered.len();
            self.tell(done, total);
            if !unanswered.is_empty() {
                self.store
                    .record_attempt(&unanswered, "no result from the server")
                    .await?;
                self.failures = 1;
                return Ok((RunEnd::RetryIn(self.backoff.delay_ms(1, unit)), report));
            }
        }
        let tag = self.store.snapshot_tag().await?;
        match self.transport.snapshot(tag.as_deref()).await {
            Ok(SnapshotAnswer::Fresh(snapshot, tag)) => {
                self.store.save_snapshot(*snapshot, tag).await?;
                report.snapshot_refreshed = true;
            }
            Ok(SnapshotAnswer::Unchanged) => {
                self.store.snapshot_current().await?;
                report.snapshot_refreshed = true;
            }
            Err(_) => {}
        }
        Ok((RunEnd::Synced, report))
    }
}

/// A whole-batch answer that retrying cannot change: any 4xx but 401 (sign in), 408 (timeout)
/// and 429 (busy), which are retried with the backoff.
fn permanent(code: u16) -> bool {
    (400..500).contains(&code) && !matches!(code, 401 | 408 | 429)
}

/// The reason code and message of a refused batch, from the server's
/// `{"error": {"code", "message"}}` body when it has one.
fn refusal(code: u16, body: &str) -> (String, String) {
    let parsed: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let text = |key: &str| {
        parsed
            .pointer(&format!("/error/{key}"))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    (
        text("code").unwrap_or_else(|| "refused".into()),
        text("message")
            .unwrap_or_else(|| format!("The server refused the whole batch (HTTP {code}).")),
    )
}

fn p_user(batch: &[&PendingOp], id: Uuid) -> Option<i64> {
    batch.iter().find(|p| p.op.id == id).and_then(|p| p.user_id)
}

#[cfg(test)]
#[path = "engine_test.rs"]
mod tests;
