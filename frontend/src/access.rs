//! Who may open this device's data, in the browser: sign-in (online with the server, or offline
//! with the profile and password), opening the profile online with the device secret, the idle
//! lock shared by every tab, and sign-out (which deletes the user's data from the device).
use std::rc::Rc;

use app::model::SessionUser;
use app::offline::access::{DeviceRef, SignInRequest};
use app::offline::client::{SignInForm, SignOut, SignedIn};
use leptos::prelude::{Update, WithUntracked};
use wasm_bindgen::prelude::*;

use crate::profile::{self, UnlockError};
use crate::runner::Runner;
use crate::store::Unlocked;
use crate::transport::{self, SignInAnswer};

const LAST_ACTIVE: &str = "drims.last_active";
const SIGN_OUT_PENDING: &str = "drims.signout_pending";
/// In this tab's session storage: the id of the profile the tab had open (a random id, nothing
/// about the user), so a page loaded as the link drops knows to ask for the offline sign-in.
const OPEN_HERE: &str = "drims.open_profile";
/// How often each tab looks at the shared last-activity time.
const IDLE_CHECK_MS: i32 = 5_000;
/// An offline sign-in overtaken by a lock or sign-out in another window.
const LOCKED_AGAIN: &str = "DRIMS was locked in another window as this one opened: sign in again.";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Marks input in this tab (shared with every tab through localStorage: a time, nothing else).
fn touch() {
    if let Some(s) = local_storage() {
        let _ = s.set_item(LAST_ACTIVE, &now_ms().to_string());
    }
}

fn last_active() -> f64 {
    local_storage()
        .and_then(|s| s.get_item(LAST_ACTIVE).ok().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(now_ms)
}

impl Runner {
    /// Opens `unlocked` in this tab. `false` when another tab locked or signed out before it
    /// was done: the sign-in screen that lock raised stays.
    pub(crate) async fn opened(&self, unlocked: Unlocked, idle_lock_minutes: i64) -> bool {
        // Active from now, before the key is in the store: every tab's idle check compares the
        // shared time with an open profile, and after an idle lock that time is the old one
        // (nobody's input counts while locked). Set later, a check falling while the store is
        // still busy would lock the profile just opened, under a page that then showed as
        // signed in with no data.
        touch();
        self.idle_ms.set(idle_lock_minutes.max(1) as f64 * 60_000.0);
        let profile = unlocked.profile.clone();
        if let Some(s) = session_storage() {
            let _ = s.set_item(OPEN_HERE, &profile);
        }
        self.store.unlock(unlocked);
        if let Err(e) = self.store.adopt_plaintext().await {
            leptos::logging::error!("DRIMS: older queued work could not be sealed: {}", e.0);
        }
        let still_open = || self.store.unlocked().is_some_and(|u| u.profile == profile);
        if !still_open() {
            return false;
        }
        self.locked_for_link.set(false);
        self.status.update(|s| {
            s.unlocked = true;
            s.needs_unlock = false;
            s.access_epoch += 1;
        });
        self.refresh().await;
        still_open()
    }

    /// Whether unsynced work of `user` waits on this device (counted without the key).
    pub(crate) async fn waiting_for(&self, user: &SessionUser) -> bool {
        match profile::find_for(&self.store, &self.device_id, &user.username).await {
            Ok(Some(p)) => self.store.count_of(&p.id).await.unwrap_or(0) > 0,
            _ => false,
        }
    }

    /// At start, online: opens the session user's profile before the pill reports counts.
    pub(crate) async fn open_session_profile(&self) {
        if transport::reachable().await {
            if let Ok(Some(user)) = transport::session_user().await {
                self.open_for(&user).await;
            }
            return;
        }
        // The page came from the server, which no longer answers (the link dropped as it
        // loaded): the device secret it hands over is out of reach. If this tab had a profile
        // open, ask for the offline sign-in, as a page started offline does, rather than leave
        // its forms saying the device is not kept ready. Back online, the next sync opens the
        // profile with the device secret and the sign-in gives way by itself (`opened`).
        let Some(id) = session_storage().and_then(|s| s.get_item(OPEN_HERE).ok().flatten()) else {
            return;
        };
        if profile::all(&self.store)
            .await
            .is_ok_and(|all| all.iter().any(|p| p.id == id))
            && self.store.unlocked().is_none()
        {
            self.locked_for_link.set(true);
            self.status.update(|s| s.needs_unlock = true);
        }
    }

    /// Online with a session: opens this user's profile with the device secret when the device
    /// is kept for offline use. `true` when the user's profile is open.
    pub(crate) async fn open_for(&self, user: &SessionUser) -> bool {
        if self.store.user() == Some(user.id) {
            return true;
        }
        if self.store.unlocked().is_some() {
            // Another user's profile is open here (signed in offline): its work is never sent
            // under this session; that user signs in online to sync it.
            return false;
        }
        let Ok(Some(access)) = transport::offline_access().await else {
            return false;
        };
        match profile::unlock_with_device(&self.store, &self.device_id, user, &access).await {
            Ok(Some(unlocked)) => self.opened(unlocked, access.idle_lock_minutes).await,
            Ok(None) => false,
            Err(e) => {
                leptos::logging::error!("DRIMS: this device's data could not be opened: {e}");
                false
            }
        }
    }

    pub(crate) async fn sign_in(self: &Rc<Self>, form: SignInForm) -> Result<SignedIn, String> {
        // Unsynced work of this user on this device keeps it ready until that work is synced,
        // box ticked or not: nothing recorded here is lost by a sign-in.
        let waiting = match profile::find_for(&self.store, &self.device_id, &form.username).await {
            Ok(Some(p)) => self.store.count_of(&p.id).await.unwrap_or(0),
            _ => 0,
        };
        let request = SignInRequest {
            username: form.username.clone(),
            password: form.password.clone(),
            device: Some(DeviceRef {
                id: self.device_id.clone(),
                name: None,
            }),
            keep_offline: form.keep_offline || waiting > 0,
        };
        // The server did not answer the last check (no link, or one that answers nothing):
        // a short look first, rather than the sign-in's own 20 s wait before the device's
        // profile is tried.
        let answer = if self.status.with_untracked(|s| s.online) || transport::reachable().await {
            transport::sign_in(&request).await
        } else {
            SignInAnswer::Network
        };
        match answer {
            SignInAnswer::Network => self.sign_in_offline(&form).await,
            SignInAnswer::Ok(answer) => {
                // Whatever this tab had open before is not this sign-in's (another user, or
                // the same one not keeping the device ready): `opened` notes it again.
                if let Some(s) = session_storage() {
                    let _ = s.remove_item(OPEN_HERE);
                }
                match &answer.offline {
                    Some(access) => {
                        let (unlocked, kdf_ms) = profile::save_online(
                            &self.store,
                            &self.device_id,
                            &form.password,
                            &answer.user,
                            access,
                        )
                        .await?;
                        // For diagnosing a slow field laptop (and the measures): how long the
                        // key derivation took here. A number, nothing secret.
                        if let Some(s) = session_storage() {
                            let _ = s.set_item("drims.kdf_ms", &kdf_ms.to_string());
                        }
                        // The page reloads next and opens the profile with the device secret,
                        // whether or not another tab locked it meanwhile.
                        self.opened(unlocked, access.idle_lock_minutes).await;
                    }
                    None => self.keep_nothing(&form).await,
                }
                Ok(SignedIn::Online)
            }
            SignInAnswer::Refused(403, message) if message.contains("deactivated") => {
                self.deactivated(&form).await.ok_or(message)
            }
            SignInAnswer::Refused(_, message) => Err(message),
        }
    }

    async fn sign_in_offline(&self, form: &SignInForm) -> Result<SignedIn, String> {
        let (unlocked, access) = profile::unlock_with_password(
            &self.store,
            &self.device_id,
            &form.username,
            &form.password,
        )
        .await
        .map_err(|e| e.message())?;
        self.status.update(|s| s.online = false);
        if !self.opened(unlocked, access.idle_lock_minutes).await {
            // The sign-in page would otherwise lift the screen over a locked device.
            return Err(LOCKED_AGAIN.into());
        }
        Ok(SignedIn::Offline)
    }

    /// Signed in without "keep this device ready" (or the policy said online only): the user's
    /// profile on this device goes.
    async fn keep_nothing(&self, form: &SignInForm) {
        let Ok(Some(found)) = profile::find_for(&self.store, &self.device_id, &form.username).await
        else {
            return;
        };
        if self
            .store
            .wipe_profile_if_empty(&found.id)
            .await
            .is_ok_and(|waiting| waiting > 0)
        {
            leptos::logging::warn!("DRIMS: unsynced work stays on this device until exported");
        }
    }

    /// The server deactivated the account: the profile (opened with the password just typed)
    /// loses offline sign-in and keeps its queue for export.
    async fn deactivated(&self, form: &SignInForm) -> Option<SignedIn> {
        let (unlocked, _) =
            profile::open_profile(&self.store, &self.device_id, &form.username, &form.password)
                .await
                .ok()?;
        let _ = profile::mark_deactivated(&self.store, &unlocked).await;
        let pending = self.store.count_of(&unlocked.profile).await.unwrap_or(0);
        Some(SignedIn::Deactivated { pending })
    }

    pub(crate) async fn sign_out(&self, force: bool) -> Result<SignOut, String> {
        let profile = match self.store.unlocked() {
            Some(u) => Some(u.profile),
            None => match transport::session_user().await {
                Ok(Some(user)) => profile::find_for(&self.store, &self.device_id, &user.username)
                    .await?
                    .map(|p| p.id),
                _ => None,
            },
        };
        if let Some(id) = &profile {
            if force {
                self.store.wipe_profile(id).await.map_err(|e| e.0)?;
            } else {
                // Counted and deleted in one transaction: work another tab queues meanwhile is
                // either counted (and asked about) or not yet there.
                let waiting = self
                    .store
                    .wipe_profile_if_empty(id)
                    .await
                    .map_err(|e| e.0)?;
                if waiting > 0 {
                    return Ok(SignOut::Pending(waiting));
                }
            }
        }
        self.store.lock();
        if let Some(s) = session_storage() {
            let _ = s.remove_item(OPEN_HERE);
        }
        self.status.update(|s| {
            s.unlocked = false;
            s.pending = 0;
            s.failed = 0;
            s.access_epoch += 1;
        });
        self.tell("signed-out");
        if !transport::sign_out().await {
            // Offline: the server session ends at the next contact.
            if let Some(s) = local_storage() {
                let _ = s.set_item(SIGN_OUT_PENDING, "1");
            }
        }
        Ok(SignOut::Done)
    }

    /// A sign-out made offline ends the server session once it can be reached.
    pub(crate) async fn finish_sign_out(&self) {
        let Some(s) = local_storage() else { return };
        if s.get_item(SIGN_OUT_PENDING).ok().flatten().is_some()
            && transport::reachable().await
            && transport::sign_out().await
        {
            let _ = s.remove_item(SIGN_OUT_PENDING);
        }
    }

    /// Drops the key in this tab and shows the sign-in page.
    pub(crate) fn lock_here(&self) {
        if self.store.unlocked().is_none() {
            return;
        }
        self.store.lock();
        // The idle lock owns the sign-in screen now: a run reaching the server keeps it.
        self.locked_for_link.set(false);
        self.status.update(|s| {
            s.unlocked = false;
            s.needs_unlock = true;
            s.access_epoch += 1;
        });
    }

    /// Another tab signed out: nothing of the user stays on screen here either.
    pub(crate) fn signed_out_elsewhere(&self) {
        self.store.lock();
        if let Some(w) = web_sys::window() {
            let _ = w.location().assign("/login");
        }
    }

    /// Input in any tab keeps the profile open; after the idle time every tab locks.
    pub(crate) fn listen_idle(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let last_write = std::cell::Cell::new(0.0);
        let open = Rc::clone(self);
        // Only a device holding an open profile keeps the time (one not kept for offline use
        // stores nothing beyond its id).
        let activity = Closure::<dyn FnMut()>::new(move || {
            if open.store.unlocked().is_some() && now_ms() - last_write.get() > 2_000.0 {
                last_write.set(now_ms());
                touch();
            }
        });
        for event in ["pointerdown", "keydown", "mousemove", "touchstart", "wheel"] {
            let _ =
                window.add_event_listener_with_callback(event, activity.as_ref().unchecked_ref());
        }
        activity.forget();
        let me = Rc::clone(self);
        let check = Closure::<dyn FnMut()>::new(move || {
            if me.store.unlocked().is_some() && now_ms() - last_active() > me.idle_ms.get() {
                me.lock_here();
                me.tell("lock");
            }
        });
        let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
            check.as_ref().unchecked_ref(),
            IDLE_CHECK_MS,
        );
        check.forget();
    }
}

impl From<UnlockError> for String {
    fn from(e: UnlockError) -> Self {
        e.message()
    }
}
