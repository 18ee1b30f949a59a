//! The browser runner around the shared sync engine: runs it on load, on the `online` event,
//! on "Sync Now" and on a timer while anything is pending; one tab at a time (Web Locks); every
//! tab learns of changes (BroadcastChannel) and updates its status pill.
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use app::offline::client::{
    LocalData, LocalFuture, Offline, OfflinePort, SignInForm, SignOut, SignedIn, SyncStatus,
};
use app::offline::engine::{RunEnd, SyncEngine};
use app::ops::Operation;
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::store::IdbStore;
use crate::transport::{reachable, session_user, HttpTransport};

const LOCK: &str = "drims-sync";
pub(crate) const CHANNEL: &str = "drims";
/// How often to look again while offline with something pending.
const OFFLINE_RETRY_MS: u64 = 10_000;
/// The next sync run after the device's storage refused a write (full, most likely).
const STORAGE_REFUSED_RETRY_MS: u64 = 5 * 60_000;
/// The background connectivity check (also with nothing queued): every 5 s while the server
/// answers, so the pill turns Offline within ~10 s of it going quiet (5 s + the ping's 4 s
/// deadline); once it stops answering, 5 s then 8 s apart while the browser believes it is
/// online (a server down: the pill is back within ~10 s of it answering), doubling up to 60 s
/// when the browser knows it is offline. A hidden tab checks once a minute.
const BEAT_MS: u64 = 5_000;
const BEAT_SERVER_DOWN_MAX_MS: u64 = 8_000;
const BEAT_OFFLINE_MAX_MS: u64 = 60_000;
const BEAT_HIDDEN_MS: u64 = 60_000;
/// Until the server says otherwise (`DRIMS_DEVICE_CHECK_SECONDS`): how often to ask whether
/// this device was revoked or deprovisioned and whether the session still holds.
const DEVICE_CHECK_MS: u64 = 60_000;

pub(crate) fn device_id() -> String {
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    if let Some(id) = storage
        .as_ref()
        .and_then(|s| s.get_item("drims.device_id").ok().flatten())
    {
        return id;
    }
    let id = format!("browser-{}", Uuid::new_v4());
    if let Some(s) = storage {
        let _ = s.set_item("drims.device_id", &id);
    }
    id
}

/// Runs `work` holding the cross-tab sync lock (or directly where Web Locks are missing).
async fn with_lock(work: impl Future<Output = ()> + 'static) {
    let locks = web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| js_sys::Reflect::get(&n, &"locks".into()).ok())
        .filter(|l| !l.is_undefined() && !l.is_null());
    let request = locks.as_ref().and_then(|l| {
        js_sys::Reflect::get(l, &"request".into())
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()
    });
    let (Some(locks), Some(request)) = (locks, request) else {
        work.await;
        return;
    };
    let callback = Closure::once_into_js(move |_lock: JsValue| {
        future_to_promise(async move {
            work.await;
            Ok(JsValue::UNDEFINED)
        })
    });
    if let Ok(promise) = request.call2(&locks, &LOCK.into(), &callback) {
        if let Ok(promise) = promise.dyn_into::<js_sys::Promise>() {
            let _ = JsFuture::from(promise).await;
        }
    }
}

pub struct Runner {
    pub(crate) store: IdbStore,
    pub(crate) status: RwSignal<SyncStatus>,
    engine: RefCell<Option<SyncEngine<IdbStore, HttpTransport>>>,
    pub(crate) channel: Option<web_sys::BroadcastChannel>,
    /// A run asked for and not started yet (waiting for the lock): later requests join it.
    waiting: RefCell<Option<(u64, Shared<LocalBoxFuture<'static, ()>>)>>,
    runs: Cell<u64>,
    timer: Cell<Option<i32>>,
    /// The next background connectivity check, and the checks missed in a row.
    beat_timer: Cell<Option<i32>>,
    misses: Cell<u32>,
    /// The next device check, and the interval the server asks for.
    check_timer: Cell<Option<i32>>,
    check_every: Cell<u64>,
    pub(crate) device_id: String,
    /// The open profile's idle lock, in milliseconds (from the offline policy).
    pub(crate) idle_ms: Cell<f64>,
    /// The sign-in screen shows because the server did not answer as this page started
    /// (`open_session_profile`): the next run that reaches the server takes it away, whether
    /// or not it can open the profile there.
    pub(crate) locked_for_link: Cell<bool>,
}

impl Runner {
    pub(crate) fn broadcast(&self) {
        self.tell("changed");
    }

    pub(crate) fn tell(&self, message: &str) {
        if let Some(c) = &self.channel {
            let _ = c.post_message(&message.into());
        }
    }

    /// Reads the counts for the pill and tells the pages that data changed.
    pub(crate) async fn refresh(&self) {
        if let Ok((pending, failed, last_synced)) = self.store.counts().await {
            self.status.update(|s| {
                s.pending = pending;
                s.failed = failed;
                s.last_synced = last_synced;
                s.changes += 1;
            });
        }
        // A profile open here means the device is kept ready for offline use: ask the browser
        // to keep its data (once per tab), and show the space used.
        let kept = self.status.with_untracked(|s| s.unlocked);
        if let Some(storage) = crate::pwa::storage(kept).await {
            self.status.update(|s| s.storage = Some(storage));
        }
    }

    fn schedule(self: &Rc<Self>, ms: u64) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(t) = self.timer.take() {
            window.clear_timeout_with_handle(t);
        }
        let me = Rc::clone(self);
        let tick = Closure::once_into_js(move || {
            me.timer.set(None);
            leptos::task::spawn_local(async move { me.sync().await });
        });
        if let Ok(t) = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(tick.unchecked_ref(), ms as i32)
        {
            self.timer.set(Some(t));
        }
    }

    /// Schedules the next background connectivity check in `ms` (replacing a scheduled one).
    fn beat_in(self: &Rc<Self>, ms: u64) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(t) = self.beat_timer.take() {
            window.clear_timeout_with_handle(t);
        }
        let me = Rc::clone(self);
        let tick = Closure::once_into_js(move || {
            me.beat_timer.set(None);
            leptos::task::spawn_local(async move {
                let next = me.heartbeat().await;
                me.beat_in(next);
            });
        });
        if let Ok(t) = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(tick.unchecked_ref(), ms as i32)
        {
            self.beat_timer.set(Some(t));
        }
    }

    /// One connectivity check: the pill follows the server both ways with no browser event;
    /// the server answering again starts a sync. Returns the delay to the next check.
    async fn heartbeat(self: &Rc<Self>) -> u64 {
        let window = web_sys::window();
        let hidden = window
            .as_ref()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if self.status.with_untracked(|s| s.syncing) {
            return BEAT_MS; // the sync run checks for itself
        }
        let up = reachable().await;
        let was = self.status.with_untracked(|s| s.online);
        if up {
            self.misses.set(0);
            if !was {
                // A run under way (the `online` event's, say) checks the server itself and
                // says "online" when its own check answers, which may come after this one:
                // another run now would follow it for nothing (a second snapshot request).
                // A run still waiting for the lock is joined by `sync`.
                if !self.status.with_untracked(|s| s.syncing) {
                    self.sync().await;
                }
                // Back in touch: whatever happened to this device meanwhile, learn it now.
                self.check_in(0);
            }
            return if hidden { BEAT_HIDDEN_MS } else { BEAT_MS };
        }
        if was {
            self.status.update(|s| s.online = false);
        }
        let misses = self.misses.get().saturating_add(1);
        self.misses.set(misses);
        let browser_online = window.is_some_and(|w| w.navigator().on_line());
        let cap = if browser_online {
            BEAT_SERVER_DOWN_MAX_MS
        } else {
            BEAT_OFFLINE_MAX_MS
        };
        let backoff = BEAT_MS.saturating_mul(1 << (misses - 1).min(6));
        let next = backoff.min(cap);
        if hidden {
            next.max(BEAT_HIDDEN_MS)
        } else {
            next
        }
    }

    /// Schedules the next device check in `ms` (replacing a scheduled one).
    fn check_in(self: &Rc<Self>, ms: u64) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(t) = self.check_timer.take() {
            window.clear_timeout_with_handle(t);
        }
        let me = Rc::clone(self);
        let tick = Closure::once_into_js(move || {
            me.check_timer.set(None);
            leptos::task::spawn_local(async move {
                let next = me.check_device().await;
                me.check_in(next);
            });
        });
        if let Ok(t) = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(tick.unchecked_ref(), ms as i32)
        {
            self.check_timer.set(Some(t));
        }
    }

    /// Asks the server about this device and session. Revoked: everything is deleted at once,
    /// nothing uploaded. Deprovisioned: the queue is synced first, then everything deleted.
    /// Signed out (a deactivated account, say): the pill asks for a sign-in; the queue stays.
    /// Returns the delay to the next check.
    async fn check_device(self: &Rc<Self>) -> u64 {
        if !self.status.with_untracked(|s| s.online) {
            return self.check_every.get();
        }
        match crate::transport::device_check(&self.device_id).await {
            crate::transport::DeviceAnswer::Checked(answer) => {
                if let Some(s) = answer.check_every_seconds {
                    self.check_every.set(u64::from(s) * 1000);
                }
                if !answer.valid {
                    let why = answer
                        .message
                        .unwrap_or_else(|| app::offline::devices::REVOKED_MESSAGE.into());
                    self.wipe_device(why).await;
                } else if answer.wipe_requested == Some(true) {
                    self.sync().await;
                    if self.store.count_all().await.is_ok_and(|n| n == 0) {
                        self.wipe_device(
                            "An administrator deprovisioned this device: what was recorded on \
                             it reached the server, then it was deleted from the device."
                                .into(),
                        )
                        .await;
                    }
                } else if answer.offline_enabled == Some(false) {
                    self.stop_keeping().await;
                }
                self.check_every.get()
            }
            crate::transport::DeviceAnswer::SignedOut => {
                self.status.update(|s| s.needs_sign_in = true);
                self.check_every.get()
            }
            crate::transport::DeviceAnswer::Unknown => self.check_every.get(),
        }
    }

    /// This device is no longer kept for offline use for the signed-in user (an ADMIN switched
    /// it to online-only): their queue is synced first, then their profile and data deleted
    /// from the device. Work that cannot reach the server yet keeps it until the next check.
    async fn stop_keeping(self: &Rc<Self>) {
        let Some(open) = self.store.unlocked() else {
            return;
        };
        self.sync().await;
        match self.store.wipe_profile_if_empty(&open.profile).await {
            Ok(0) => {}
            // Work not yet on the server keeps the profile until it is synced.
            Ok(_) => return,
            Err(e) => {
                leptos::logging::error!("DRIMS: the profile could not be deleted: {}", e.0);
                return;
            }
        }
        self.status.update(|s| {
            s.unlocked = false;
            s.access_epoch += 1;
            s.last_synced = None;
        });
        self.refresh().await;
        self.broadcast();
    }

    /// Deletes everything DRIMS kept on this device for every user (IndexedDB, and its keys in
    /// local and session storage; the device id stays, as the server knows the device by it),
    /// reports the wipe to the server, tells every tab, and shows why.
    async fn wipe_device(self: &Rc<Self>, why: String) {
        if let Err(e) = self.store.wipe_all().await {
            leptos::logging::error!("DRIMS: the device store could not be wiped: {}", e.0);
            self.store.lock();
        }
        if let Some(window) = web_sys::window() {
            if let Ok(Some(local)) = window.local_storage() {
                let keys: Vec<String> = (0..local.length().unwrap_or(0))
                    .filter_map(|i| local.key(i).ok().flatten())
                    .filter(|k| k.starts_with("drims.") && k != "drims.device_id")
                    .collect();
                for k in keys {
                    let _ = local.remove_item(&k);
                }
            }
            if let Ok(Some(session)) = window.session_storage() {
                let _ = session.clear();
            }
        }
        let _ = crate::transport::wipe_ack(&self.device_id).await;
        self.status.update(|s| {
            s.unlocked = false;
            s.needs_unlock = true;
            s.access_epoch += 1;
            s.pending = 0;
            s.failed = 0;
            s.last_synced = None;
            s.wiped = Some(why);
        });
        self.tell("wiped");
    }

    /// One sync run under the lock; resolves when it has ended. Requests coalesce: a request
    /// made while a run waits for the lock joins that run, which reads the outbox when it
    /// starts and so covers whatever the caller queued before asking; a request made while a
    /// run is under way waits for one more. Each save asks for a run: 5,000 saves offline once
    /// left as many runs queued behind the lock, replayed one after another (a ping, a session
    /// check and a snapshot each, 3 s apiece over 2G) once the link came back.
    pub async fn sync(self: &Rc<Self>) {
        let joined = self.waiting.borrow().as_ref().map(|(_, run)| run.clone());
        if let Some(run) = joined {
            return run.await;
        }
        let id = self.runs.get().wrapping_add(1);
        self.runs.set(id);
        let (me, after) = (Rc::clone(self), Rc::clone(self));
        let run = async move {
            with_lock(async move {
                // Started: from now on a request needs a run of its own.
                me.stop_waiting(id);
                me.run_once().await
            })
            .await;
            // Also when the lock could not be asked for and nothing ran: then nothing is
            // syncing either (the first run is shown as started before it has the lock).
            if after.stop_waiting(id) {
                after.status.update(|s| s.syncing = false);
            }
        }
        .boxed_local()
        .shared();
        self.waiting.replace(Some((id, run.clone())));
        run.await
    }

    /// Forgets run `id` as waiting; whether it still was (it had not started).
    fn stop_waiting(&self, id: u64) -> bool {
        let mut waiting = self.waiting.borrow_mut();
        let was = waiting.as_ref().is_some_and(|(w, _)| *w == id);
        if was {
            *waiting = None;
        }
        was
    }

    async fn run_once(self: Rc<Self>) {
        self.status.update(|s| s.syncing = true);
        let online = reachable().await;
        let user = if online {
            session_user().await
        } else {
            Err(app::offline::engine::TransportError::Network(
                "offline".into(),
            ))
        };
        let end = match user {
            Err(_) => {
                self.status.update(|s| s.online = false);
                None
            }
            Ok(None) => {
                self.status.update(|s| {
                    s.online = true;
                    s.needs_sign_in = true;
                });
                None
            }
            Ok(Some(user)) if !self.open_for(&user).await => {
                // Online, but this device keeps nothing open for this user: nothing to send.
                // When work of theirs waits here (a session made without the device, e.g. a
                // form posted before the client ran), or another user's profile is open, the
                // pill asks for a sign-in through the client.
                let other = self.store.unlocked().is_some() || self.waiting_for(&user).await;
                let unlock_gone = self.locked_for_link.replace(false);
                self.status.update(|s| {
                    s.online = true;
                    s.needs_sign_in = other;
                    if unlock_gone {
                        s.needs_unlock = false;
                    }
                });
                None
            }
            Ok(Some(user)) => {
                self.status.update(|s| {
                    s.online = true;
                    s.needs_sign_in = false;
                });
                // Another tab may have synced (and been killed before saying so): read afresh.
                self.store.forget();
                let mut engine = self.engine.borrow_mut().take().unwrap_or_else(|| {
                    let mut engine = SyncEngine::new(
                        self.store.clone(),
                        HttpTransport::default(),
                        self.device_id.clone(),
                    );
                    engine.clock = Box::new(js_sys::Date::now);
                    let status = self.status;
                    let channel = self.channel.clone();
                    let told = Cell::new(0.0);
                    engine.progress = Some(Box::new(move |p| {
                        status.update(|s| s.progress = Some(p));
                        // Other tabs show what left the outbox, every 2 s at most.
                        let now = js_sys::Date::now();
                        if now - told.get() > 2_000.0 {
                            told.set(now);
                            if let Some(c) = &channel {
                                let _ = c.post_message(&"changed".into());
                            }
                        }
                    }));
                    engine
                });
                // This run works for the profile open now, and only while it stays open: an
                // idle lock and another user's sign-in here stop it before it sends or stores
                // anything more. The server also refuses a batch sent under another session.
                if let Some(store) = self.store.pinned() {
                    engine.store = store;
                }
                engine.transport = HttpTransport {
                    user_id: Some(user.id),
                };
                let now = chrono::Utc::now().to_rfc3339();
                let result = engine.run(&now, js_sys::Math::random()).await;
                *self.engine.borrow_mut() = Some(engine);
                self.status.update(|s| {
                    s.storage_refused = matches!(&result, Err(e) if e.0 == crate::store::NOT_STORED)
                });
                match result {
                    Ok((end, _report)) => {
                        if end == RunEnd::Synced {
                            self.exchange_issues().await;
                        } else if matches!(end, RunEnd::RetryIn(_)) && !reachable().await {
                            // The link dropped mid-run: say so, and let the connectivity check
                            // start the next run the moment the server answers again (rather
                            // than the backoff's next turn, up to minutes away).
                            self.status.update(|s| s.online = false);
                        }
                        Some(end)
                    }
                    // A full device: each run would download the snapshot again and fail to
                    // keep it; try again much later (a save of the user's frees nothing).
                    Err(e) if e.0 == crate::store::NOT_STORED => {
                        leptos::logging::error!("DRIMS sync: the device store failed: {}", e.0);
                        Some(RunEnd::RetryIn(STORAGE_REFUSED_RETRY_MS))
                    }
                    Err(e) => {
                        leptos::logging::error!("DRIMS sync: the device store failed: {}", e.0);
                        Some(RunEnd::RetryIn(OFFLINE_RETRY_MS))
                    }
                }
            }
        };
        if end == Some(RunEnd::NeedsSignIn) {
            self.status.update(|s| s.needs_sign_in = true);
        }
        self.status.update(|s| {
            s.syncing = false;
            s.progress = None;
        });
        self.refresh().await;
        self.broadcast();
        let pending = self.status.with_untracked(|s| s.pending);
        match end {
            Some(RunEnd::RetryIn(ms)) => self.schedule(ms),
            None if pending > 0 => self.schedule(OFFLINE_RETRY_MS),
            _ => {}
        }
    }

    /// Sync Issues both ways: discards made here reach the server (its review stops listing
    /// them as refused), and issues a Logistics Manager resolved there (or that reached the
    /// server another way) leave this device's issues for its resolved list, with the note.
    async fn exchange_issues(&self) {
        /// The server's limit on ids per request.
        const CHUNK: usize = 1000;
        let Some(store) = self.store.pinned() else {
            return;
        };
        // Bound to the profile open now: nothing of it lands in another user's records.
        if let Ok(ids) = store.discards().await {
            for chunk in ids.chunks(CHUNK) {
                if let Some(noted) = crate::transport::report_discards(&self.device_id, chunk).await
                {
                    let _ = store.discards_reported(&noted).await;
                }
            }
        }
        let Ok(data) = store.local_data().await else {
            return;
        };
        let ids: Vec<Uuid> = data.issues.iter().map(|i| i.op.id).collect();
        let mut settled = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let Some(states) = crate::transport::issue_states(chunk).await else {
                return;
            };
            for st in states {
                use app::ops::issues::IssueState;
                let state = match st.state {
                    IssueState::Resolved => "resolved",
                    IssueState::Applied => "applied",
                    IssueState::PendingConfirmation => "pending_confirmation",
                    IssueState::Refused | IssueState::Discarded | IssueState::Unknown => continue,
                };
                if let Some(issue) = data.issues.iter().find(|i| i.op.id.to_string() == st.id) {
                    settled.push(app::offline::ResolvedIssue {
                        issue: issue.clone(),
                        state: state.into(),
                        note: st.note,
                        resolved_by: st.resolved_by,
                        resolved_at: st.resolved_at,
                    });
                }
            }
        }
        if let Err(e) = store.settle_issues(settled).await {
            leptos::logging::error!("DRIMS: settled issues could not be stored: {}", e.0);
        }
    }

    fn listen(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let me = Rc::clone(self);
        let online = Closure::<dyn FnMut()>::new(move || {
            let me = Rc::clone(&me);
            leptos::task::spawn_local(async move { me.sync().await });
        });
        let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        online.forget();
        // Back in view, or the browser's idea of the network changed: check at once.
        let me = Rc::clone(self);
        let visible = Closure::<dyn FnMut()>::new(move || {
            me.beat_in(0);
            me.check_in(0);
        });
        if let Some(document) = window.document() {
            let _ = document.add_event_listener_with_callback(
                "visibilitychange",
                visible.as_ref().unchecked_ref(),
            );
        }
        let _ = window.add_event_listener_with_callback("online", visible.as_ref().unchecked_ref());
        visible.forget();
        let status = self.status;
        let offline = Closure::<dyn FnMut()>::new(move || status.update(|s| s.online = false));
        self.listen_idle();
        let _ =
            window.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
        offline.forget();
        if let Some(channel) = &self.channel {
            let me = Rc::clone(self);
            let message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |ev: web_sys::MessageEvent| {
                    let me = Rc::clone(&me);
                    // Another tab wrote, locked, signed out or wiped: this tab's opened copy
                    // is stale whatever the message.
                    me.store.forget();
                    match ev.data().as_string().as_deref() {
                        Some("lock") => me.lock_here(),
                        Some("signed-out") => me.signed_out_elsewhere(),
                        // Another tab wiped the device: this one asks, and shows why.
                        Some("wiped") => me.check_in(0),
                        _ => leptos::task::spawn_local(async move { me.refresh().await }),
                    }
                },
            );
            channel.set_onmessage(Some(message.as_ref().unchecked_ref()));
            message.forget();
        }
    }
}

struct Port(Rc<Runner>);

impl OfflinePort for Port {
    fn device_id(&self) -> String {
        self.0.device_id.clone()
    }

    fn enqueue(&self, op: Operation) -> LocalFuture<Result<(), String>> {
        let r = Rc::clone(&self.0);
        Box::pin(async move {
            r.store.enqueue(op).await.map_err(|e| e.0)?;
            // Stored: the caller may say so now; the counts follow.
            leptos::task::spawn_local(async move {
                r.refresh().await;
                r.broadcast();
            });
            Ok(())
        })
    }

    fn local_data(&self) -> LocalFuture<Result<LocalData, String>> {
        let r = Rc::clone(&self.0);
        Box::pin(async move { r.store.local_data().await.map_err(|e| e.0) })
    }

    fn whereabouts(
        &self,
        id: Uuid,
    ) -> LocalFuture<Result<app::offline::client::Whereabouts, String>> {
        let r = Rc::clone(&self.0);
        Box::pin(async move { r.store.whereabouts(id).await.map_err(|e| e.0) })
    }

    fn discard_issue(&self, id: Uuid) -> LocalFuture<Result<(), String>> {
        let r = Rc::clone(&self.0);
        Box::pin(async move {
            r.store.discard_issue(id).await.map_err(|e| e.0)?;
            r.refresh().await;
            r.broadcast();
            Ok(())
        })
    }

    fn clear_resolved(&self) -> LocalFuture<Result<(), String>> {
        let r = Rc::clone(&self.0);
        Box::pin(async move {
            r.store.clear_resolved().await.map_err(|e| e.0)?;
            r.refresh().await;
            r.broadcast();
            Ok(())
        })
    }

    fn sync_now(&self) -> LocalFuture<()> {
        let r = Rc::clone(&self.0);
        Box::pin(async move { r.sync().await })
    }

    fn reachable(&self) -> LocalFuture<bool> {
        Box::pin(reachable())
    }

    fn update_app(&self, force: bool) {
        crate::pwa::update_app(self.0.status, force);
    }

    fn sign_in(&self, form: SignInForm) -> LocalFuture<Result<SignedIn, String>> {
        let r = Rc::clone(&self.0);
        Box::pin(async move { r.sign_in(form).await })
    }

    fn sign_out(&self, force: bool) -> LocalFuture<Result<SignOut, String>> {
        let r = Rc::clone(&self.0);
        Box::pin(async move { r.sign_out(force).await })
    }

    fn export(
        &self,
        passphrase: String,
        credentials: Option<SignInForm>,
    ) -> LocalFuture<Result<usize, String>> {
        let r = Rc::clone(&self.0);
        Box::pin(async move { crate::export::export(&r, passphrase, credentials).await })
    }
}

/// Starts the offline client: the store, the listeners, and a first sync once the page is up.
/// `shell`: the service worker's offline page, started with no network: nothing is shown until
/// the user signs in with this device's offline access.
pub fn start(shell: bool) -> Offline {
    let status = RwSignal::new(SyncStatus {
        needs_unlock: shell,
        // The offline start: the page itself did not come from the server (no network, or a
        // link that answered nothing in time). Online only once a check says so.
        online: !shell,
        ..SyncStatus::default()
    });
    let runner = Rc::new(Runner {
        store: IdbStore::default(),
        status,
        engine: RefCell::new(None),
        channel: web_sys::BroadcastChannel::new(CHANNEL).ok(),
        waiting: RefCell::new(None),
        runs: Cell::new(0),
        timer: Cell::new(None),
        beat_timer: Cell::new(None),
        misses: Cell::new(0),
        check_timer: Cell::new(None),
        check_every: Cell::new(DEVICE_CHECK_MS),
        device_id: device_id(),
        idle_ms: Cell::new(f64::INFINITY),
        locked_for_link: Cell::new(false),
    });
    runner.listen();
    crate::pwa::register(status);
    let first = Rc::clone(&runner);
    leptos::task::spawn_local(async move {
        // Version 1 kept snapshots in plaintext: gone before anything else runs.
        if let Err(e) = first.store.drop_plaintext_snapshot().await {
            leptos::logging::error!("DRIMS: the device store could not be opened: {}", e.0);
        }
        first.finish_sign_out().await;
        if !shell {
            first.open_session_profile().await;
        }
        // Real counts first, then "ready": the pill never shows a default as the device's state.
        // The first run starts now (once it has the sync lock): "Syncing", not the last
        // snapshot's "Synced", until it has checked with the server.
        first.refresh().await;
        first.status.update(|s| {
            s.ready = true;
            s.syncing = true;
        });
        first.sync().await;
        first.beat_in(BEAT_MS);
        first.check_in(0);
    });
    Offline::new(status, Rc::new(Port(runner)))
}
