//! Redirects for the no-JS forms: a notice or an error in the query string, with the entered
//! values echoed back (never a password) so nothing typed is lost.
use axum::response::Redirect;
use serde::Serialize;

pub fn with_query<K: AsRef<str>>(path: &str, pairs: &[(K, String)]) -> Redirect {
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_str()))
        .collect();
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    Redirect::to(&format!("{path}?{query}"))
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
