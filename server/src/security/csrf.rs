//! Cross-site request forgery guard, in one place for every route. A state-changing request
//! must come from this site (`Sec-Fetch-Site` same-origin or none, `Origin` this host), and a
//! form post outside `/api/` must carry the page's form token (field `csrf`): derived from a
//! random HttpOnly browser-session cookie (`drims_csrf`, `__Host-` over HTTPS) set with the
//! first page, so the sign-in form is covered too (login CSRF); a token derived from the
//! session cookie is accepted as well. The JSON API
//! needs no token: it accepts only `application/json`, which a cross-site page cannot send
//! without a CORS preflight that this server never grants.
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::cookies;
use crate::auth::client_address::IpRange;
use crate::auth::session;
use crate::error::AppError;
use crate::state::AppState;

/// The form field that carries the token.
pub const FIELD: &str = "csrf";
const PRE_SESSION: &str = "drims_csrf";
const FORM_LIMIT: usize = 2 * 1024 * 1024;
/// At least the largest multipart form accepted (the import form takes 20 MiB).
const MULTIPART_LIMIT: usize = 24 * 1024 * 1024;

/// Where the browser client reads the token when its page has none to give: the answer to
/// `GET /api/session` carries it in this header. The offline page (which the service worker
/// serves with no network, so no token in it) goes online without a reload, and the forms of
/// the pages it then shows post with the token read here.
pub const TOKEN_HEADER: &str = "x-form-token";
const TOKEN_PATH: &str = "/api/session";

/// The token pages render into forms (a request extension for the page handler).
#[derive(Clone, Debug)]
pub struct FormToken(pub String);

/// The token for a cookie secret (domain-separated from the session's stored hash).
pub fn token_for(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"drims-form-token\0");
    h.update(secret.as_bytes());
    session::hex(&h.finalize())
}

fn equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Why a state-changing request is refused as cross-site, if it is.
pub fn cross_site(headers: &HeaderMap, host: Option<&str>) -> Option<&'static str> {
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.to_str(), Ok("same-origin") | Ok("none")) {
            return Some("it came from another site");
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        let authority = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let same = match (authority, host) {
            (Some(a), Some(h)) => a.eq_ignore_ascii_case(h),
            _ => false,
        };
        if !same {
            return Some("its origin is another site");
        }
    }
    None
}

/// The host the browser addressed: `X-Forwarded-Host` from a trusted proxy, else `Host`.
fn host(req: &Request, trusted: &[IpRange]) -> Option<String> {
    let from_proxy = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .is_some_and(|c| trusted.iter().any(|r| r.contains(c.0.ip())));
    let forwarded = from_proxy
        .then(|| req.headers().get("x-forwarded-host"))
        .flatten();
    forwarded
        .or_else(|| req.headers().get(header::HOST))
        .and_then(|v| v.to_str().ok())
        .map(|h| h.split(',').next().unwrap_or(h).trim().to_string())
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
}

fn refuse(path: &str, why: &str) -> Response {
    let message = format!(
        "This request was refused because {why}. Reload the page you came from and try again."
    );
    tracing::warn!(%path, %why, "cross-site request refused");
    if path.starts_with("/api/") {
        return AppError::Forbidden(message).into_response();
    }
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Refused - DRIMS</title>\
         </head><body><main><h1>Request refused</h1>\
         <p role=\"alert\">{message}</p><p><a href=\"/\">Go to the dashboard</a></p></main></body></html>"
    );
    (StatusCode::FORBIDDEN, Html(page)).into_response()
}

/// The content type as sent: a multipart boundary is case-sensitive (browsers send mixed case).
fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn is_type(content_type: &str, media: &str) -> bool {
    content_type
        .get(..media.len())
        .is_some_and(|t| t.eq_ignore_ascii_case(media))
}

/// Takes the token out of a form body. URL-encoded bodies are passed on without the token
/// field (handlers never see it); multipart bodies are passed on unchanged.
async fn take_token(req: Request) -> Result<(Request, Option<String>), Response> {
    let kind = content_type(&req);
    let (mut parts, body) = req.into_parts();
    let too_big = |_| (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response();
    if is_type(&kind, "application/x-www-form-urlencoded") {
        let bytes = to_bytes(body, FORM_LIMIT).await.map_err(too_big)?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let token = pairs
            .iter()
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.clone());
        let rest: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != FIELD).collect();
        let body = serde_urlencoded::to_string(rest).unwrap_or_default();
        parts.headers.remove(header::CONTENT_LENGTH);
        return Ok((Request::from_parts(parts, Body::from(body)), token));
    }
    if is_type(&kind, "multipart/form-data") {
        let bytes = to_bytes(body, MULTIPART_LIMIT).await.map_err(too_big)?;
        let token = multipart_token(&kind, bytes.clone()).await;
        return Ok((Request::from_parts(parts, Body::from(bytes)), token));
    }
    Ok((Request::from_parts(parts, body), None))
}

async fn multipart_token(content_type: &str, bytes: Bytes) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(bytes) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

/// The middleware (see the module comment).
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let secure = state.config.secure_cookie;
    let pre_name = cookies::name(PRE_SESSION, secure);
    let session = session::token_from_headers(req.headers(), secure);
    let pre = cookies::get(req.headers(), &pre_name);
    let path = req.uri().path().to_string();
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let host = host(&req, &state.config.trusted_proxies);
        if let Some(why) = cross_site(req.headers(), host.as_deref()) {
            return refuse(&path, why);
        }
        if !path.starts_with("/api/") {
            let (with_body, token) = match take_token(req).await {
                Ok(taken) => taken,
                Err(response) => return response,
            };
            let valid = token.is_some_and(|t| {
                [&session, &pre]
                    .into_iter()
                    .flatten()
                    .any(|secret| equal(&token_for(secret), &t))
            });
            if !valid {
                return refuse(&path, "the form's security token is missing or out of date");
            }
            req = with_body;
        }
        return next.run(req).await;
    }
    // A page: give it the token to render, from this browser's form secret (started here if
    // there is none). Not from the session: the browser client signs in with JavaScript and
    // navigates without reloading, so the token in the page must outlive a change of session.
    let (secret, fresh) = match pre {
        Some(p) => (p, false),
        None => (super::random_hex(32), true),
    };
    let token = token_for(&secret);
    req.extensions_mut().insert(FormToken(token.clone()));
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let gives_token = path == TOKEN_PATH;
    if gives_token {
        // Readable by this site's scripts only: the API grants no cross-origin reads.
        if let Ok(value) = HeaderValue::from_str(&token) {
            res.headers_mut().insert(TOKEN_HEADER, value);
        }
    }
    if fresh && (html || gives_token) {
        // A browser-session cookie (no Max-Age): it ends when the browser does.
        let cookie = cookies::session(&pre_name, &secret, secure);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_this_site_may_change_things() {
        let host = Some("drims.example:3000");
        assert_eq!(cross_site(&headers(&[]), host), None);
        assert_eq!(
            cross_site(&headers(&[("origin", "https://drims.example:3000")]), host),
            None
        );
        assert_eq!(
            cross_site(&headers(&[("sec-fetch-site", "same-origin")]), host),
            None
        );
        for bad in [
            &[("origin", "https://evil.example")][..],
            &[("origin", "null")],
            &[("origin", "https://sub.drims.example:3000")],
            &[("sec-fetch-site", "same-site")],
            &[("sec-fetch-site", "cross-site")],
        ] {
            assert!(cross_site(&headers(bad), host).is_some(), "{bad:?}");
        }
        assert!(equal(&token_for("a"), &token_for("a")));
        assert!(!equal(&token_for("a"), &token_for("b")));
    }

    /// Browsers send a mixed-case boundary (`----WebKitFormBoundaryAbC…`); lowercasing the
    /// content type lost every token of the multipart import form.
    #[tokio::test]
    async fn the_token_is_found_in_a_browser_multipart_body() {
        let kind = "multipart/form-data; boundary=----WebKitFormBoundaryXyZ9aBc";
        let body = "------WebKitFormBoundaryXyZ9aBc\r\n\
            Content-Disposition: form-data; name=\"csrf\"\r\n\r\n\
            tok123\r\n\
            ------WebKitFormBoundaryXyZ9aBc\r\n\
            Content-Disposition: form-data; name=\"file\"; filename=\"x.json\"\r\n\
            Content-Type: application/json\r\n\r\n\
            {}\r\n\
            ------WebKitFormBoundaryXyZ9aBc--\r\n";
        assert!(is_type(
            "Multipart/Form-Data; boundary=x",
            "multipart/form-data"
        ));
        let req = Request::builder()
            .method(Method::POST)
            .uri("/forms/import")
            .header(header::CONTENT_TYPE, kind)
            .body(Body::from(body))
            .unwrap();
        let Ok((_, token)) = take_token(req).await else {
            panic!("the body was refused");
        };
        assert_eq!(token.as_deref(), Some("tok123"));
    }
}
