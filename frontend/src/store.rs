//! The device's offline data in IndexedDB (database `drims`, through rexie): per profile, the
//! outbox, the last snapshot split per hub, Sync Issues and `meta`; and the `profiles` store
//! (wrapped keys only). Every other value is sealed by `codec` under the open profile's data
//! key; record keys are `<profile id>:<id>` (random ids and database ids only). With no profile
//! open, nothing can be read or written. Inside a transaction only IndexedDB requests are awaited.
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use app::offline::crypto::SecretKey;
use app::offline::engine::{OutboxStore, StoreError};
use app::offline::{PendingOp, SyncIssue};
use app::ops::sync::{Snapshot, SnapshotHub, SnapshotNeedsList};
use app::ops::Operation;
use rexie::{KeyRange, ObjectStore, Rexie, Store, Transaction, TransactionMode};
use serde::de::DeserializeOwned;
use uuid::Uuid;
use wasm_bindgen::JsValue;

use crate::codec::{decode, encode};

pub const DB_NAME: &str = "drims";
/// Schema version. 2: values sealed per profile, keys prefixed by the profile id, `profiles`.
/// rexie creates missing stores on open; version 1's plaintext records are removed on open.
pub const DB_VERSION: u32 = 2;

pub const PENDING: &str = "pending_operations";
pub const INVENTORY: &str = "last_synced_inventory";
pub const NEEDS_LISTS: &str = "last_synced_needs_lists";
pub const ISSUES: &str = "sync_issues";
pub const META: &str = "meta";
pub const PROFILES: &str = "profiles";
/// The stores holding a profile's sealed records.
pub const DATA_STORES: [&str; 5] = [PENDING, INVENTORY, NEEDS_LISTS, ISSUES, META];
pub const ALL_STORES: [&str; 6] = [PENDING, INVENTORY, NEEDS_LISTS, ISSUES, META, PROFILES];

pub fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// A write for a profile deleted meanwhile: signed out or wiped in another tab, whose message
/// has not reached this tab yet (its key is still open here, a sync run may be mid-way).
fn gone() -> StoreError {
    StoreError("signed out on this device: nothing was stored".into())
}

/// Waits for a transaction to end, and fails unless it committed. IndexedDB can abort a
/// transaction whose every request succeeded, at commit: when the device's storage is full
/// (`QuotaExceededError`) or the browser refuses the write. rexie reports that as a result
/// (`Aborted`), not an error; taken for success, a record said to be saved would be lost.
pub async fn committed(tx: Transaction) -> Result<(), StoreError> {
    match tx.done().await.map_err(err)? {
        rexie::TransactionResult::Committed => Ok(()),
        rexie::TransactionResult::Aborted => Err(StoreError(NOT_STORED.into())),
    }
}

/// Waits for a read-only transaction to end. What its requests returned stands whether it
/// then committed or was aborted (say, its connection closing): nothing was to be stored.
async fn read_done(tx: Transaction) -> Result<(), StoreError> {
    tx.done().await.map_err(err).map(drop)
}

/// What an aborted write says (see [`committed`]).
pub const NOT_STORED: &str = "this device's storage refused the write (it may be full)";

/// Inside a write transaction that includes `PROFILES`: fails with [`gone`] when the profile
/// no longer exists. A sign-out or wipe deletes the profile and its records in one transaction
/// over every store; transactions over shared stores run one after another, so a write that
/// passes this check lands before the deletion (and goes with it), never after it.
async fn still_there(tx: &Transaction, u: &Unlocked) -> Result<(), StoreError> {
    let there = tx
        .store(PROFILES)
        .map_err(err)?
        .key_exists(JsValue::from_str(&u.profile))
        .await
        .map_err(err)?;
    if there {
        Ok(())
    } else {
        Err(gone())
    }
}

async fn open() -> Result<Rexie, StoreError> {
    let mut builder = Rexie::builder(DB_NAME).version(DB_VERSION);
    for name in ALL_STORES {
        builder = builder.add_object_store(ObjectStore::new(name));
    }
    builder.build().await.map_err(err)
}

/// The open profile: whose records this tab reads and writes, and the key that seals them.
/// In memory only.
#[derive(Clone)]
pub struct Unlocked {
    pub profile: String,
    pub key: SecretKey,
    pub user_id: i64,
}

impl Unlocked {
    fn rkey(&self, id: &str) -> String {
        format!("{}:{id}", self.profile)
    }
}

/// Every key of one profile: `<profile>:` up to (not including) `<profile>;`.
pub fn profile_range(profile: &str) -> Result<web_sys::IdbKeyRange, StoreError> {
    web_sys::IdbKeyRange::bound_with_lower_open_and_upper_open(
        &JsValue::from_str(&format!("{profile}:")),
        &JsValue::from_str(&format!("{profile};")),
        false,
        true,
    )
    .map_err(|_| StoreError("could not build a key range".into()))
}

fn rexie_range(profile: &str) -> Result<KeyRange, StoreError> {
    KeyRange::bound(
        &JsValue::from_str(&format!("{profile}:")),
        &JsValue::from_str(&format!("{profile};")),
        Some(false),
        Some(true),
    )
    .map_err(err)
}

/// All (key, value) pairs of one profile in a store, opened.
async fn read_all<T: DeserializeOwned>(
    store: &Store,
    name: &str,
    u: &Unlocked,
) -> Result<Vec<(String, T)>, StoreError> {
    let (keys, values) = futures::future::join(
        store.get_all_keys(Some(rexie_range(&u.profile)?), None),
        store.get_all(Some(rexie_range(&u.profile)?), None),
    )
    .await;
    let (keys, values) = (keys.map_err(err)?, values.map_err(err)?);
    keys.iter()
        .zip(values.iter())
        .map(|(k, v)| {
            let k = k.as_string().unwrap_or_default();
            let value = decode(&u.key, name, &k, v)?;
            Ok((k, value))
        })
        .collect()
}

/// The stores, opened once per page. Cloning shares the connection and the open profile.
#[derive(Clone, Default)]
pub struct IdbStore {
    db: Rc<RefCell<Option<Rc<Rexie>>>>,
    open: Rc<RefCell<Option<Unlocked>>>,
    seq: Rc<Cell<u64>>,
    cached: Rc<RefCell<Option<Cached>>>,
    /// Bumped by every write and every `forget`: a copy read across one is not kept.
    writes: Rc<Cell<u64>>,
    /// The profile a sync run works for (`pinned`): if another opens in this tab meanwhile,
    /// every call fails instead of reading or writing the other user's records.
    pin: Option<String>,
}

/// The open profile's data as this tab last read or wrote it, opened: a page that reads it
/// after every save does not decrypt the whole outbox again (with 5,000 operations queued
/// that took longer than the save). Kept in step with this tab's own writes; dropped on
/// anything this tab cannot follow: another tab's change, a new snapshot, a lock, a failure.
struct Cached {
    profile: String,
    data: app::offline::client::LocalData,
}

impl IdbStore {
    pub async fn db(&self) -> Result<Rc<Rexie>, StoreError> {
        if let Some(db) = self.db.borrow().as_ref() {
            return Ok(Rc::clone(db));
        }
        let db = Rc::new(open().await?);
        *self.db.borrow_mut() = Some(Rc::clone(&db));
        Ok(db)
    }

    /// Opens a profile in this tab (its key stays in memory only).
    pub fn unlock(&self, unlocked: Unlocked) {
        self.forget();
        *self.open.borrow_mut() = Some(unlocked);
    }

    /// Drops the key: nothing can be read until the profile is opened again.
    pub fn lock(&self) {
        self.forget();
        *self.open.borrow_mut() = None;
    }

    /// Drops the opened copy: the next read comes from IndexedDB (another tab wrote).
    pub fn forget(&self) {
        self.writes.set(self.writes.get() + 1);
        *self.cached.borrow_mut() = None;
    }

    /// Applies this tab's write to the opened copy, if it holds this profile's data; a failed
    /// write drops it instead (what reached IndexedDB is then unknown).
    fn follow<T>(
        &self,
        u: &Unlocked,
        result: Result<T, StoreError>,
        edit: impl FnOnce(&mut app::offline::client::LocalData),
    ) -> Result<T, StoreError> {
        self.writes.set(self.writes.get() + 1);
        let mut cached = self.cached.borrow_mut();
        match (&result, cached.as_mut()) {
            (Ok(_), Some(c)) if c.profile == u.profile => edit(&mut c.data),
            _ => *cached = None,
        }
        result
    }

    pub fn unlocked(&self) -> Option<Unlocked> {
        self.open.borrow().clone()
    }

    pub fn user(&self) -> Option<i64> {
        self.open.borrow().as_ref().map(|u| u.user_id)
    }

    fn current(&self) -> Result<Unlocked, StoreError> {
        let u = self
            .unlocked()
            .ok_or_else(|| StoreError("this device's data is locked: sign in".into()))?;
        if self.pin.as_ref().is_some_and(|p| *p != u.profile) {
            return Err(StoreError(
                "another user signed in on this device: the sync stops here".into(),
            ));
        }
        Ok(u)
    }

    /// The same store, bound to the profile open now (`None` when none is).
    pub fn pinned(&self) -> Option<IdbStore> {
        let profile = self.unlocked()?.profile;
        Some(IdbStore {
            pin: Some(profile),
            ..self.clone()
        })
    }

    /// Monotonic within a tab, time-ordered across tabs.
    fn next_seq(&self) -> u64 {
        let now = js_sys::Date::now() as u64 * 1000;
        let next = now.max(self.seq.get() + 1);
        self.seq.set(next);
        next
    }

    pub async fn meta_get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, StoreError> {
        self.meta_get_with(&self.current()?, name).await
    }

    pub async fn meta_put<T: serde::Serialize>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        self.meta_put_with(&self.current()?, name, value).await
    }

    /// A `meta` record of a given profile (which need not be the open one).
    pub async fn meta_get_with<T: DeserializeOwned>(
        &self,
        u: &Unlocked,
        name: &str,
    ) -> Result<Option<T>, StoreError> {
        let key = u.rkey(name);
        let db = self.db().await?;
        let tx = db
            .transaction(&[META], TransactionMode::ReadOnly)
            .map_err(err)?;
        let value = tx
            .store(META)
            .map_err(err)?
            .get(JsValue::from_str(&key))
            .await
            .map_err(err)?;
        value.map(|v| decode(&u.key, META, &key, &v)).transpose()
    }

    pub async fn meta_put_with<T: serde::Serialize>(
        &self,
        u: &Unlocked,
        name: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let key = u.rkey(name);
        let value = encode(&u.key, META, &key, value)?;
        let db = self.db().await?;
        let tx = db
            .transaction(&[META, PROFILES], TransactionMode::ReadWrite)
            .map_err(err)?;
        still_there(&tx, u).await?;
        tx.store(META)
            .map_err(err)?
            .put(&value, Some(&JsValue::from_str(&key)))
            .await
            .map_err(err)?;
        committed(tx).await?;
        Ok(())
    }

    /// Queues an operation; if it was a Sync Issue (edit and retry), it leaves the issues in
    /// the same transaction.
    pub async fn enqueue(&self, op: Operation) -> Result<(), StoreError> {
        let u = self.current()?;
        let key = u.rkey(&op.id.to_string());
        let record = PendingOp {
            op,
            seq: self.next_seq(),
            attempts: 0,
            last_error: None,
            user_id: Some(u.user_id),
        };
        let value = encode(&u.key, PENDING, &key, &record)?;
        let key = JsValue::from_str(&key);
        let written = async {
            let db = self.db().await?;
            let tx = db
                .transaction(&[PENDING, ISSUES, PROFILES], TransactionMode::ReadWrite)
                .map_err(err)?;
            let issues = tx.store(ISSUES).map_err(err)?;
            let pending = tx.store(PENDING).map_err(err)?;
            // The requests in flight at once (they run in order inside the transaction): one
            // round trip to IndexedDB instead of three, which is most of the time a save takes.
            // The profile check runs first; when it fails, the delete and put are still
            // pending and the transaction is aborted: neither lands.
            let written = futures::future::try_join3(
                still_there(&tx, &u),
                async { issues.delete(key.clone()).await.map_err(err) },
                async { pending.put(&value, Some(&key)).await.map_err(err) },
            )
            .await;
            if let Err(e) = written {
                // (A failed request has aborted the transaction already; then this fails too.)
                let aborted = tx.abort().await;
                if let (Err(a), true) = (aborted, e.0 == gone().0) {
                    leptos::logging::error!("DRIMS: a refused save could not be undone: {a}");
                }
                return Err(e);
            }
            committed(tx).await
        }
        .await;
        self.follow(&u, written, |d| {
            d.issues.retain(|i| i.op.id != record.op.id);
            d.pending.push(record);
        })?;
        Ok(())
    }

    /// Deletes a Sync Issue (a person's decision) and notes it for the server, which lists it
    /// as refused until told (`report_discards`), in one transaction.
    pub async fn discard_issue(&self, id: Uuid) -> Result<(), StoreError> {
        let u = self.current()?;
        let list_key = u.rkey("discards");
        let list_js = JsValue::from_str(&list_key);
        let written = async {
            let db = self.db().await?;
            let tx = db
                .transaction(&[ISSUES, META, PROFILES], TransactionMode::ReadWrite)
                .map_err(err)?;
            still_there(&tx, &u).await?;
            tx.store(ISSUES)
                .map_err(err)?
                .delete(JsValue::from_str(&u.rkey(&id.to_string())))
                .await
                .map_err(err)?;
            let meta = tx.store(META).map_err(err)?;
            let mut ids: Vec<Uuid> = match meta.get(list_js.clone()).await.map_err(err)? {
                Some(v) => decode(&u.key, META, &list_key, &v)?,
                None => Vec::new(),
            };
            if !ids.contains(&id) {
                ids.push(id);
            }
            // Sealing is synchronous: the transaction stays active.
            meta.put(&encode(&u.key, META, &list_key, &ids)?, Some(&list_js))
                .await
                .map_err(err)?;
            committed(tx).await
        }
        .await;
        self.follow(&u, written, |d| d.issues.retain(|i| i.op.id != id))
            .map(drop)
    }

    /// Where one operation of the open profile is: two keyed reads, one record opened.
    pub async fn whereabouts(
        &self,
        id: Uuid,
    ) -> Result<app::offline::client::Whereabouts, StoreError> {
        use app::offline::client::Whereabouts;
        let u = self.current()?;
        let key = u.rkey(&id.to_string());
        let js = JsValue::from_str(&key);
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING, ISSUES], TransactionMode::ReadOnly)
            .map_err(err)?;
        let (queued, refused) = futures::future::join(
            tx.store(PENDING).map_err(err)?.key_exists(js.clone()),
            tx.store(ISSUES).map_err(err)?.get(js),
        )
        .await;
        let (queued, refused) = (queued.map_err(err)?, refused.map_err(err)?);
        read_done(tx).await?;
        Ok(match refused {
            Some(v) => Whereabouts::Refused(decode::<SyncIssue>(&u.key, ISSUES, &key, &v)?.message),
            None if queued => Whereabouts::Queued,
            None => Whereabouts::Sent,
        })
    }

    /// Discards not yet reported to the server.
    pub async fn discards(&self) -> Result<Vec<Uuid>, StoreError> {
        Ok(self
            .meta_get::<Vec<Uuid>>("discards")
            .await?
            .unwrap_or_default())
    }

    /// The server took note of these discards: they leave the list, in one transaction (a
    /// discard made meanwhile in another tab stays).
    pub async fn discards_reported(&self, reported: &[Uuid]) -> Result<(), StoreError> {
        let u = self.current()?;
        let list_key = u.rkey("discards");
        let list_js = JsValue::from_str(&list_key);
        let db = self.db().await?;
        let tx = db
            .transaction(&[META, PROFILES], TransactionMode::ReadWrite)
            .map_err(err)?;
        still_there(&tx, &u).await?;
        let meta = tx.store(META).map_err(err)?;
        let ids: Vec<Uuid> = match meta.get(list_js.clone()).await.map_err(err)? {
            Some(v) => decode(&u.key, META, &list_key, &v)?,
            None => Vec::new(),
        };
        let left: Vec<Uuid> = ids
            .into_iter()
            .filter(|id| !reported.contains(id))
            .collect();
        meta.put(&encode(&u.key, META, &list_key, &left)?, Some(&list_js))
            .await
            .map_err(err)?;
        committed(tx).await?;
        Ok(())
    }

    /// Issues the server settled: each leaves Sync Issues for the resolved list, in one
    /// transaction (the newest [`app::offline::RESOLVED_KEPT`] are kept).
    pub async fn settle_issues(
        &self,
        settled: Vec<app::offline::ResolvedIssue>,
    ) -> Result<(), StoreError> {
        if settled.is_empty() {
            return Ok(());
        }
        let u = self.current()?;
        let list_key = u.rkey("resolved_issues");
        let list_js = JsValue::from_str(&list_key);
        let written = async {
            let db = self.db().await?;
            let tx = db
                .transaction(&[ISSUES, META, PROFILES], TransactionMode::ReadWrite)
                .map_err(err)?;
            still_there(&tx, &u).await?;
            let issues = tx.store(ISSUES).map_err(err)?;
            for r in &settled {
                issues
                    .delete(JsValue::from_str(&u.rkey(&r.issue.op.id.to_string())))
                    .await
                    .map_err(err)?;
            }
            let meta = tx.store(META).map_err(err)?;
            let old: Vec<app::offline::ResolvedIssue> =
                match meta.get(list_js.clone()).await.map_err(err)? {
                    Some(v) => decode(&u.key, META, &list_key, &v)?,
                    None => Vec::new(),
                };
            let mut list = settled.clone();
            list.extend(old);
            list.truncate(app::offline::RESOLVED_KEPT);
            meta.put(&encode(&u.key, META, &list_key, &list)?, Some(&list_js))
                .await
                .map_err(err)?;
            committed(tx).await?;
            Ok(list)
        }
        .await;
        let gone: std::collections::HashSet<Uuid> = settled.iter().map(|r| r.issue.op.id).collect();
        let list = written.inspect_err(|_| self.forget())?;
        self.follow(&u, Ok(()), |d| {
            d.issues.retain(|i| !gone.contains(&i.op.id));
            d.resolved = list;
        })
    }

    /// Empties the list of settled issues (their user has read it).
    pub async fn clear_resolved(&self) -> Result<(), StoreError> {
        let u = self.current()?;
        let written = self
            .meta_put_with(
                &u,
                "resolved_issues",
                &Vec::<app::offline::ResolvedIssue>::new(),
            )
            .await;
        self.follow(&u, written, |d| d.resolved.clear())
    }

    /// The open profile's pending and refused operations and its last sync time, for the pill.
    /// With no profile open: nothing (another user's work is neither counted nor shown).
    pub async fn counts(&self) -> Result<(usize, usize, Option<String>), StoreError> {
        let Some(u) = self.unlocked() else {
            return Ok((0, 0, None));
        };
        if let Some(c) = self
            .cached
            .borrow()
            .as_ref()
            .filter(|c| c.profile == u.profile)
        {
            let d = &c.data;
            return Ok((d.pending.len(), d.issues.len(), d.last_synced.clone()));
        }
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING, ISSUES], TransactionMode::ReadOnly)
            .map_err(err)?;
        let (pending, failed) = futures::future::join(
            tx.store(PENDING)
                .map_err(err)?
                .count(Some(rexie_range(&u.profile)?)),
            tx.store(ISSUES)
                .map_err(err)?
                .count(Some(rexie_range(&u.profile)?)),
        )
        .await;
        let (pending, failed) = (pending.map_err(err)?, failed.map_err(err)?);
        read_done(tx).await?;
        let last = self.meta_get::<String>("last_sync").await?;
        Ok((pending as usize, failed as usize, last))
    }

    /// How many operations of a profile have not reached the server (outbox and Sync Issues).
    /// Counting needs no key.
    pub async fn count_of(&self, profile: &str) -> Result<usize, StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING, ISSUES], TransactionMode::ReadOnly)
            .map_err(err)?;
        let (pending, failed) = futures::future::join(
            tx.store(PENDING)
                .map_err(err)?
                .count(Some(rexie_range(profile)?)),
            tx.store(ISSUES)
                .map_err(err)?
                .count(Some(rexie_range(profile)?)),
        )
        .await;
        let total = pending.map_err(err)? + failed.map_err(err)?;
        read_done(tx).await?;
        Ok(total as usize)
    }

    /// Operations of every profile not yet on the server (outbox and Sync Issues). Counting
    /// needs no key.
    pub async fn count_all(&self) -> Result<usize, StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING, ISSUES], TransactionMode::ReadOnly)
            .map_err(err)?;
        let (pending, failed) = futures::future::join(
            tx.store(PENDING).map_err(err)?.count(None),
            tx.store(ISSUES).map_err(err)?.count(None),
        )
        .await;
        let total = pending.map_err(err)? + failed.map_err(err)?;
        read_done(tx).await?;
        Ok(total as usize)
    }

    /// Deletes everything of every user on this device (a revoked or deprovisioned device):
    /// every record of every store, profiles included, in one transaction.
    pub async fn wipe_all(&self) -> Result<(), StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&ALL_STORES, TransactionMode::ReadWrite)
            .map_err(err)?;
        for name in ALL_STORES {
            tx.store(name).map_err(err)?.clear().await.map_err(err)?;
        }
        committed(tx).await?;
        self.lock();
        Ok(())
    }

    /// A profile's outbox (oldest first) and Sync Issues, for an export.
    pub async fn records_of(
        &self,
        u: &Unlocked,
    ) -> Result<(Vec<PendingOp>, Vec<SyncIssue>), StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING, ISSUES], TransactionMode::ReadOnly)
            .map_err(err)?;
        let pending: Vec<(String, PendingOp)> =
            read_all(&tx.store(PENDING).map_err(err)?, PENDING, u).await?;
        let issues: Vec<(String, SyncIssue)> =
            read_all(&tx.store(ISSUES).map_err(err)?, ISSUES, u).await?;
        read_done(tx).await?;
        let mut pending: Vec<PendingOp> = pending.into_iter().map(|(_, p)| p).collect();
        pending.sort_by_key(|p| p.seq);
        Ok((pending, issues.into_iter().map(|(_, i)| i).collect()))
    }

    /// Everything for the pages: read in one read-only transaction, then from the opened copy
    /// until something this tab cannot follow changes it.
    pub async fn local_data(&self) -> Result<app::offline::client::LocalData, StoreError> {
        let u = self.current()?;
        if let Some(c) = self
            .cached
            .borrow()
            .as_ref()
            .filter(|c| c.profile == u.profile)
        {
            return Ok(c.data.clone());
        }
        let before = self.writes.get();
        let data = self.read_local_data(&u).await?;
        // Kept only if nothing was written meanwhile in this tab (the read may predate it).
        let mut cached = self.cached.borrow_mut();
        if self.writes.get() == before
            && self.unlocked().is_some_and(|now| now.profile == u.profile)
        {
            *cached = Some(Cached {
                profile: u.profile.clone(),
                data: data.clone(),
            });
        }
        Ok(data)
    }

    async fn read_local_data(
        &self,
        u: &Unlocked,
    ) -> Result<app::offline::client::LocalData, StoreError> {
        let u = u.clone();
        let db = self.db().await?;
        let tx = db
            .transaction(&DATA_STORES, TransactionMode::ReadOnly)
            .map_err(err)?;
        let meta = tx.store(META).map_err(err)?;
        let base_key = u.rkey("snapshot");
        let last_key = u.rkey("last_sync");
        let resolved_key = u.rkey("resolved_issues");
        let base = meta.get(JsValue::from_str(&base_key)).await.map_err(err)?;
        let last = meta.get(JsValue::from_str(&last_key)).await.map_err(err)?;
        let resolved = meta
            .get(JsValue::from_str(&resolved_key))
            .await
            .map_err(err)?;
        let hubs: Vec<(String, SnapshotHub)> =
            read_all(&tx.store(INVENTORY).map_err(err)?, INVENTORY, &u).await?;
        let lists: Vec<(String, Vec<SnapshotNeedsList>)> =
            read_all(&tx.store(NEEDS_LISTS).map_err(err)?, NEEDS_LISTS, &u).await?;
        let pending: Vec<(String, PendingOp)> =
            read_all(&tx.store(PENDING).map_err(err)?, PENDING, &u).await?;
        let issues: Vec<(String, SyncIssue)> =
            read_all(&tx.store(ISSUES).map_err(err)?, ISSUES, &u).await?;
        read_done(tx).await?;

        let mut snapshot: Option<Snapshot> = base
            .map(|v| decode(&u.key, META, &base_key, &v))
            .transpose()?;
        if let Some(s) = snapshot.as_mut() {
            s.hubs = hubs.into_iter().map(|(_, h)| h).collect();
            s.hubs.sort_by(|a, b| a.name.cmp(&b.name));
            for (_, batch) in lists {
                s.needs_lists.extend(batch);
            }
        }
        let mut pending: Vec<PendingOp> = pending.into_iter().map(|(_, p)| p).collect();
        pending.sort_by_key(|p| p.seq);
        let mut issues: Vec<SyncIssue> = issues.into_iter().map(|(_, i)| i).collect();
        issues.sort_by(|a, b| b.failed_at.cmp(&a.failed_at));
        Ok(app::offline::client::LocalData {
            snapshot,
            pending,
            issues,
            resolved: resolved
                .map(|v| decode(&u.key, META, &resolved_key, &v))
                .transpose()?
                .unwrap_or_default(),
            last_synced: last
                .map(|v| decode(&u.key, META, &last_key, &v))
                .transpose()?,
        })
    }

    /// Deletes every record of one profile, and the profile itself, in one transaction.
    pub async fn wipe_profile(&self, profile: &str) -> Result<(), StoreError> {
        self.wipe(profile, false).await.map(drop)
    }

    /// Deletes the profile as [`Self::wipe_profile`] does only if it holds no operation that
    /// has not reached the server (outbox and Sync Issues); otherwise deletes nothing and says
    /// how many wait. Counted in the deleting transaction: an operation another tab queues
    /// after a separate count would be deleted unseen.
    pub async fn wipe_profile_if_empty(&self, profile: &str) -> Result<usize, StoreError> {
        self.wipe(profile, true).await
    }

    async fn wipe(&self, profile: &str, only_if_empty: bool) -> Result<usize, StoreError> {
        let range: JsValue = profile_range(profile)?.into();
        let db = self.db().await?;
        let tx = db
            .transaction(&ALL_STORES, TransactionMode::ReadWrite)
            .map_err(err)?;
        if only_if_empty {
            let mut waiting = 0;
            for name in [PENDING, ISSUES] {
                waiting += tx
                    .store(name)
                    .map_err(err)?
                    .count(Some(rexie_range(profile)?))
                    .await
                    .map_err(err)?;
            }
            if waiting > 0 {
                // Nothing was written: the transaction ends with nothing changed.
                committed(tx).await?;
                return Ok(waiting as usize);
            }
        }
        for name in DATA_STORES {
            tx.store(name)
                .map_err(err)?
                .delete(range.clone())
                .await
                .map_err(err)?;
        }
        tx.store(PROFILES)
            .map_err(err)?
            .delete(JsValue::from_str(profile))
            .await
            .map_err(err)?;
        committed(tx).await?;
        self.forget();
        if self.unlocked().is_some_and(|u| u.profile == profile) {
            self.lock();
        }
        Ok(0)
    }

    /// Version 1 of the schema stored plaintext JSON under keys without a profile prefix. Its
    /// snapshot copies are deleted (the next sync brings them back); its outbox and Sync Issues
    /// are kept until their user opens a profile here (`adopt_plaintext`), so nothing is lost.
    pub async fn drop_plaintext_snapshot(&self) -> Result<usize, StoreError> {
        let db = self.db().await?;
        let tx = db
            .transaction(&[INVENTORY, NEEDS_LISTS, META], TransactionMode::ReadWrite)
            .map_err(err)?;
        let mut dropped = 0;
        for name in [INVENTORY, NEEDS_LISTS, META] {
            let store = tx.store(name).map_err(err)?;
            for key in store.get_all_keys(None, None).await.map_err(err)? {
                if key.as_string().is_none_or(|k| !k.contains(':')) {
                    store.delete(key).await.map_err(err)?;
                    dropped += 1;
                }
            }
        }
        committed(tx).await?;
        Ok(dropped)
    }

    /// Seals version 1's plaintext outbox and Sync Issues of the open profile's user (or of
    /// no known user) under its key, and deletes the plaintext.
    pub async fn adopt_plaintext(&self) -> Result<usize, StoreError> {
        let u = self.current()?;
        self.forget();
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING, ISSUES, PROFILES], TransactionMode::ReadWrite)
            .map_err(err)?;
        still_there(&tx, &u).await?;
        let mut adopted = 0;
        for name in [PENDING, ISSUES] {
            let store = tx.store(name).map_err(err)?;
            // Keys first: only version 1's (no profile prefix) are read.
            let keys = store.get_all_keys(None, None).await.map_err(err)?;
            for key in keys {
                let Some(k) = key.as_string().filter(|k| !k.contains(':')) else {
                    continue;
                };
                let Some(text) = store
                    .get(key.clone())
                    .await
                    .map_err(err)?
                    .and_then(|v| v.as_string())
                else {
                    continue;
                };
                let owner = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("user_id").cloned())
                    .and_then(|v| v.as_i64());
                if owner.is_some_and(|o| o != u.user_id) {
                    continue;
                }
                let new_key = u.rkey(&k);
                let parsed: serde_json::Value = serde_json::from_str(&text).map_err(err)?;
                let sealed = encode(&u.key, name, &new_key, &parsed)?;
                store
                    .put(&sealed, Some(&JsValue::from_str(&new_key)))
                    .await
                    .map_err(err)?;
                store.delete(key).await.map_err(err)?;
                adopted += 1;
            }
        }
        committed(tx).await?;
        self.forget();
        Ok(adopted)
    }
}

impl OutboxStore for IdbStore {
    async fn pending(&self) -> Result<Vec<PendingOp>, StoreError> {
        let u = self.current()?;
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING], TransactionMode::ReadOnly)
            .map_err(err)?;
        let all: Vec<(String, PendingOp)> =
            read_all(&tx.store(PENDING).map_err(err)?, PENDING, &u).await?;
        read_done(tx).await?;
        let mut ops: Vec<PendingOp> = all.into_iter().map(|(_, p)| p).collect();
        ops.sort_by_key(|p| p.seq);
        Ok(ops)
    }

    async fn remove(&self, ids: &[Uuid]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let u = self.current()?;
        let written = async {
            let db = self.db().await?;
            let tx = db
                .transaction(&[PENDING], TransactionMode::ReadWrite)
                .map_err(err)?;
            let store = tx.store(PENDING).map_err(err)?;
            // All requests at once (IndexedDB runs them in order): one round trip, not 1,000.
            futures::future::try_join_all(
                ids.iter()
                    .map(|id| store.delete(JsValue::from_str(&u.rkey(&id.to_string())))),
            )
            .await
            .map_err(err)?;
            committed(tx).await
        }
        .await;
        let gone: std::collections::HashSet<&Uuid> = ids.iter().collect();
        self.follow(&u, written, |d| {
            d.pending.retain(|p| !gone.contains(&p.op.id))
        })
        .map(drop)
    }

    async fn move_to_issues(&self, mut issue: SyncIssue) -> Result<(), StoreError> {
        let u = self.current()?;
        let key = u.rkey(&issue.op.id.to_string());
        issue.user_id = issue.user_id.or(Some(u.user_id));
        let value = encode(&u.key, ISSUES, &key, &issue)?;
        let key = JsValue::from_str(&key);
        let written = async {
            let db = self.db().await?;
            let tx = db
                .transaction(&[PENDING, ISSUES, PROFILES], TransactionMode::ReadWrite)
                .map_err(err)?;
            still_there(&tx, &u).await?;
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
            committed(tx).await
        }
        .await;
        self.follow(&u, written, |d| {
            d.pending.retain(|p| p.op.id != issue.op.id);
            d.issues.retain(|i| i.op.id != issue.op.id);
            // Newest first, as read from the store.
            d.issues.insert(0, issue);
        })
        .map(drop)
    }

    async fn record_attempt(&self, ids: &[Uuid], error: &str) -> Result<(), StoreError> {
        let u = self.current()?;
        // Whatever happens below, the opened copy's attempt counts are stale.
        self.forget();
        let db = self.db().await?;
        let tx = db
            .transaction(&[PENDING], TransactionMode::ReadWrite)
            .map_err(err)?;
        let store = tx.store(PENDING).map_err(err)?;
        for id in ids {
            let key = u.rkey(&id.to_string());
            let js_key = JsValue::from_str(&key);
            if let Some(value) = store.get(js_key.clone()).await.map_err(err)? {
                // Sealing is synchronous: the transaction stays active.
                let mut record: PendingOp = decode(&u.key, PENDING, &key, &value)?;
                record.attempts += 1;
                record.last_error = Some(error.to_string());
                store
                    .put(&encode(&u.key, PENDING, &key, &record)?, Some(&js_key))
                    .await
                    .map_err(err)?;
            }
        }
        committed(tx).await?;
        self.forget();
        Ok(())
    }

    async fn snapshot_tag(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta_get::<Option<String>>("snapshot_tag")
            .await?
            .flatten())
    }

    async fn snapshot_current(&self) -> Result<(), StoreError> {
        let u = self.current()?;
        let now = chrono::Utc::now().to_rfc3339();
        let written = self.meta_put_with(&u, "last_sync", &now).await;
        self.follow(&u, written, |d| d.last_synced = Some(now.clone()))
    }

    async fn save_snapshot(
        &self,
        snapshot: Snapshot,
        tag: Option<String>,
    ) -> Result<(), StoreError> {
        let u = self.current()?;
        self.forget();
        if snapshot.user.id != u.user_id {
            return Err(StoreError(
                "a snapshot for another user was not stored".into(),
            ));
        }
        let now = chrono::Utc::now().to_rfc3339();
        let mut base = snapshot.clone();
        base.hubs.clear();
        base.needs_lists.clear();
        let mut lists: std::collections::BTreeMap<i64, Vec<SnapshotNeedsList>> = Default::default();
        for list in snapshot.needs_lists {
            lists.entry(list.hub_id).or_default().push(list);
        }
        // Seal first: nothing but IndexedDB requests inside the transaction.
        let sealed = |store: &str, id: String, value: &dyn erased::Value| {
            let key = u.rkey(&id);
            Ok::<_, StoreError>((JsValue::from_str(&key), value.seal(&u.key, store, &key)?))
        };
        let hubs: Vec<(JsValue, JsValue)> = snapshot
            .hubs
            .iter()
            .map(|h| sealed(INVENTORY, h.id.to_string(), h))
            .collect::<Result<_, StoreError>>()?;
        let lists: Vec<(JsValue, JsValue)> = lists
            .iter()
            .map(|(hub, l)| sealed(NEEDS_LISTS, hub.to_string(), l))
            .collect::<Result<_, StoreError>>()?;
        let meta = [
            sealed(META, "snapshot".into(), &base)?,
            sealed(
                META,
                "snapshot_version".into(),
                &snapshot.version.to_string(),
            )?,
            sealed(META, "last_sync".into(), &now)?,
            sealed(META, "snapshot_tag".into(), &tag)?,
        ];
        let range: JsValue = profile_range(&u.profile)?.into();
        let db = self.db().await?;
        let tx = db
            .transaction(
                &[INVENTORY, NEEDS_LISTS, META, PROFILES],
                TransactionMode::ReadWrite,
            )
            .map_err(err)?;
        still_there(&tx, &u).await?;
        let inventory = tx.store(INVENTORY).map_err(err)?;
        inventory.delete(range.clone()).await.map_err(err)?;
        for (key, value) in &hubs {
            inventory.put(value, Some(key)).await.map_err(err)?;
        }
        let needs = tx.store(NEEDS_LISTS).map_err(err)?;
        needs.delete(range).await.map_err(err)?;
        for (key, value) in &lists {
            needs.put(value, Some(key)).await.map_err(err)?;
        }
        let meta_store = tx.store(META).map_err(err)?;
        for (key, value) in &meta {
            meta_store.put(value, Some(key)).await.map_err(err)?;
        }
        committed(tx).await?;
        self.forget();
        Ok(())
    }
}

/// Lets `save_snapshot` seal records of different types through one closure.
mod erased {
    use app::offline::crypto::SecretKey;
    use app::offline::engine::StoreError;
    use wasm_bindgen::JsValue;

    pub trait Value {
        fn seal(&self, key: &SecretKey, store: &str, record: &str) -> Result<JsValue, StoreError>;
    }

    impl<T: serde::Serialize> Value for T {
        fn seal(&self, key: &SecretKey, store: &str, record: &str) -> Result<JsValue, StoreError> {
            crate::codec::encode(key, store, record, self)
        }
    }
}
