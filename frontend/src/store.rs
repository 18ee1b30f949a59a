//! The device's offline data in IndexedDB (database `drims`, through rexie): the outbox, the
//! last snapshot split per hub and per user/hub, Sync Issues and `meta`. Every value passes
//! through `codec`, the one place where encryption at rest will wrap it. Inside a transaction
//! nothing but IndexedDB requests is awaited.
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use app::offline::engine::{OutboxStore, StoreError};
use app::offline::{PendingOp, SyncIssue};
use app::ops::sync::{Snapshot, SnapshotHub, SnapshotNeedsList};
use app::ops::Operation;
use rexie::{ObjectStore, Rexie, TransactionMode};
use uuid::Uuid;
use wasm_bindgen::JsValue;

use crate::codec::{decode, encode};

pub const DB_NAME: &str = "drims";
/// Schema version. An upgrade adds stores (rexie creates what is missing on open); a change
/// of record shape bumps this and converts records in the upgrade.
pub const DB_VERSION: u32 = 1;

pub const PENDING: &str = "pending_operations";
pub const INVENTORY: &str = "last_synced_inventory";
pub const NEEDS_LISTS: &str = "last_synced_needs_lists";
pub const ISSUES: &str = "sync_issues";
pub const META: &str = "meta";
pub const ALL_STORES: [&str; 5] = [PENDING, INVENTORY, NEEDS_LISTS, ISSUES, META];

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

async fn open() -> Result<Rexie, StoreError> {
    let mut builder = Rexie::builder(DB_NAME).version(DB_VERSION);
    for name in ALL_STORES {
        builder = builder.add_object_store(ObjectStore::new(name));
    }
    builder.build().await.map_err(err)
}

/// The stores, opened once per page. Cloning shares the connection.
#[derive(Clone, Default)]
pub struct IdbStore {
    db: Rc<RefCell<Option<Rc<Rexie>>>>,
    /// The signed-in user: only their operations are sent, only their snapshot is read.
    user: Rc<Cell<Option<i64>>>,
    seq: Rc<Cell<u64>>,
}

impl IdbStore {
    async fn db(&self) -> Result<Rc<Rexie>, StoreError> {
        if let Some(db) = self.db.borrow().as_ref() {
            return Ok(Rc::clone(db));
        }
        let db = Rc::new(open().await?);
        *self.db.borrow_mut() = Some(Rc::clone(&db));
        Ok(db)
    }

    pub fn set_user(&self, user: Option<i64>) {
        self.user.set(user);
    }

    pub fn user(&self) -> Option<i64> {
        self.user.get()
    }

    /// Monotonic within a tab, time-ordered across tabs.
    fn next_seq(&self) -> u64 {
        let now = js_sys::Date::now() as u64 * 1000;
        let next = now.max(self.seq.get() + 1);
        self.seq.set(next);
        next
    }

    pub async fn meta_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&[META], TransactionMode::ReadOnly)
            .map_err(err)?;
        let value = tx
            .store(META)
            .map_err(err)?
            .get(key.into())
            .await
            .map_err(err)?;
        value.map(|v| decode::<String>(&v)).transpose()
    }

    pub async fn meta_put(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&[META], TransactionMode::ReadWrite)
            .map_err(err)?;
        let store = tx.store(META).map_err(err)?;
        store
            .put(&encode(&value.to_string())?, Some(&key.into()))
            .await
            .map_err(err)?;
        tx.done().await.map_err(err)?;
        Ok(())
    }

    /// Queues an operation; if it was a Sync Issue (edit and retry), it leaves the issues in
    /// the same transaction.
    pub async fn enqueue(&self, op: Operation) -> Result<(), StoreError> {
        let key = JsValue::from_str(&op.id.to_string());
        let record = PendingOp {
            op,
            seq: self.next_seq(),
            attempts: 0,
            last_error: None,
            user_id: self.user(),
        };
        let value = encode(&record)?;
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING, ISSUES], TransactionMode::ReadWrite)
            .map_err(err)?;
        let issues = tx.store(ISSUES).map_err(err)?;
        let pending = tx.store(PENDING).map_err(err)?;
        // Both requests in flight at once (they run in order inside the transaction): one
        // round trip to IndexedDB instead of two, which is most of the time a save takes.
        let (deleted, put) =
            futures::future::join(issues.delete(key.clone()), pending.put(&value, Some(&key)))
                .await;
        deleted.map_err(err)?;
        put.map_err(err)?;
        tx.done().await.map_err(err)?;
        Ok(())
    }

    pub async fn discard_issue(&self, id: Uuid) -> Result<(), StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&[ISSUES], TransactionMode::ReadWrite)
            .map_err(err)?;
        tx.store(ISSUES)
            .map_err(err)?
            .delete(JsValue::from_str(&id.to_string()))
            .await
            .map_err(err)?;
        tx.done().await.map_err(err)?;
        Ok(())
    }

    /// Pending and refused operations on this device, and the last sync time: cheap counts
    /// for the status pill (every user's records on the device are counted).
    pub async fn counts(&self) -> Result<(usize, usize, Option<String>), StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING, ISSUES, META], TransactionMode::ReadOnly)
            .map_err(err)?;
        let pending = tx
            .store(PENDING)
            .map_err(err)?
            .count(None)
            .await
            .map_err(err)?;
        let failed = tx
            .store(ISSUES)
            .map_err(err)?
            .count(None)
            .await
            .map_err(err)?;
        let last = tx
            .store(META)
            .map_err(err)?
            .get("last_sync".into())
            .await
            .map_err(err)?;
        tx.done().await.map_err(err)?;
        let last = last.map(|v| decode::<String>(&v)).transpose()?;
        Ok((pending as usize, failed as usize, last))
    }

    fn mine(&self, user: Option<i64>) -> bool {
        // Records without an owner (queued before the user was known) belong to whoever
        // signs in next on this device.
        match (self.user(), user) {
            (Some(me), Some(owner)) => me == owner,
            _ => true,
        }
    }

    /// Everything for the pages in one read-only transaction.
    pub async fn local_data(&self) -> Result<app::offline::client::LocalData, StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&ALL_STORES, TransactionMode::ReadOnly)
            .map_err(err)?;
        let meta = tx.store(META).map_err(err)?;
        let base = meta.get("snapshot".into()).await.map_err(err)?;
        let last = meta.get("last_sync".into()).await.map_err(err)?;
        let hubs = tx
            .store(INVENTORY)
            .map_err(err)?
            .get_all(None, None)
            .await
            .map_err(err)?;
        let lists = tx
            .store(NEEDS_LISTS)
            .map_err(err)?
            .get_all(None, None)
            .await
            .map_err(err)?;
        let pending = tx
            .store(PENDING)
            .map_err(err)?
            .get_all(None, None)
            .await
            .map_err(err)?;
        let issues = tx
            .store(ISSUES)
            .map_err(err)?
            .get_all(None, None)
            .await
            .map_err(err)?;
        tx.done().await.map_err(err)?;

        let mut snapshot: Option<Snapshot> = base.map(|v| decode(&v)).transpose()?;
        if let Some(s) = snapshot.as_mut() {
            if self.user().is_some_and(|me| me != s.user.id) {
                snapshot = None; // another user's data: never shown
            } else {
                s.hubs = hubs
                    .iter()
                    .map(decode::<SnapshotHub>)
                    .collect::<Result<_, _>>()?;
                s.hubs.sort_by(|a, b| a.name.cmp(&b.name));
                for list in &lists {
                    let batch: Vec<SnapshotNeedsList> = decode(list)?;
                    s.needs_lists.extend(batch);
                }
            }
        }
        let mut pending: Vec<PendingOp> = pending
            .iter()
            .map(decode::<PendingOp>)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|p| self.mine(p.user_id))
            .collect();
        pending.sort_by_key(|p| p.seq);
        let mut issues: Vec<SyncIssue> = issues
            .iter()
            .map(decode::<SyncIssue>)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|i| self.mine(i.user_id))
            .collect();
        issues.sort_by(|a, b| b.failed_at.cmp(&a.failed_at));
        Ok(app::offline::client::LocalData {
            snapshot,
            pending,
            issues,
            last_synced: last.map(|v| decode::<String>(&v)).transpose()?,
        })
    }
}

impl OutboxStore for IdbStore {
    async fn pending(&self) -> Result<Vec<PendingOp>, StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING], TransactionMode::ReadOnly)
            .map_err(err)?;
        let all = tx
            .store(PENDING)
            .map_err(err)?
            .get_all(None, None)
            .await
            .map_err(err)?;
        tx.done().await.map_err(err)?;
        let mut ops: Vec<PendingOp> = all
            .iter()
            .map(decode::<PendingOp>)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|p| self.mine(p.user_id))
            .collect();
        ops.sort_by_key(|p| p.seq);
        Ok(ops)
    }

    async fn remove(&self, ids: &[Uuid]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING], TransactionMode::ReadWrite)
            .map_err(err)?;
        let store = tx.store(PENDING).map_err(err)?;
        for id in ids {
            store
                .delete(JsValue::from_str(&id.to_string()))
                .await
                .map_err(err)?;
        }
        tx.done().await.map_err(err)?;
        Ok(())
    }

    async fn move_to_issues(&self, mut issue: SyncIssue) -> Result<(), StoreError> {
        let key = JsValue::from_str(&issue.op.id.to_string());
        issue.user_id = issue.user_id.or(self.user());
        let value = encode(&issue)?;
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING, ISSUES], TransactionMode::ReadWrite)
            .map_err(err)?;
        tx.store(PENDING)
            .map_err(err)?
            .delete(key.clone())
            .await
            .map_err(err)?;
        tx.store(ISSUES)
            .map_err(err)?
            .put(&value, Some(&key))
            .await
            .map_err(err)?;
        tx.done().await.map_err(err)?;
        Ok(())
    }

    async fn record_attempt(&self, ids: &[Uuid], error: &str) -> Result<(), StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING], TransactionMode::ReadWrite)
            .map_err(err)?;
        let store = tx.store(PENDING).map_err(err)?;
        for id in ids {
            let key = JsValue::from_str(&id.to_string());
            if let Some(value) = store.get(key.clone()).await.map_err(err)? {
                let mut record: PendingOp = decode(&value)?;
                record.attempts += 1;
                record.last_error = Some(error.to_string());
                store
                    .put(&encode(&record)?, Some(&key))
                    .await
                    .map_err(err)?;
            }
        }
        tx.done().await.map_err(err)?;
        Ok(())
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        let now = chrono::Utc::now().to_rfc3339();
        let user = snapshot.user.id;
        let mut base = snapshot.clone();
        base.hubs.clear();
        base.needs_lists.clear();
        let mut lists: std::collections::BTreeMap<i64, Vec<SnapshotNeedsList>> = Default::default();
        for list in snapshot.needs_lists {
            lists.entry(list.hub_id).or_default().push(list);
        }
        // Encode first: nothing but IndexedDB requests inside the transaction.
        let hubs: Vec<(JsValue, JsValue)> = snapshot
            .hubs
            .iter()
            .map(|h| Ok((JsValue::from_f64(h.id as f64), encode(h)?)))
            .collect::<Result<_, StoreError>>()?;
        let lists: Vec<(JsValue, JsValue)> = lists
            .iter()
            .map(|(hub, l)| Ok((JsValue::from_str(&format!("{user}:{hub}")), encode(l)?)))
            .collect::<Result<_, StoreError>>()?;
        let base = encode(&base)?;
        let version = encode(&snapshot.version.to_string())?;
        let now = encode(&now)?;
        let db = self.db().await?;
        let tx = db
            .transaction(&[INVENTORY, NEEDS_LISTS, META], TransactionMode::ReadWrite)
            .map_err(err)?;
        let inventory = tx.store(INVENTORY).map_err(err)?;
        inventory.clear().await.map_err(err)?;
        for (key, value) in &hubs {
            inventory.put(value, Some(key)).await.map_err(err)?;
        }
        let needs = tx.store(NEEDS_LISTS).map_err(err)?;
        needs.clear().await.map_err(err)?;
        for (key, value) in &lists {
            needs.put(value, Some(key)).await.map_err(err)?;
        }
        let meta = tx.store(META).map_err(err)?;
        meta.put(&base, Some(&"snapshot".into()))
            .await
            .map_err(err)?;
        meta.put(&version, Some(&"snapshot_version".into()))
            .await
            .map_err(err)?;
        meta.put(&now, Some(&"last_sync".into()))
            .await
            .map_err(err)?;
        tx.done().await.map_err(err)?;
        Ok(())
    }
}
