//! Redirects for the no-JS forms: a notice or an error in the query string; the entered values
//! (never a password) go back to the form in a short-lived HttpOnly cookie, read once by the
//! next page, so names and notes stay out of URLs (history, proxy and server logs).
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use crate::security::cookies;

const ECHO: &str = "drims_form";
/// Cookies are limited to ~4 KB; the longest values are dropped beyond this.
const ECHO_MAX: usize = 3000;

pub fn with_query<K: AsRef<str>>(path: &str, pairs: &[(K, String)]) -> Redirect {
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_str()))
        .collect();
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let target = format!("{path}?{query}");
    // `Redirect::to` panics on a value that is no valid header: never redirect with one.
    if axum::http::HeaderValue::from_str(&target).is_err() {
        return Redirect::to("/");
    }
    Redirect::to(&target)
}

/// A redirect that hands `echo` to the next page through the cookie.
pub fn with_echo(redirect: Redirect, mut echo: Vec<(String, String)>, secure: bool) -> Response {
    let mut value = serde_urlencoded::to_string(&echo).unwrap_or_default();
    while value.len() > ECHO_MAX && !echo.is_empty() {
        if let Some(longest) = (0..echo.len()).max_by_key(|&i| echo[i].1.len()) {
            echo.remove(longest);
        }
        value = serde_urlencoded::to_string(&echo).unwrap_or_default();
    }
    let cookie = cookies::set(&cookies::name(ECHO, secure), &value, 300, secure);
    ([(header::SET_COOKIE, cookie)], redirect).into_response()
}

/// The values handed back by the last refused form, and the header that forgets them.
pub fn take_echo(headers: &HeaderMap, secure: bool) -> Option<(Vec<(String, String)>, String)> {
    let name = cookies::name(ECHO, secure);
    let value = cookies::get(headers, &name)?;
    let pairs = serde_urlencoded::from_str(&value).unwrap_or_default();
    Some((pairs, cookies::set(&name, "", 0, secure)))
}

/// The form's fields as (name, value) pairs, passwords left out.
pub fn echo<T: Serialize>(input: &T) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(input) else {
        return Vec::new();
    };
    map.into_iter()
        .filter(|(k, _)| k != "password")
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Number(n) => Some((k, n.to_string())),
            serde_json::Value::Bool(b) => Some((k, b.to_string())),
            _ => None,
        })
        .collect()
}
