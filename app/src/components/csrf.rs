//! The form token every state-changing form carries; the server checks it in one place (its
//! CSRF guard). The server provides it as context; in the browser it comes from the page's
//! `<meta name="csrf-token">`, which the server rendered into the document head.
use leptos::prelude::*;

/// The token for this browser's session, provided by the server when rendering.
#[derive(Clone, Debug)]
pub struct FormToken(pub String);

/// The form field's name (the server's guard reads this field).
pub const FIELD: &str = "csrf";

pub fn token() -> String {
    use_context::<FormToken>()
        .map(|t| t.0)
        .unwrap_or_else(from_page)
}

#[cfg(feature = "hydrate")]
fn from_page() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=csrf-token]").ok().flatten())
        .and_then(|m| m.get_attribute("content"))
        .unwrap_or_default()
}

#[cfg(not(feature = "hydrate"))]
fn from_page() -> String {
    String::new()
}

/// In the document head (the shell): where the browser finds the token.
#[component]
pub fn TokenMeta() -> impl IntoView {
    view! { <meta name="csrf-token" content=token() /> }
}

/// Put inside every `<form method="post">`.
#[component]
pub fn CsrfField() -> impl IntoView {
    view! { <input type="hidden" name=FIELD value=token() /> }
}
