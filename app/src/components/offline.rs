//! Offline mode in the page: the status pill with "Sync Now", the offline banner, the save
//! notice under a form, and the submit handler that queues an operation in the outbox.
//! Without the browser client (server render, JavaScript off) the pill shows the plain online
//! state, the button stays hidden, and forms post to the server as ordinary HTML forms.
use std::future::Future;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::domain::ValidationError;
use crate::error::{ApiError, ErrorCode};
use crate::offline::client::{use_offline, AppUpdate, LocalData, Offline, StorageState};
use crate::ops::Operation;

#[component]
pub fn SyncPill() -> impl IntoView {
    let offline = use_offline();
    let status = offline.status;
    let sync_now = move |_| {
        if let Some(port) = offline.port() {
            leptos::task::spawn_local(async move { port.sync_now().await });
        }
    };
    let icon = move || match status.read().tone() {
        "ok" => "✓",
        "busy" => "↻",
        _ => "⚠",
    };
    view! {
        <div id="sync-status" class="sync-slot">
            <span
                class=move || format!("sync-pill {}", status.read().tone())
                role="status"
                aria-live="polite"
                aria-label=move || {
                    let s = status.read();
                    if s.ready {
                        format!("Sync status: {}. {}.", s.label(), s.counts())
                    } else {
                        format!("Sync status: {}.", s.label())
                    }
                }
                data-pending=move || status.read().pending.to_string()
                data-failed=move || status.read().failed.to_string()
                data-ready=move || status.read().ready.to_string()
                data-unlocked=move || status.read().unlocked.to_string()
                data-syncing=move || status.read().syncing.to_string()
                data-last-synced=move || status.read().last_synced.clone().unwrap_or_default()
            >
                <span class="pill-icon" aria-hidden="true">{icon}</span>
                <span class="pill-text">{move || status.read().label()}</span>
                <span class="pill-counts" hidden=move || !status.read().ready>
                    {move || status.read().counts()}
                </span>
            </span>
            <button
                type="button"
                class="secondary sync-now"
                hidden=move || !status.read().ready
                disabled=move || status.read().syncing
                on:click=sync_now
            >
                "Sync Now"
            </button>
            <a href="/login" class="sign-in-to-sync" hidden=move || !status.read().needs_sign_in>
                "Sign in to sync"
            </a>
        </div>
    }
}

/// Shown on the intake, distribution and needs-list pages while offline.
#[component]
pub fn OfflineBanner() -> impl IntoView {
    let status = use_offline().status;
    move || {
        (!status.read().online).then(|| {
            view! {
                <p class="offline-banner" role="status">
                    "You are offline. Entries will be saved locally and synced when connection is restored."
                </p>
            }
        })
    }
}

/// What a form says after it was saved on the device.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveNotice {
    /// Stored in the outbox; the text may carry a stock warning.
    Saved {
        text: String,
        enqueue_ms: f64,
    },
    Synced {
        text: String,
        enqueue_ms: f64,
    },
    Refused(String),
    Invalid(String),
    /// A device not kept for offline use could not reach the server: nothing was sent, and
    /// what was typed stays in the form for a retry.
    ConnectionRequired,
}

#[component]
pub fn SaveNoticeView(notice: RwSignal<Option<SaveNotice>>) -> impl IntoView {
    move || {
        notice.get().map(|n| match n {
            SaveNotice::Saved { text, enqueue_ms } => view! {
                <p class="notice saved" role="status" data-enqueue-ms=enqueue_ms.to_string()>{text}</p>
            }
            .into_any(),
            SaveNotice::Synced { text, enqueue_ms } => view! {
                <p class="notice synced" role="status" data-enqueue-ms=enqueue_ms.to_string()>{text}</p>
            }
            .into_any(),
            SaveNotice::Refused(text) => view! {
                <p class="error" role="alert">{text}" "<a href="/sync-issues">"Open Sync Issues"</a></p>
            }
            .into_any(),
            SaveNotice::Invalid(text) => view! { <p class="error" role="alert">{text}</p> }.into_any(),
            SaveNotice::ConnectionRequired => view! {
                <div class="error" role="alert" data-connection-required="true">
                    <p>
                        <strong>"Connection required."</strong>
                        " This device is not kept ready for offline use, so nothing can be saved \
                         on it, and the server cannot be reached. Nothing was sent; what you typed \
                         is still in the form."
                    </p>
                    <button type="submit">"Retry"</button>
                </div>
            }
            .into_any(),
        })
    }
}

/// The data of an online-only page: in the browser, an error ("The server did not answer in
/// time.", with the page's Retry) after [`SERVER_DEADLINE_MS`] without an answer, instead of
/// "Loading…" for good on a link that answers nothing. On the server: the call itself.
pub async fn in_time<T>(call: impl Future<Output = Result<T, ApiError>>) -> Result<T, ApiError> {
    #[cfg(feature = "hydrate")]
    return send_wrapper::SendWrapper::new(browser::within(SERVER_DEADLINE_MS, call)).await;
    #[cfg(not(feature = "hydrate"))]
    call.await
}

/// A loader that falls back to the device's last snapshot when the server cannot be reached,
/// or (in the browser) does not answer within [`SERVER_DEADLINE_MS`]: a link that answers
/// nothing would otherwise hold the page on "Loading…" for good.
pub async fn or_offline<T>(
    online: impl Future<Output = Result<T, ApiError>>,
    offline: &Offline,
    build: impl FnOnce(&LocalData) -> Option<T>,
) -> Result<T, ApiError> {
    #[cfg(feature = "hydrate")]
    let answer = if offline.port().is_some() {
        // Known to be offline (the last check failed, or the page is the offline start): a
        // short wait only, as the connectivity check's.
        let ms = if offline.status.with_untracked(|s| s.online) {
            SERVER_DEADLINE_MS
        } else {
            OFFLINE_DEADLINE_MS
        };
        send_wrapper::SendWrapper::new(browser::within(ms, online)).await
    } else {
        online.await
    };
    #[cfg(not(feature = "hydrate"))]
    let answer = online.await;
    match answer {
        Err(e) if e.code == ErrorCode::Transport => {
            match offline.local_data().await.as_ref().and_then(build) {
                Some(value) => Ok(value),
                None => Err(ApiError::new(
                    ErrorCode::Transport,
                    "You are offline and this device has no synced data for this page yet. Connect once to sync.",
                )),
            }
        }
        other => other,
    }
}

/// How long a page's data may take from the server before the device's copy is shown.
pub const SERVER_DEADLINE_MS: i32 = 15_000;
/// The same while the device is known to be offline.
pub const OFFLINE_DEADLINE_MS: i32 = 5_000;

/// Builds an operation from the form's fields (URL-encoded, as the server's form handler gets
/// them), the device id and the time.
pub type BuildOp = fn(&str, &str, String) -> Result<Operation, ValidationError>;

/// The submit handler of an offline-capable form: with the browser client it validates with
/// the shared rules, queues the operation, says "Saved - will sync", asks for a sync and then
/// says "Saved and synced" (or why the server refused it). Without the client it does nothing
/// and the form posts to the server.
///
/// `saves` is bumped once the operation is stored and again after the sync, so the page can
/// reload its choices (the stock on hand changed).
pub fn queue_on_submit(
    notice: RwSignal<Option<SaveNotice>>,
    saves: RwSignal<u64>,
    build: BuildOp,
) -> impl Fn(SubmitEvent) + 'static {
    let offline = use_offline();
    move |ev: SubmitEvent| {
        #[cfg(feature = "hydrate")]
        browser::submit(&offline, notice, saves, build, ev);
        #[cfg(not(feature = "hydrate"))]
        let _ = (&offline, notice, saves, build, ev);
    }
}

/// For requests that must be confirmed online (transfers): online the form posts to the
/// server as usual; offline it is queued and flagged "needs confirmation online".
pub fn queue_offline_on_submit(
    notice: RwSignal<Option<SaveNotice>>,
    build: BuildOp,
) -> impl Fn(SubmitEvent) + 'static {
    let offline = use_offline();
    let saves = RwSignal::new(0u64);
    move |ev: SubmitEvent| {
        if offline.status.get_untracked().online {
            return; // the browser posts the form
        }
        #[cfg(feature = "hydrate")]
        browser::submit(&offline, notice, saves, build, ev);
        #[cfg(not(feature = "hydrate"))]
        let _ = (&offline, notice, saves, build, ev);
    }
}

#[cfg(feature = "hydrate")]
pub use browser::deadline;

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::ev::SubmitEvent;
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    use super::{BuildOp, SaveNotice};
    use crate::offline::client::{Offline, Whereabouts};
    use crate::offline::project::projected;
    use crate::ops::OperationBody;

    /// `call`, or a transport error if it has not answered within `ms`.
    pub(super) async fn within<T>(
        ms: i32,
        call: impl std::future::Future<Output = Result<T, crate::error::ApiError>>,
    ) -> Result<T, crate::error::ApiError> {
        deadline(ms, call).await.unwrap_or_else(|| {
            Err(crate::error::ApiError::new(
                crate::error::ErrorCode::Transport,
                "The server did not answer in time.",
            ))
        })
    }

    /// What `fut` gives, or `None` if it has not finished within `ms`.
    pub async fn deadline<F: std::future::Future>(ms: i32, fut: F) -> Option<F::Output> {
        use std::future::Future;
        use std::task::Poll;
        let timer = wasm_bindgen_futures::js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        let mut timer = std::pin::pin!(wasm_bindgen_futures::JsFuture::from(timer));
        let mut fut = std::pin::pin!(fut);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                return Poll::Ready(Some(out));
            }
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            Poll::Pending
        })
        .await
    }

    fn now_ms() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or_default()
    }

    fn form_fields(form: &web_sys::HtmlFormElement) -> Option<String> {
        let data = web_sys::FormData::new_with_form(form).ok()?;
        let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
        params.to_string().as_string()
    }

    /// Empties what the user typed and gives the form a fresh operation id, so the next
    /// entry is a new operation.
    fn clear(form: &web_sys::HtmlFormElement) {
        if let Ok(list) = form.query_selector_all("input:not([type=hidden]), textarea") {
            for i in 0..list.length() {
                if let Some(node) = list.item(i) {
                    if let Some(input) = node.dyn_ref::<web_sys::HtmlInputElement>() {
                        if input.type_() != "radio" && input.type_() != "checkbox" {
                            input.set_value("");
                        }
                    } else if let Some(area) = node.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                        area.set_value("");
                    }
                }
            }
        }
        if let Ok(Some(id)) = form.query_selector("input[name=op_id]") {
            if let Some(input) = id.dyn_ref::<web_sys::HtmlInputElement>() {
                input.set_value(&uuid::Uuid::new_v4().to_string());
            }
        }
        // Saved: what is left in the form (the chosen item, say) is no unsaved input for an
        // update of the app to warn about (`frontend::pwa` marks fields the user typed in).
        if let Ok(list) = form.query_selector_all("[data-edited]") {
            for i in 0..list.length() {
                if let Some(el) = list
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                {
                    let _ = el.remove_attribute("data-edited");
                }
            }
        }
    }

    pub fn submit(
        offline: &Offline,
        notice: RwSignal<Option<SaveNotice>>,
        saves: RwSignal<u64>,
        build: BuildOp,
        ev: SubmitEvent,
    ) {
        let Some(port) = offline.port() else {
            return; // no client: the browser posts the form
        };
        if !offline.status.get_untracked().unlocked {
            // No profile open (a device not kept for offline use): the form goes to the server,
            // which applies it through the same path, but only once the server answers, so a
            // dead network never replaces the page and loses what was typed.
            ev.prevent_default();
            let Some(form) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
            else {
                return;
            };
            // `form.submit()` sends no submitter: the pressed button's decision goes in a field.
            let pressed = ev.submitter().and_then(|b| {
                Some((
                    b.get_attribute("name")?,
                    b.get_attribute("value").unwrap_or_default(),
                ))
            });
            leptos::task::spawn_local(async move {
                if port.reachable().await {
                    if let (Some((name, value)), Some(doc)) =
                        (pressed, web_sys::window().and_then(|w| w.document()))
                    {
                        if let Ok(field) = doc.create_element("input") {
                            let _ = field.set_attribute("type", "hidden");
                            let _ = field.set_attribute("name", &name);
                            let _ = field.set_attribute("value", &value);
                            let _ = form.append_child(&field);
                        }
                    }
                    let _ = form.submit();
                } else {
                    notice.set(Some(SaveNotice::ConnectionRequired));
                }
            });
            return;
        }
        ev.prevent_default();
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        let Some(fields) = form_fields(&form) else {
            notice.set(Some(SaveNotice::Invalid(
                "The form could not be read.".into(),
            )));
            return;
        };
        let op = match build(&fields, &port.device_id(), chrono::Utc::now().to_rfc3339()) {
            Ok(op) => op,
            Err(invalid) => {
                notice.set(Some(SaveNotice::Invalid(invalid.message)));
                return;
            }
        };
        let status = offline.status;
        leptos::task::spawn_local(async move {
            let id = op.id;
            let request = op.body.needs_online_confirmation();
            // A warning, never a refusal: the server decides with the real stock.
            let warning = match &op.body {
                OperationBody::Distribution(d) => port.local_data().await.ok().and_then(|data| {
                    let left = projected(&data, op.hub_id, d.item_id)?;
                    (d.quantity > left).then(|| {
                        format!(
                            " Warning: only {left} on hand here as last synced (queued entries included); the server may refuse it."
                        )
                    })
                }),
                _ => None,
            };
            let started = now_ms();
            if let Err(e) = port.enqueue(op).await {
                notice.set(Some(SaveNotice::Invalid(format!(
                    "Could not save on this device: {e}. Nothing was recorded; try again."
                ))));
                return;
            }
            let enqueue_ms = now_ms() - started;
            let warning = warning.unwrap_or_default();
            let saved = if request {
                "Saved - will sync. Needs confirmation online: it takes effect only when confirmed under Confirmations."
            } else {
                "Saved - will sync."
            };
            notice.set(Some(SaveNotice::Saved {
                text: format!("{saved}{warning}"),
                enqueue_ms,
            }));
            clear(&form);
            saves.update(|n| *n += 1);
            // Known offline: the save starts no sync run (it would only find the server
            // unreachable, and its reads would compete with the next save's write); the
            // connectivity check or the `online` event starts one once the server answers.
            // Read after the write: a run that has said "online" reads the outbox after that,
            // so it takes this operation along.
            if status.with_untracked(|s| s.online) {
                port.sync_now().await;
            }
            saves.update(|n| *n += 1);
            // This operation only, by its key: no read of the whole outbox after each save.
            let Ok(state) = port.whereabouts(id).await else {
                return;
            };
            if let Whereabouts::Refused(message) = state {
                notice.set(Some(SaveNotice::Refused(format!(
                    "Saved, but the server refused it: {message}"
                ))));
            } else if state == Whereabouts::Sent {
                let synced = if request {
                    "Synced. Needs confirmation online: confirm it under Confirmations."
                } else {
                    "Saved and synced."
                };
                notice.set(Some(SaveNotice::Synced {
                    text: format!("{synced}{warning}"),
                    enqueue_ms,
                }));
            }
        });
    }
}

/// A new version of the app, downloaded whole by the service worker: the page switches only
/// when its user says so, and asks first when a form holds input not saved yet. Nothing shows
/// without the browser client.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let offline = use_offline();
    let status = offline.status;
    let update = Callback::new(move |force: bool| {
        if let Some(port) = offline.port() {
            port.update_app(force);
        }
    });
    let update = move |force: bool| update.run(force);
    let keep_editing = move |_| status.update(|s| s.update = AppUpdate::Available);
    move || {
        match status.read().update {
        AppUpdate::None => ().into_any(),
        AppUpdate::Available => view! {
            <div class="update-banner" role="status" data-update="available">
                <span>"Update available: a new version of DRIMS is ready."</span>
                <button type="button" on:click=move |_| update(false)>"Update"</button>
            </div>
        }
        .into_any(),
        AppUpdate::Unsaved => view! {
            <div class="update-banner warn" role="alert" data-update="unsaved">
                <span>
                    "This page has input that is not saved yet. Save or clear it first, or update \
                     now and lose it."
                </span>
                <button type="button" on:click=keep_editing>"Keep editing"</button>
                <button type="button" class="danger" on:click=move |_| update(true)>
                    "Update anyway"
                </button>
            </div>
        }
        .into_any(),
        AppUpdate::Applying => view! {
            <div class="update-banner" role="status" data-update="applying">
                <span>"Updating DRIMS…"</span>
            </div>
        }
        .into_any(),
        AppUpdate::Applied => view! {
            <div class="update-banner" role="status" data-update="applied">
                <span>"DRIMS was updated in another tab. Reload this page to use the new version."</span>
                <button type="button" on:click=move |_| update(false)>"Reload"</button>
            </div>
        }
        .into_any(),
        AppUpdate::Failed => view! {
            <div class="update-banner warn" role="alert" data-update="failed">
                <span>
                    "The update could not be downloaded. This version keeps working; DRIMS will \
                     try again later."
                </span>
            </div>
        }
        .into_any(),
    }
    }
}

/// Whether the browser keeps this device's data for good, and the space it uses: on a device
/// kept ready for offline use, DRIMS asks for persistent storage.
#[component]
pub fn DeviceStorage() -> impl IntoView {
    let status = use_offline().status;
    move || {
        status.read().storage.map(|s: StorageState| {
            let mb = |b: f64| format!("{:.1} MB", b / 1_000_000.0);
            let (state, note) = if s.persisted {
                (
                    "granted",
                    "the browser will not clear DRIMS' data to free space.",
                )
            } else {
                (
                    "not granted",
                    "the browser may clear DRIMS' data when the disk runs low: sync often.",
                )
            };
            view! {
                <section class="device-storage" aria-labelledby="device-storage">
                    <h2 id="device-storage">"This device's storage"</h2>
                    <p data-persisted=s.persisted.to_string()>
                        "Persistent storage: " <strong>{state}</strong> "; " {note}
                    </p>
                    <p data-usage=s.usage.to_string() data-quota=s.quota.to_string()>
                        {format!("Used {} of {} available to this site.", mb(s.usage), mb(s.quota))}
                    </p>
                </section>
            }
        })
    }
}
