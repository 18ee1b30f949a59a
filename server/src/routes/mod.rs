//! The router: Leptos pages and server functions, the JSON API, no-JS form handlers, health.
mod admin_api;
mod device_api;
mod device_forms;
mod forms;
mod health;
mod json;
mod offline_access_api;
mod offline_api;
mod offline_forms;
mod pages;
mod redirect;
pub mod request_encoding;
mod session_api;
mod stock_forms;
mod sync_issues_api;

use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;
use leptos_axum::LeptosRoutes;

use tower_http::compression::{CompressionLayer, CompressionLevel};

use crate::security::{csrf, device_guard, headers};
use crate::shell;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let routes = (*state.routes).clone();
    Router::new()
        .route("/api/health", get(health::health))
        .route("/api/ping", get(health::ping))
        .route(
            "/api/session",
            get(session_api::current)
                .post(session_api::create)
                .delete(session_api::delete),
        )
        // Batches may arrive gzip-compressed (within the same body limit once inflated).
        .route(
            "/api/offline/sync",
            request_encoding::post_compressible(offline_api::sync),
        )
        .route("/api/offline/snapshot", get(offline_api::snapshot))
        .route("/api/offline/issues", get(offline_api::issues))
        .merge(admin_api::router())
        .merge(device_api::router())
        .merge(device_forms::router())
        .merge(offline_access_api::router())
        .merge(offline_forms::router())
        .merge(forms::router())
        .merge(stock_forms::router())
        .merge(sync_issues_api::router())
        .route(
            "/api/fn/{*fn_name}",
            get(pages::server_fn_handler).post(pages::server_fn_handler),
        )
        .leptos_routes_with_handler(routes, get(pages::leptos_routes_handler))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        // The app shell's files, from memory and precompressed.
        .layer(from_fn_with_state(state.clone(), shell::serve))
        // A revoked device is refused before any handler runs.
        .layer(from_fn_with_state(state.clone(), device_guard::guard))
        // Outermost first: headers wrap everything, including a refused cross-site request.
        .layer(from_fn_with_state(state.clone(), csrf::guard))
        .layer(from_fn_with_state(state.clone(), headers::security_headers))
        // Pages, JSON and CSV compressed for a poor link (the shell comes precompressed, and
        // a response already encoded is left alone). Brotli 4 / gzip 4: most of the gain at a
        // small cost per response.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .with_state(state)
}
