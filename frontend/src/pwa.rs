//! The installable app in the browser: registers the service worker, follows its new versions
//! (available, failed to download, switched in another tab), switches only when the user
//! accepts and never over input not saved yet, and asks for persistent storage on a device kept
//! ready for offline use. Where service workers are unavailable the app works as before.
use std::cell::Cell;
use std::rc::Rc;

use app::offline::client::{AppUpdate, StorageState, SyncStatus};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    ServiceWorker, ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState,
};

const WORKER_URL: &str = "/service-worker.js";
/// How often an open tab asks the server for a new version (also on `online`).
const CHECK_EVERY_MS: i32 = 30 * 60 * 1000;

thread_local! {
    /// This tab asked for the switch: reload when the new version takes over.
    static RELOAD_ON_SWITCH: Cell<bool> = const { Cell::new(false) };
    /// Persistent storage was requested in this tab already.
    static PERSIST_ASKED: Cell<bool> = const { Cell::new(false) };
    /// When the storage figures were last asked for (ms since the epoch).
    static STORAGE_ASKED_AT: Cell<f64> = const { Cell::new(0.0) };
}

fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    js_sys::Reflect::has(&navigator, &"serviceWorker".into())
        .unwrap_or(false)
        .then(|| navigator.service_worker())
}

/// Registers the service worker and follows new versions into `status.update`.
pub fn register(status: RwSignal<SyncStatus>) {
    let Some(container) = container() else {
        return;
    };
    watch_edits();
    // Controlled by an older version when the new one takes over: an update, not the first
    // install (which takes over at once with nothing to replace).
    let controlled = Rc::new(Cell::new(container.controller().is_some()));
    let was = Rc::clone(&controlled);
    let on_switch = Closure::<dyn FnMut()>::new(move || {
        if RELOAD_ON_SWITCH.get() {
            reload();
        } else if was.get() {
            status.update(|s| s.update = AppUpdate::Applied);
        }
        was.set(true);
    });
    container.set_oncontrollerchange(Some(on_switch.as_ref().unchecked_ref()));
    on_switch.forget();
    let registering = container.register(WORKER_URL);
    leptos::task::spawn_local(async move {
        let Ok(reg) = JsFuture::from(registering).await else {
            return;
        };
        let reg: ServiceWorkerRegistration = reg.unchecked_into();
        if reg.waiting().is_some() && container.controller().is_some() {
            status.update(|s| s.update = AppUpdate::Available);
        }
        if let Some(worker) = reg.installing() {
            follow(worker, status);
        }
        let watched = reg.clone();
        let found = Closure::<dyn FnMut()>::new(move || {
            if let Some(worker) = watched.installing() {
                follow(worker, status);
            }
        });
        reg.set_onupdatefound(Some(found.as_ref().unchecked_ref()));
        found.forget();
        check_now_and_then(reg);
    });
}

/// Follows one new worker: downloaded whole (`installed`) means an update is available; gone
/// (`redundant`) before that means a file of it could not be downloaded.
fn follow(worker: ServiceWorker, status: RwSignal<SyncStatus>) {
    let installed = Cell::new(false);
    let w = worker.clone();
    let changed = Closure::<dyn FnMut()>::new(move || {
        let running = container().and_then(|c| c.controller()).is_some();
        match w.state() {
            ServiceWorkerState::Installed => {
                installed.set(true);
                if running {
                    status.update(|s| {
                        if s.update != AppUpdate::Applying {
                            s.update = AppUpdate::Available;
                        }
                    });
                }
            }
            ServiceWorkerState::Redundant if !installed.get() && running => {
                status.update(|s| s.update = AppUpdate::Failed);
            }
            _ => {}
        }
    });
    worker.set_onstatechange(Some(changed.as_ref().unchecked_ref()));
    changed.forget();
}

/// Asks the server for a new version every half hour and when the network comes back.
fn check_now_and_then(reg: ServiceWorkerRegistration) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let check = Closure::<dyn FnMut()>::new(move || {
        // Rejected without a network: the next check tries again.
        if let Ok(p) = reg.update() {
            leptos::task::spawn_local(async move {
                let _ = JsFuture::from(p).await;
            });
        }
    });
    let f: &js_sys::Function = check.as_ref().unchecked_ref();
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(f, CHECK_EVERY_MS);
    let _ = window.add_event_listener_with_callback("online", f);
    check.forget();
}

/// Switches to the waiting version (see `OfflinePort::update_app`).
pub fn update_app(status: RwSignal<SyncStatus>, force: bool) {
    if !force && has_unsaved_input() {
        status.update(|s| s.update = AppUpdate::Unsaved);
        return;
    }
    if status.with_untracked(|s| s.update) == AppUpdate::Applied {
        reload();
        return;
    }
    status.update(|s| s.update = AppUpdate::Applying);
    RELOAD_ON_SWITCH.set(true);
    let Some(container) = container() else {
        reload();
        return;
    };
    leptos::task::spawn_local(async move {
        let reg = JsFuture::from(container.get_registration())
            .await
            .ok()
            .and_then(|r| r.dyn_into::<ServiceWorkerRegistration>().ok());
        match reg.and_then(|r| r.waiting()) {
            Some(waiting) => {
                let message = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&message, &"type".into(), &"skip-waiting".into());
                // The page reloads when the new version takes over (`controllerchange`).
                let _ = waiting.post_message(&message);
            }
            // Another tab switched already: this page only needs the new files.
            None => reload(),
        }
    });
}

fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// Marks every form field the user types in (`data-edited`), so unsaved input can be told from
/// values the page filled in itself.
fn watch_edits() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let mark = Closure::<dyn FnMut(web_sys::Event)>::new(|ev: web_sys::Event| {
        if let Some(el) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = el.set_attribute("data-edited", "");
        }
    });
    let _ = document.add_event_listener_with_callback_and_bool(
        "input",
        mark.as_ref().unchecked_ref(),
        true,
    );
    mark.forget();
}

/// A form field on the page that the user changed and that still differs from what the page
/// was loaded with.
pub fn has_unsaved_input() -> bool {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let Ok(fields) = document.query_selector_all("form [data-edited]") else {
        return false;
    };
    (0..fields.length())
        .filter_map(|i| fields.item(i))
        .any(|node| changed(&node))
}

fn changed(node: &web_sys::Node) -> bool {
    if let Some(input) = node.dyn_ref::<web_sys::HtmlInputElement>() {
        return match input.type_().as_str() {
            "checkbox" | "radio" => input.checked() != input.default_checked(),
            "hidden" | "submit" | "button" | "reset" | "password" => false,
            _ => input.value() != input.default_value(),
        };
    }
    if let Some(area) = node.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        return Ok(area.value()) != area.default_value();
    }
    if let Some(select) = node.dyn_ref::<web_sys::HtmlSelectElement>() {
        let options = select.options();
        return (0..options.length())
            .filter_map(|i| options.item(i))
            .filter_map(|o| o.dyn_into::<web_sys::HtmlOptionElement>().ok())
            .any(|o| o.selected() != o.default_selected());
    }
    false
}

/// Persistent storage and the space used; on the first call in this tab with `persist`, asks
/// the browser to keep this site's data (`navigator.storage.persist()`).
pub async fn storage(persist: bool) -> Option<StorageState> {
    // Asked at most every 10 s: a refresh follows every save, and the figures barely move.
    let now = js_sys::Date::now();
    let must_ask = persist && !PERSIST_ASKED.get();
    if now - STORAGE_ASKED_AT.get() < 10_000.0 && !must_ask {
        return None;
    }
    STORAGE_ASKED_AT.set(now);
    let navigator = web_sys::window()?.navigator();
    if !js_sys::Reflect::has(&navigator, &"storage".into()).unwrap_or(false) {
        return None;
    }
    let manager = navigator.storage();
    if persist && !PERSIST_ASKED.replace(true) {
        if let Ok(p) = manager.persist() {
            let _ = JsFuture::from(p).await;
        }
    }
    let persisted = JsFuture::from(manager.persisted().ok()?)
        .await
        .ok()?
        .as_bool()
        .unwrap_or(false);
    let estimate = JsFuture::from(manager.estimate().ok()?).await.ok()?;
    let number = |name: &str| {
        js_sys::Reflect::get(&estimate, &name.into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
    };
    Some(StorageState {
        persisted,
        usage: number("usage"),
        quota: number("quota"),
    })
}
