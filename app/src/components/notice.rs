//! Flash notices carried in the query string after a form post (works without JavaScript),
//! the values a refused form keeps (server-side, never in the URL), and the error box for
//! failed loads.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::error::{ApiError, ErrorCode};

/// Shows `?notice=` as a status and `?error=` as an alert.
#[component]
pub fn Flash() -> impl IntoView {
    let query = use_query_map();
    let notice = move || query.read().get("notice");
    let error = move || query.read().get("error");
    view! {
        {move || notice().map(|n| view! { <p class="notice" role="status">{n}</p> })}
        {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

/// What a refused form had entered, handed back by the server for the next page only (kept
/// out of the URL, so names and notes stay out of history and logs).
#[derive(Clone, Debug, Default)]
pub struct FormEcho(pub Vec<(String, String)>);

/// The value a form field starts with: what was just submitted (after an error), a query
/// parameter (search fields), or `fallback`.
pub fn prefill(key: &str, fallback: impl Into<String>) -> String {
    use_context::<FormEcho>()
        .and_then(|echo| echo.0.into_iter().find(|(k, _)| k == key).map(|(_, v)| v))
        .or_else(|| use_query_map().get_untracked().get(key))
        .unwrap_or_else(|| fallback.into())
}

#[component]
pub fn ErrorBox(error: ApiError) -> impl IntoView {
    let signed_out = error.code == ErrorCode::Unauthorized;
    view! {
        <div class="error" role="alert">
            <p>{error.message}</p>
            {signed_out.then(|| view! { <p><a href="/login">"Sign in"</a></p> })}
        </div>
    }
}

/// Renders a loaded value, or the error box when loading failed.
pub fn show_result<T, V: IntoView + 'static>(
    result: Result<T, ApiError>,
    render: impl FnOnce(T) -> V,
) -> AnyView {
    match result {
        Ok(value) => render(value).into_any(),
        Err(error) => view! { <ErrorBox error /> }.into_any(),
    }
}

/// The `:id` route parameter as a number.
pub fn id_param() -> Option<i64> {
    leptos_router::hooks::use_params_map()
        .get_untracked()
        .get("id")
        .and_then(|s| s.parse().ok())
}
