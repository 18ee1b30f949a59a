//! Leptos rendering and server functions, with the backend, the signed-in user, the form token,
//! the CSP nonce and a refused form's values provided as context. Signed-out visitors are sent
//! to the sign-in page.
use std::sync::Arc;

use app::backend::{CurrentUser, SharedBackend};
use app::components::csrf::FormToken;
use app::components::notice::FormEcho;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::provide_context;

use super::redirect::take_echo;
use crate::auth::extract::MaybeUser;
use crate::backend::ServerBackend;
use crate::security::{csrf, headers::CspNonce};
use crate::state::AppState;

/// What a page renders besides its data: request-scoped, from the security middleware.
#[derive(Clone, Default)]
struct PageExtras {
    token: Option<String>,
    nonce: Option<String>,
    echo: Option<Vec<(String, String)>>,
}

fn context(
    state: &AppState,
    user: Option<app::model::SessionUser>,
    extras: PageExtras,
) -> impl Fn() + Clone + Send + Sync + 'static {
    let backend: SharedBackend = Arc::new(ServerBackend {
        db: state.db.clone(),
    });
    move || {
        provide_context(backend.clone());
        provide_context(CurrentUser(user.clone()));
        if let Some(token) = &extras.token {
            provide_context(FormToken(token.clone()));
        }
        // Replaces the nonce leptos_axum generated, so the CSP header and the page agree.
        if let Some(nonce) = &extras.nonce {
            provide_context(leptos::nonce::Nonce::from_value(nonce.as_str()));
        }
        if let Some(echo) = &extras.echo {
            provide_context(FormEcho(echo.clone()));
        }
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
    let echo = take_echo(req.headers(), state.config.secure_cookie);
    let extras = PageExtras {
        token: req
            .extensions()
            .get::<csrf::FormToken>()
            .map(|t| t.0.clone()),
        nonce: req.extensions().get::<CspNonce>().map(|n| n.0.clone()),
        echo: echo.as_ref().map(|(pairs, _)| pairs.clone()),
    };
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_route_with_context(
        (*state.routes).clone(),
        context(&state, user, extras),
        move || app::shell(options.clone()),
    );
    let mut res = handler(State(state), req).await.into_response();
    if let Some((_, forget)) = echo {
        if let Ok(value) = HeaderValue::from_str(&forget) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    res
}

pub async fn server_fn_handler(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    req: Request<Body>,
) -> impl IntoResponse {
    leptos_axum::handle_server_fns_with_context(context(&state, user, PageExtras::default()), req)
        .await
}
