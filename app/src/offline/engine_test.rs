//! The engine against an in-memory outbox and a fake server that, like the real one, applies
//! each operation id once and answers replays with the stored outcome.
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use futures::executor::block_on;
use uuid::Uuid;

use super::*;
use crate::ops::sync::{SnapshotUser, SyncResult};
use crate::ops::{DistributionPayload, OperationBody};

#[derive(Default)]
struct MemStore {
    pending: RefCell<Vec<PendingOp>>,
    issues: RefCell<Vec<SyncIssue>>,
    snapshots: RefCell<usize>,
}

impl OutboxStore for MemStore {
    async fn pending(&self) -> Result<Vec<PendingOp>, StoreError> {
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
    async fn save_snapshot(&self, _: Snapshot) -> Result<(), StoreError> {
        *self.snapshots.borrow_mut() += 1;
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
    async fn snapshot(&self) -> Result<Snapshot, TransportError> {
        Ok(Snapshot {
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
        })
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
    assert_eq!(
        calls.iter().map(Vec::len).collect::<Vec<_>>(),
        [100, 100, 50]
    );
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
    assert_eq!(engine.batch_size, 2);
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
