//! The engine's transport over HTTP (gloo-net), with timeouts, and the connectivity check.
use app::model::SessionUser;
use app::offline::access::{OfflineAccess, SignInRequest, SignInResponse};
use app::offline::engine::{SnapshotAnswer, SyncTransport, TransportError};
use app::ops::sync::{Snapshot, SyncResponse};
use app::ops::Operation;
use gloo_net::http::{Request, Response};
use wasm_bindgen::prelude::*;

/// Aborts the request after `ms` milliseconds (the timer is cleared on drop).
struct Deadline {
    controller: web_sys::AbortController,
    timer: i32,
    _abort: Closure<dyn FnMut()>,
}

impl Deadline {
    fn new(ms: i32) -> Option<Self> {
        let controller = web_sys::AbortController::new().ok()?;
        let c = controller.clone();
        let abort = Closure::<dyn FnMut()>::new(move || c.abort());
        let timer = web_sys::window()?
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                abort.as_ref().unchecked_ref(),
                ms,
            )
            .ok()?;
        Some(Self {
            controller,
            timer,
            _abort: abort,
        })
    }

    fn signal(&self) -> web_sys::AbortSignal {
        self.controller.signal()
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_timeout_with_handle(self.timer);
        }
    }
}

async fn classify(response: Result<Response, gloo_net::Error>) -> Result<Response, TransportError> {
    let response = response.map_err(|e| TransportError::Network(e.to_string()))?;
    match response.status() {
        200..=299 => Ok(response),
        401 => Err(TransportError::Unauthorized),
        s if s >= 500 => Err(TransportError::Server(s)),
        s => Err(TransportError::Refused(
            s,
            response.text().await.unwrap_or_default(),
        )),
    }
}

#[derive(Default)]
pub struct HttpTransport {
    /// Whose outbox this is: sent as `X-DRIMS-User`, so the server refuses (401) a batch
    /// that would be applied under another user's session (one signed in meanwhile in
    /// another tab), and the engine keeps it for its user.
    pub user_id: Option<i64>,
}

const SYNC_TIMEOUT_MS: i32 = 30_000;

impl SyncTransport for HttpTransport {
    async fn sync(
        &self,
        device_id: &str,
        ops: &[Operation],
    ) -> Result<SyncResponse, TransportError> {
        let deadline = Deadline::new(SYNC_TIMEOUT_MS);
        let body = serde_json::json!({ "device_id": device_id, "operations": ops });
        let json =
            serde_json::to_string(&body).map_err(|e| TransportError::Network(e.to_string()))?;
        let user = self.user_id.map(|u| u.to_string()).unwrap_or_default();
        let post = || {
            let request = Request::post("/api/offline/sync")
                .abort_signal(deadline.as_ref().map(|d| d.signal()).as_ref())
                .header("Content-Type", "application/json");
            if user.is_empty() {
                request
            } else {
                request.header("X-DRIMS-User", &user)
            }
        };
        // Compressed by the browser where it can (a batch of intakes shrinks about fivefold):
        // over a 250 kbit/s link the upload is most of a sync's time.
        let response = match gzip(json.as_bytes()).await {
            Some(bytes) => {
                let request = post()
                    .header("Content-Encoding", "gzip")
                    .body(bytes)
                    .map_err(|e| TransportError::Network(e.to_string()))?;
                match classify(request.send().await).await {
                    // A server that cannot read compressed requests (415, or 400 from one that
                    // does not know the encoding; nothing was applied): send it plain.
                    Err(TransportError::Refused(400 | 415, _)) => None,
                    other => Some(other?),
                }
            }
            None => None,
        };
        let response = match response {
            Some(r) => r,
            None => {
                let request = post()
                    .body(json)
                    .map_err(|e| TransportError::Network(e.to_string()))?;
                classify(request.send().await).await?
            }
        };
        response
            .json::<SyncResponse>()
            .await
            .map_err(|e| TransportError::Network(format!("unreadable answer: {e}")))
    }

    async fn snapshot(&self, tag: Option<&str>) -> Result<SnapshotAnswer, TransportError> {
        let deadline = Deadline::new(SYNC_TIMEOUT_MS);
        let mut request = Request::get("/api/offline/snapshot")
            .abort_signal(deadline.as_ref().map(|d| d.signal()).as_ref());
        if let Some(tag) = tag {
            request = request.header("If-None-Match", tag);
        }
        let response = request.send().await;
        if response.as_ref().is_ok_and(|r| r.status() == 304) {
            return Ok(SnapshotAnswer::Unchanged);
        }
        let response = classify(response).await?;
        let tag = response.headers().get("etag");
        let snapshot = response
            .json::<Snapshot>()
            .await
            .map_err(|e| TransportError::Network(format!("unreadable snapshot: {e}")))?;
        Ok(SnapshotAnswer::Fresh(Box::new(snapshot), tag))
    }
}

/// `bytes` gzip-compressed by the browser (`CompressionStream`), or `None` where it has none.
async fn gzip(bytes: &[u8]) -> Option<js_sys::Uint8Array> {
    let ctor = js_sys::Reflect::get(&js_sys::global(), &"CompressionStream".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let compressor = js_sys::Reflect::construct(&ctor, &js_sys::Array::of1(&"gzip".into())).ok()?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let stream = web_sys::Blob::new_with_u8_array_sequence(&parts)
        .ok()?
        .stream();
    let pipe = js_sys::Reflect::get(&stream, &"pipeThrough".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let compressed: web_sys::ReadableStream =
        pipe.call1(&stream, &compressor).ok()?.dyn_into().ok()?;
    let response = web_sys::Response::new_with_opt_readable_stream(Some(&compressed)).ok()?;
    let buffer = wasm_bindgen_futures::JsFuture::from(response.array_buffer().ok()?)
        .await
        .ok()?;
    Some(js_sys::Uint8Array::new(&buffer))
}

/// Online = `navigator.onLine` and `/api/ping` answering within a few seconds.
pub async fn reachable() -> bool {
    let on_line = web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(false);
    if !on_line {
        return false;
    }
    let deadline = Deadline::new(4_000);
    Request::get("/api/ping")
        .abort_signal(deadline.as_ref().map(|d| d.signal()).as_ref())
        .send()
        .await
        .map(|r| r.ok())
        .unwrap_or(false)
}

/// The signed-in user: `Ok(None)` when signed out (401), `Err` when unreachable.
pub async fn session_user() -> Result<Option<SessionUser>, TransportError> {
    let deadline = Deadline::new(8_000);
    let response = Request::get("/api/session")
        .abort_signal(deadline.as_ref().map(|d| d.signal()).as_ref())
        .send()
        .await;
    match classify(response).await {
        Ok(r) => {
            keep_form_token(&r);
            r.json::<SessionUser>()
                .await
                .map(Some)
                .map_err(|e| TransportError::Network(e.to_string()))
        }
        Err(TransportError::Unauthorized) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The form token the server sends with the session (see the server's CSRF guard), put where
/// the pages read it (`<meta name="csrf-token">`): the offline page has none, and went online
/// without a reload; a form of a page shown after this posts with it.
fn keep_form_token(response: &Response) {
    let Some(token) = response.headers().get("x-form-token") else {
        return;
    };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let meta = match document
        .query_selector("meta[name=csrf-token]")
        .ok()
        .flatten()
    {
        Some(meta) => meta,
        None => {
            let Ok(meta) = document.create_element("meta") else {
                return;
            };
            let _ = meta.set_attribute("name", "csrf-token");
            if let Some(head) = document.head() {
                let _ = head.append_child(&meta);
            }
            meta
        }
    };
    let _ = meta.set_attribute("content", &token);
}

/// The message of an `{"error": {"message"}}` answer, or a plain one.
async fn error_message(response: Response) -> String {
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    body.pointer("/error/message")
        .and_then(|m| m.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| format!("The server could not sign you in (error {status}). Try again."))
}

/// How `POST /api/session` answered.
pub enum SignInAnswer {
    Ok(Box<SignInResponse>),
    /// 4xx/5xx with the server's message (403: deactivated).
    Refused(u16, String),
    /// No answer: no network, or the server is unreachable.
    Network,
}

pub async fn sign_in(req: &SignInRequest) -> SignInAnswer {
    let deadline = Deadline::new(20_000);
    let request = match Request::post("/api/session")
        .abort_signal(deadline.as_ref().map(|d| d.signal()).as_ref())
        .json(req)
    {
        Ok(r) => r,
        Err(_) => return SignInAnswer::Network,
    };
    match request.send().await {
        Err(_) => SignInAnswer::Network,
        Ok(r) if r.ok() => match r.json::<SignInResponse>().await {
            Ok(answer) => SignInAnswer::Ok(Box::new(answer)),
            Err(_) => SignInAnswer::Refused(502, "The server's answer could not be read.".into()),
        },
        Ok(r) => {
            let status = r.status();
            SignInAnswer::Refused(status, error_message(r).await)
        }
    }
}

/// The device's offline access for the signed-in session: `Ok(None)` when this device is not
/// kept for offline use.
pub async fn offline_access() -> Result<Option<OfflineAccess>, TransportError> {
    let deadline = Deadline::new(8_000);
    let response = Request::get("/api/offline/access")
        .abort_signal(deadline.as_ref().map(|d| d.signal()).as_ref())
        .send()
        .await;
    match classify(response).await {
        Ok(r) => r
            .json::<OfflineAccess>()
            .await
            .map(Some)
            .map_err(|e| TransportError::Network(e.to_string())),
        Err(TransportError::Refused(404, _)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What the server says of this device and session (`GET /api/devices/check`).
pub enum DeviceAnswer {
    Checked(app::offline::devices::DeviceCheck),
    /// 401: the session ended (signed out elsewhere, expired, or the account deactivated).
    SignedOut,
    /// Unreachable, or an error: ask again later.
    Unknown,
}

pub async fn device_check(device_id: &str) -> DeviceAnswer {
    let deadline = Deadline::new(8_000);
    let response = Request::get("/api/devices/check")
        .header("X-Device-ID", device_id)
        .abort_signal(deadline.as_ref().map(|d| d.signal()).as_ref())
        .send()
        .await;
    match response {
        Ok(r) if r.status() == 401 => DeviceAnswer::SignedOut,
        Ok(r) if r.ok() => r
            .json()
            .await
            .map(DeviceAnswer::Checked)
            .unwrap_or(DeviceAnswer::Unknown),
        _ => DeviceAnswer::Unknown,
    }
}

/// Tells the server this device deleted its data (`POST /api/devices/{id}/wipe-ack`).
pub async fn wipe_ack(device_id: &str) -> bool {
    let deadline = Deadline::new(8_000);
    let id: String = js_sys::encode_uri_component(device_id).into();
    Request::post(&format!("/api/devices/{id}/wipe-ack"))
        .abort_signal(deadline.as_ref().map(|d| d.signal()).as_ref())
        .send()
        .await
        .is_ok_and(|r| r.ok())
}

/// Ends the server session (`DELETE /api/session`); `false` when the server was unreachable.
pub async fn sign_out() -> bool {
    let deadline = Deadline::new(8_000);
    Request::delete("/api/session")
        .abort_signal(deadline.as_ref().map(|d| d.signal()).as_ref())
        .send()
        .await
        .is_ok()
}

async fn post_json<T: serde::de::DeserializeOwned>(
    url: &str,
    body: &serde_json::Value,
) -> Option<T> {
    let deadline = Deadline::new(SYNC_TIMEOUT_MS);
    let request = Request::post(url)
        .abort_signal(deadline.as_ref().map(|d| d.signal()).as_ref())
        .json(body)
        .ok()?;
    let response = classify(request.send().await).await.ok()?;
    response.json::<T>().await.ok()
}

/// Tells the server these refused operations were discarded on the device
/// (`POST /api/offline/issues/discard`). Returns the ids it took note of (`None`: unreachable).
pub async fn report_discards(device_id: &str, ids: &[uuid::Uuid]) -> Option<Vec<uuid::Uuid>> {
    let answer: app::ops::issues::DiscardResponse = post_json(
        "/api/offline/issues/discard",
        &serde_json::json!({ "device_id": device_id, "ids": ids }),
    )
    .await?;
    Some(
        answer
            .discarded
            .iter()
            .chain(&answer.unknown)
            .filter_map(|id| id.parse().ok())
            .collect(),
    )
}

/// What became of these Sync Issues on the server (`POST /api/offline/issues/status`).
pub async fn issue_states(ids: &[uuid::Uuid]) -> Option<Vec<app::ops::issues::IssueStatus>> {
    let answer: app::ops::issues::StatusResponse = post_json(
        "/api/offline/issues/status",
        &serde_json::json!({ "ids": ids }),
    )
    .await?;
    Some(answer.issues)
}
