//! The engine against an in-memory outbox and a fake server that, like the real one, applies
//! each operation id once and answers replays with the stored outcome.
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use futures::executor::block_on;
use uuid::Uuid;

use super::*;
use crate::ops::sync::{SnapshotUser, SyncResult};
use crate::ops::{DistributionPayload, OperationBody};

#[derive(Default)]
struct MemStore {
    pending: RefCell<Vec<PendingOp>>,
    reads: Cell<usize>,
    issues: RefCell<Vec<SyncIssue>>,
    snapshots: RefCell<usize>,
    tag: RefCell<Option<String>>,
    /// Times the server said the stored snapshot was current.
    current: Cell<usize>,
}

impl OutboxStore for MemStore {
    async fn pending(&self) -> Result<Vec<PendingOp>, StoreError> {
        self.reads.set(self.reads.get() + 1);
        let mut v = self.pending.borrow().clone();
        v.sort_by_key(|p| p.seq);
        Ok(v)
    }
    async fn remove(&self, ids: &[Uuid]) -> Result<(), StoreError> {
        self.pending
            .borrow_mut()
            .retain(|p| !ids.contains(&p.op.id));
        Ok(())
    }
    async fn move_to_issues(&self, issue: SyncIssue) -> Result<(), StoreError> {
        self.pending.borrow_mut().retain(|p| p.op.id != issue.op.id);
        self.issues.borrow_mut().push(issue);
        Ok(())
    }
    async fn record_attempt(&self, ids: &[Uuid], error: &str) -> Result<(), StoreError> {
        for p in self
            .pending
            .borrow_mut()
            .iter_mut()
            .filter(|p| ids.contains(&p.op.id))
        {
            p.attempts += 1;
            p.last_error = Some(error.to_string());
        }
        Ok(())
    }
    async fn save_snapshot(&self, _: Snapshot, tag: Option<String>) -> Result<(), StoreError> {
        *self.snapshots.borrow_mut() += 1;
        *self.tag.borrow_mut() = tag;
        Ok(())
    }
    async fn snapshot_tag(&self) -> Result<Option<String>, StoreError> {
        Ok(self.tag.borrow().clone())
    }
    async fn snapshot_current(&self) -> Result<(), StoreError> {
        self.current.set(self.current.get() + 1);
        Ok(())
    }
}

enum Next {
    Fail(TransportError),
    /// Applies the batch, then the answer is lost (crash or dropped connection).
    ApplyThenLoseAnswer,
    /// Answers, but leaves this operation out of the results.
    Omit(Uuid),
}

#[derive(Default)]
struct FakeServer {
    outcomes: RefCell<HashMap<Uuid, SyncResult>>,
    applications: RefCell<usize>,
    calls: RefCell<Vec<Vec<Uuid>>>,
    script: RefCell<VecDeque<Next>>,
    /// A link and a server with a cost: each call moves the clock by one round trip plus the
    /// time per operation.
    clock: Rc<Cell<f64>>,
    tags_asked: RefCell<Vec<Option<String>>>,
    round_trip_ms: f64,
    ms_per_op: f64,
}

impl FakeServer {
    fn apply(&self, ops: &[Operation]) -> Vec<SyncResult> {
        ops.iter()
            .map(|op| {
                let mut outcomes = self.outcomes.borrow_mut();
                if let Some(stored) = outcomes.get(&op.id).filter(|r| r.status != "rejected") {
                    return stored.clone();
                }
                let qty = match &op.body {
                    OperationBody::Distribution(p) => p.quantity,
                    _ => 1,
                };
                let result = if qty > 100 {
                    SyncResult {
                        id: serde_json::Value::String(op.id.to_string()),
                        status: "rejected".into(),
                        reason: Some("stock_insufficient".into()),
                        message: "Only 100 in stock".into(),
                        reference: None,
                    }
                } else {
                    *self.applications.borrow_mut() += 1;
                    SyncResult {
                        id: serde_json::Value::String(op.id.to_string()),
                        status: "applied".into(),
                        reason: None,
                        message: "ok".into(),
                        reference: Some("movement:1".into()),
                    }
                };
                outcomes.insert(op.id, result.clone());
                result
            })
            .collect()
    }
}

impl SyncTransport for &FakeServer {
    async fn sync(&self, _device: &str, ops: &[Operation]) -> Result<SyncResponse, TransportError> {
        self.calls
            .borrow_mut()
            .push(ops.iter().map(|o| o.id).collect());
        self.clock
            .set(self.clock.get() + self.round_trip_ms + self.ms_per_op * ops.len() as f64);
        let next = self.script.borrow_mut().pop_front();
        let respond = |results| SyncResponse {
            results,
            server_time: "now".into(),
            snapshot_version: 1,
        };
        match next {
            Some(Next::Fail(e)) => Err(e),
            Some(Next::ApplyThenLoseAnswer) => {
                self.apply(ops);
                Err(TransportError::Network("connection reset".into()))
            }
            Some(Next::Omit(id)) => {
                let mut results = self.apply(ops);
                results.retain(|r| r.id != serde_json::Value::String(id.to_string()));
                Ok(respond(results))
            }
            None => Ok(respond(self.apply(ops))),
        }
    }
    async fn snapshot(&self, tag: Option<&str>) -> Result<SnapshotAnswer, TransportError> {
        // Like the server: the tag of the data; the same tag back means nothing changed.
        let now = format!("v{}", self.applications.borrow());
        self.tags_asked.borrow_mut().push(tag.map(str::to_string));
        if tag == Some(now.as_str()) {
            return Ok(SnapshotAnswer::Unchanged);
        }
        Ok(SnapshotAnswer::Fresh(
            Box::new(Snapshot {
                user: SnapshotUser {
                    id: 1,
                    username: "sub".into(),
                    display_name: None,
                    role: crate::domain::Role::SubHubUser,
                    hub_id: Some(3),
                },
                capabilities: vec![],
                hubs: vec![],
                items: vec![],
                events: vec![],
                needs_lists: vec![],
                destinations: vec![],
                version: 1,
                generated_at: "now".into(),
            }),
            Some(now),
        ))
    }
}

fn distribution(seq: u64, quantity: i64) -> PendingOp {
    let body = OperationBody::Distribution(DistributionPayload {
        item_id: 1,
        quantity,
        beneficiary: "Mary".into(),
        event_id: None,
        notes: None,
    });
    PendingOp {
        op: Operation::new(
            3,
            "laptop",
            body,
            format!("2026-11-22T10:00:{:02}Z", seq % 60),
        ),
        seq,
        attempts: 0,
        last_error: None,
        user_id: None,
    }
}

fn outbox(quantities: &[i64]) -> MemStore {
    let store = MemStore::default();
    // Inserted out of order: the engine must still send by `seq`.
    let mut ops: Vec<PendingOp> = quantities
        .iter()
        .enumerate()
        .map(|(i, q)| distribution(i as u64, *q))
        .collect();
    ops.reverse();
    *store.pending.borrow_mut() = ops;
    store
}

#[test]
fn sends_oldest_first_in_batches_and_empties_the_outbox() {
    let server = FakeServer::default();
    let store = outbox(&[1; 250]);
    let expected: Vec<Uuid> = block_on(store.pending())
        .unwrap()
        .iter()
        .map(|p| p.op.id)
        .collect();
    let mut engine = SyncEngine::new(store, &server, "laptop");
    let (end, report) = block_on(engine.run("t", 0.5)).unwrap();
    assert_eq!(end, RunEnd::Synced);
    assert_eq!(report.applied, 250);
    let calls = server.calls.borrow();
    // Answered at once, each full batch doubles the next.
    assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [100, 150]);
    assert_eq!(report.batches, 2);
    assert_eq!(
        calls.concat(),
        expected,
        "oldest first, order kept across batches"
    );
    assert!(engine.store.pending.borrow().is_empty());
    assert!(report.snapshot_refreshed);
    assert_eq!(*engine.store.snapshots.borrow(), 1);
}

#[test]
fn refused_operations_move_to_sync_issues_and_the_rest_are_removed() {
    let server = FakeServer::default();
    let mut engine = SyncEngine::new(outbox(&[5, 500, 7]), &server, "laptop");
    let (end, report) = block_on(engine.run("2026-11-22T12:00:00Z", 0.5)).unwrap();
    assert_eq!(end, RunEnd::Synced);
    assert_eq!((report.applied, report.rejected), (2, 1));
    let issues = engine.store.issues.borrow();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].reason, "stock_insufficient");
    assert_eq!(issues[0].message, "Only 100 in stock");
    assert_eq!(issues[0].failed_at, "2026-11-22T12:00:00Z");
    assert!(
        matches!(&issues[0].op.body, OperationBody::Distribution(p) if p.quantity == 500),
        "what was entered is kept"
    );
    assert!(engine.store.pending.borrow().is_empty());
}

#[test]
fn an_operation_without_an_answer_stays() {
    let server = FakeServer::default();
    let store = outbox(&[1, 2, 3]);
    let second = block_on(store.pending()).unwrap()[1].op.id;
    server.script.borrow_mut().push_back(Next::Omit(second));
    let mut engine = SyncEngine::new(store, &server, "laptop");
    let (end, report) = block_on(engine.run("t", 0.5)).unwrap();
    assert!(matches!(end, RunEnd::RetryIn(_)));
    assert_eq!(report.applied, 2);
    let left = engine.store.pending.borrow().clone();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].op.id, second);
    assert_eq!(left[0].attempts, 1);
    let (end, _) = block_on(engine.run("t", 0.5)).unwrap();
    assert_eq!(end, RunEnd::Synced);
    assert!(engine.store.pending.borrow().is_empty());
}

#[test]
fn network_failures_keep_everything_and_back_off_with_a_cap() {
    let server = FakeServer::default();
    for _ in 0..12 {
        server
            .script
            .borrow_mut()
            .push_back(Next::Fail(TransportError::Network("offline".into())));
    }
    let mut engine = SyncEngine::new(outbox(&[1, 2]), &server, "laptop");
    let mut delays = Vec::new();
    for _ in 0..12 {
        let (end, report) = block_on(engine.run("t", 0.5)).unwrap();
        assert_eq!(report, RunReport::default());
        match end {
            RunEnd::RetryIn(ms) => delays.push(ms),
            other => panic!("expected a retry, got {other:?}"),
        }
    }
    assert_eq!(&delays[..4], &[2_000, 4_000, 8_000, 16_000]);
    assert_eq!(*delays.last().unwrap(), 300_000, "capped at five minutes");
    let pending = engine.store.pending.borrow().clone();
    assert_eq!(pending.len(), 2, "nothing dropped");
    assert!(pending
        .iter()
        .all(|p| p.attempts == 12 && p.last_error.as_deref() == Some("network: offline")));
    assert_eq!(
        *engine.store.snapshots.borrow(),
        0,
        "no snapshot while failing"
    );
    let (end, _) = block_on(engine.run("t", 0.5)).unwrap();
    assert_eq!(end, RunEnd::Synced);
    assert_eq!(
        engine.consecutive_failures(),
        0,
        "success resets the backoff"
    );
}

#[test]
fn server_errors_are_retried_like_network_errors() {
    let server = FakeServer::default();
    server
        .script
        .borrow_mut()
        .push_back(Next::Fail(TransportError::Server(503)));
    let mut engine = SyncEngine::new(outbox(&[1]), &server, "laptop");
    let (end, _) = block_on(engine.run("t", 0.0)).unwrap();
    assert_eq!(end, RunEnd::RetryIn(1_500));
    assert_eq!(
        engine.store.pending.borrow()[0].last_error.as_deref(),
        Some("server error 503")
    );
    assert_eq!(block_on(engine.run("t", 0.0)).unwrap().0, RunEnd::Synced);
}

#[test]
fn a_whole_batch_refused_for_good_goes_to_sync_issues_not_round_in_circles() {
    let server = FakeServer::default();
    server.script.borrow_mut().push_back(Next::Fail(TransportError::Refused(
        400,
        r#"{"error":{"code":"invalid","message":"device_id is required (at most 100 characters).","field":"device_id"}}"#.into(),
    )));
    let mut engine = SyncEngine::new(outbox(&[1, 2]), &server, "laptop");
    let (end, report) = block_on(engine.run("t", 0.0)).unwrap();
    assert_eq!(end, RunEnd::Synced, "nothing is left to retry");
    assert_eq!(report.rejected, 2);
    assert!(engine.store.pending.borrow().is_empty());
    let issues = engine.store.issues.borrow();
    assert_eq!(issues.len(), 2, "kept, for a person to fix or discard");
    assert!(issues
        .iter()
        .all(|i| i.reason == "invalid"
            && i.message == "device_id is required (at most 100 characters)."));
    assert_eq!(*server.applications.borrow(), 0);
}

#[test]
fn busy_and_timeouts_are_retried_and_too_large_halves_the_batch() {
    for code in [408, 429] {
        let server = FakeServer::default();
        server
            .script
            .borrow_mut()
            .push_back(Next::Fail(TransportError::Refused(code, String::new())));
        let mut engine = SyncEngine::new(outbox(&[1]), &server, "laptop");
        assert!(matches!(
            block_on(engine.run("t", 0.0)).unwrap().0,
            RunEnd::RetryIn(_)
        ));
        assert_eq!(
            engine.store.pending.borrow().len(),
            1,
            "{code} keeps it queued"
        );
        assert!(engine.store.issues.borrow().is_empty());
    }
    let server = FakeServer::default();
    server
        .script
        .borrow_mut()
        .push_back(Next::Fail(TransportError::Refused(413, "too large".into())));
    let mut engine = SyncEngine::new(outbox(&[1, 2, 3, 4]), &server, "laptop");
    engine.batch_size = 4;
    let (end, report) = block_on(engine.run("t", 0.0)).unwrap();
    assert_eq!((end, report.applied), (RunEnd::Synced, 4));
    assert_eq!(
        server
            .calls
            .borrow()
            .iter()
            .map(Vec::len)
            .collect::<Vec<_>>(),
        [4, 2, 2]
    );
    assert_eq!(
        engine.batch_size, 2,
        "never again above what the server took"
    );
    assert!(engine.store.issues.borrow().is_empty());
}

#[test]
fn a_lost_session_keeps_everything_and_asks_to_sign_in() {
    let server = FakeServer::default();
    server
        .script
        .borrow_mut()
        .push_back(Next::Fail(TransportError::Unauthorized));
    let mut engine = SyncEngine::new(outbox(&[1, 2, 3]), &server, "laptop");
    let (end, _) = block_on(engine.run("t", 0.5)).unwrap();
    assert_eq!(end, RunEnd::NeedsSignIn);
    let pending = engine.store.pending.borrow().clone();
    assert_eq!(pending.len(), 3);
    assert!(
        pending.iter().all(|p| p.attempts == 0),
        "a 401 is not the operations' fault"
    );
    assert_eq!(*server.applications.borrow(), 0);
}

#[test]
fn a_crash_between_send_and_confirm_is_harmless() {
    let server = FakeServer::default();
    server
        .script
        .borrow_mut()
        .push_back(Next::ApplyThenLoseAnswer);
    let mut engine = SyncEngine::new(outbox(&[4, 6]), &server, "laptop");
    let (end, _) = block_on(engine.run("t", 0.5)).unwrap();
    assert!(matches!(end, RunEnd::RetryIn(_)));
    assert_eq!(
        engine.store.pending.borrow().len(),
        2,
        "unconfirmed, so kept"
    );
    assert_eq!(
        *server.applications.borrow(),
        2,
        "the server did apply them"
    );
    let (end, report) = block_on(engine.run("t", 0.5)).unwrap();
    assert_eq!(end, RunEnd::Synced);
    assert_eq!(
        report.applied, 2,
        "the replay answers with the stored outcomes"
    );
    assert_eq!(*server.applications.borrow(), 2, "applied exactly once");
    assert!(engine.store.pending.borrow().is_empty());
}

fn timed<'a>(server: &'a FakeServer, quantities: &[i64]) -> SyncEngine<MemStore, &'a FakeServer> {
    let mut engine = SyncEngine::new(outbox(quantities), server, "laptop");
    let clock = Rc::clone(&server.clock);
    engine.clock = Box::new(move || clock.get());
    engine
}

#[test]
fn batches_grow_on_a_fast_answer_up_to_the_limit_and_the_outbox_is_read_once() {
    // A 2G round trip (800 ms) and a quick server: the batch doubles up to MAX_BATCH.
    let server = FakeServer {
        round_trip_ms: 800.0,
        ms_per_op: 2.0,
        ..FakeServer::default()
    };
    let mut engine = timed(&server, &[1; 5000]);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&seen);
    engine.progress = Some(Box::new(move |p| log.borrow_mut().push(p)));
    let (end, report) = block_on(engine.run("t", 0.5)).unwrap();
    assert_eq!(
        (end, report.applied, report.batches),
        (RunEnd::Synced, 5000, 8)
    );
    assert_eq!(
        server
            .calls
            .borrow()
            .iter()
            .map(Vec::len)
            .collect::<Vec<_>>(),
        [100, 200, 400, 800, 1000, 1000, 1000, 500]
    );
    assert_eq!(*server.applications.borrow(), 5000, "each once");
    // At the start, then after each batch: "Syncing 1,500 of 5,000".
    let done: Vec<usize> = seen.borrow().iter().map(|p| p.done).collect();
    assert_eq!(done, [0, 100, 300, 700, 1500, 2500, 3500, 4500, 5000]);
    assert!(seen.borrow().iter().all(|p| p.total == 5000));
    assert_eq!(
        engine.store.reads.get(),
        2,
        "once to start, once to find what was recorded meanwhile: not once per batch"
    );
}

#[test]
fn a_slow_answer_stops_the_growth_and_a_slower_one_halves_the_batch() {
    // 30 ms per operation: 100 (3.8 s) and 200 (6.8 s) grow, 400 (12.8 s) stays.
    let server = FakeServer {
        round_trip_ms: 800.0,
        ms_per_op: 30.0,
        ..FakeServer::default()
    };
    let mut engine = timed(&server, &[1; 1500]);
    block_on(engine.run("t", 0.5)).unwrap();
    assert_eq!(
        server
            .calls
            .borrow()
            .iter()
            .map(Vec::len)
            .collect::<Vec<_>>(),
        [100, 200, 400, 400, 400]
    );
    // 60 ms per operation: a batch of 400 takes 24.8 s, past SHRINK_AFTER_MS: halved.
    let server = FakeServer {
        round_trip_ms: 800.0,
        ms_per_op: 60.0,
        ..FakeServer::default()
    };
    let mut engine = timed(&server, &[1; 700]);
    engine.batch_size = 400;
    block_on(engine.run("t", 0.5)).unwrap();
    assert_eq!(
        server
            .calls
            .borrow()
            .iter()
            .map(Vec::len)
            .collect::<Vec<_>>(),
        [400, 200, 100]
    );
}

#[test]
fn no_answer_halves_the_next_batch_but_not_below_the_minimum() {
    let server = FakeServer::default();
    server
        .script
        .borrow_mut()
        .push_back(Next::Fail(TransportError::Network("timed out".into())));
    let mut engine = timed(&server, &[1; 800]);
    engine.batch_size = 800;
    let (end, _) = block_on(engine.run("t", 0.5)).unwrap();
    assert!(matches!(end, RunEnd::RetryIn(_)));
    assert_eq!(engine.batch_size, 400);
    assert_eq!(engine.store.pending.borrow().len(), 800, "all kept");
    for _ in 0..10 {
        server
            .script
            .borrow_mut()
            .push_back(Next::Fail(TransportError::Network("timed out".into())));
        block_on(engine.run("t", 0.5)).unwrap();
    }
    assert_eq!(engine.batch_size, MIN_BATCH);
    let (end, report) = block_on(engine.run("t", 0.5)).unwrap();
    assert_eq!((end, report.applied), (RunEnd::Synced, 800));
}

#[test]
fn an_unchanged_snapshot_is_not_downloaded_again() {
    let server = FakeServer::default();
    let mut engine = SyncEngine::new(outbox(&[1, 2]), &server, "laptop");
    let (_, report) = block_on(engine.run("t", 0.5)).unwrap();
    assert!(report.snapshot_refreshed);
    assert_eq!(*engine.store.snapshots.borrow(), 1);
    // Nothing changed on the server: the device sends the tag it holds, gets "unchanged".
    let (end, report) = block_on(engine.run("t", 0.5)).unwrap();
    assert_eq!(end, RunEnd::Synced);
    assert!(report.snapshot_refreshed, "the device's copy is current");
    assert_eq!(*engine.store.snapshots.borrow(), 1, "not stored again");
    assert_eq!(engine.store.current.get(), 1);
    // Something changed: a new snapshot, stored with its new tag.
    engine.store.pending.borrow_mut().push(distribution(9, 1));
    block_on(engine.run("t", 0.5)).unwrap();
    assert_eq!(*engine.store.snapshots.borrow(), 2);
    assert_eq!(
        *server.tags_asked.borrow(),
        [None, Some("v2".into()), Some("v2".into())]
    );
    assert_eq!(engine.store.tag.borrow().as_deref(), Some("v3"));
}
