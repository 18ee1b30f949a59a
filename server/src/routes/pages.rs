//! Leptos rendering and server functions, with the backend and the signed-in user provided as
//! context. Signed-out visitors are sent to the sign-in page.
use std::sync::Arc;

use app::backend::{CurrentUser, SharedBackend};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::provide_context;

use crate::auth::extract::MaybeUser;
use crate::backend::ServerBackend;
use crate::state::AppState;

fn context(
    state: &AppState,
    user: Option<app::model::SessionUser>,
) -> impl Fn() + Clone + Send + Sync + 'static {
    let backend: SharedBackend = Arc::new(ServerBackend {
        db: state.db.clone(),
    });
    move || {
        provide_context(backend.clone());
        provide_context(CurrentUser(user.clone()));
    }
}

pub async fn leptos_routes_handler(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    req: Request<Body>,
) -> Response {
    if user.is_none() && req.uri().path() != "/login" {
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
        return Redirect::to(&format!("/login?{query}")).into_response();
    }
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_route_with_context(
        (*state.routes).clone(),
        context(&state, user),
        move || app::shell(options.clone()),
    );
    handler(State(state), req).await.into_response()
}

pub async fn server_fn_handler(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    req: Request<Body>,
) -> impl IntoResponse {
    leptos_axum::handle_server_fns_with_context(context(&state, user), req).await
}
