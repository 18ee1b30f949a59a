//! Security headers on every response: a Content-Security-Policy with a fresh nonce per
//! response (Leptos puts it on its inline hydration and resource scripts), nosniff, referrer
//! and framing policy, HSTS over HTTPS, and `Cache-Control: no-store` on everything but static
//! assets (pages, exports and the API carry user and stock data).
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// The nonce of this response's CSP (a request extension for the page handler).
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// The policy: scripts and WebAssembly from this origin only, plus inline scripts carrying
/// this response's nonce (Leptos' hydration bootstrap and serialized resources).
pub fn policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Static files whose content is the same for everyone (and holds no data).
fn is_static_asset(path: &str) -> bool {
    const EXT: [&str; 10] = [
        ".js",
        ".mjs",
        ".wasm",
        ".css",
        ".png",
        ".svg",
        ".ico",
        ".webmanifest",
        ".woff2",
        ".map",
    ];
    path.starts_with("/pkg/") || path == "/offline.html" || EXT.iter().any(|e| path.ends_with(e))
}

pub async fn security_headers(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce = super::random_hex(16);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let cacheable = is_static_asset(req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let mut set = |name: HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set(header::CONTENT_SECURITY_POLICY, &policy(&nonce));
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if state.config.secure_cookie {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    if !cacheable {
        set(header::CACHE_CONTROL, "no-store");
    }
    res
}
