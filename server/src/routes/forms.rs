//! No-JavaScript form handlers: each posts to a service and redirects (303) back with a notice,
//! or with the error and the entered values so nothing typed is lost (passwords excepted).
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use super::admin_api::StatusInput;
use super::redirect::{echo, with_echo, with_query};
use crate::auth::extract::{ClientAddress, MaybeUser};
use crate::auth::{session, sign_in::sign_in};
use crate::error::{AppError, AppResult};
use crate::services::{events, hubs, items, users};
use crate::state::AppState;
use app::model::{EventInput, HubInput, ItemInput, SessionUser, UserInput};
use app::offline::access::{DeviceRef, SignInRequest};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/forms/hubs", post(create_hub))
        .route("/forms/hubs/{id}", post(update_hub))
        .route("/forms/hubs/{id}/status", post(hub_status))
        .route("/forms/items", post(create_item))
        .route("/forms/items/{id}", post(update_item))
        .route("/forms/events", post(create_event))
        .route("/forms/events/{id}", post(update_event))
        .route("/forms/users", post(create_user))
        .route("/forms/users/{id}", post(update_user))
}

/// Runs a service call for a signed-in user and turns its outcome into a redirect.
pub(super) async fn submit<T, I: Serialize, F>(
    secure: bool,
    user: Option<SessionUser>,
    form: Result<Form<I>, FormRejection>,
    back: &str,
    success: impl FnOnce(&T) -> (String, String),
    call: impl FnOnce(SessionUser, I) -> F,
) -> Response
where
    F: std::future::Future<Output = (AppResult<T>, I)>,
{
    let Some(user) = user else {
        return with_query("/login", &[("error", AppError::signed_out().to_string())])
            .into_response();
    };
    let input = match form {
        Ok(Form(input)) => input,
        Err(rejection) => {
            let msg = format!("The form could not be read: {}", rejection.body_text());
            return with_query(back, &[("error", msg)]).into_response();
        }
    };
    match call(user, input).await {
        (Ok(value), _) => {
            let (path, notice) = success(&value);
            with_query(&path, &[("notice", notice)]).into_response()
        }
        (Err(e), input) => with_echo(
            with_query(back, &[("error", e.to_api().message)]),
            echo(&input),
            secure,
        ),
    }
}

#[derive(Deserialize, Serialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    next: String,
    /// Set by the browser client when it runs (a page without JavaScript has no device id).
    #[serde(default)]
    device_id: String,
    /// The "Keep this device ready for offline use" checkbox (any value = ticked).
    #[serde(default)]
    keep_offline: Option<String>,
}

impl LoginForm {
    fn request(&self) -> SignInRequest {
        SignInRequest {
            username: self.username.clone(),
            password: self.password.clone(),
            device: (!self.device_id.is_empty()).then(|| DeviceRef {
                id: self.device_id.clone(),
                name: None,
            }),
            keep_offline: self.keep_offline.as_deref().is_some_and(|v| v != "false"),
        }
    }
}

/// Only local paths are followed after sign-in (no open redirect): a single `/` followed by
/// a path character, and nothing a browser would read as another host (`//`, `/\\`), no
/// control characters.
pub fn safe_next(next: &str) -> &str {
    let path_char = |c: char| c.is_ascii_alphanumeric() || "-._~%!$&'()*+,;=:@?#".contains(c);
    let local = next == "/"
        || (next.starts_with('/')
            && next[1..].chars().next().is_some_and(path_char)
            && next.chars().all(|c| c.is_ascii_graphic() && c != '\\'));
    if local && !next.starts_with("/login") {
        next
    } else {
        "/"
    }
}

async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: axum::http::HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return with_query(
            "/login",
            &[("error", "The sign-in form could not be read.".into())],
        )
        .into_response();
    };
    let info = super::session_api::client_info(&headers, None);
    match sign_in(&state, &form.request(), &address, info).await {
        Ok(signed_in) => {
            let cookie = session::set_cookie(
                &signed_in.token,
                state.config.session_ttl_minutes,
                state.config.secure_cookie,
            );
            (
                [(header::SET_COOKIE, cookie)],
                Redirect::to(safe_next(&form.next)),
            )
                .into_response()
        }
        Err(e) => with_echo(
            with_query(
                "/login",
                &[("error", e.to_api().message), ("next", form.next)],
            ),
            vec![("username".into(), form.username)],
            state.config.secure_cookie,
        ),
    }
}

async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    if let Some(token) = session::token_from_headers(&headers, state.config.secure_cookie) {
        session::delete(&state.db, &token).await?;
    }
    let cookie = session::clear_cookie(state.config.secure_cookie);
    Ok((
        [(header::SET_COOKIE, cookie)],
        with_query("/login", &[("notice", "You have signed out.".into())]),
    )
        .into_response())
}

async fn create_hub(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<HubInput>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        "/admin/hubs",
        |h: &app::model::Hub| ("/admin/hubs".into(), format!("Hub '{}' created.", h.name)),
        |u, i| async move { (hubs::create(&s.db, &u, &i).await, i) },
    )
    .await
}

async fn update_hub(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<i64>,
    f: Result<Form<HubInput>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        &format!("/admin/hubs/{id}"),
        |h: &app::model::Hub| ("/admin/hubs".into(), format!("Hub '{}' saved.", h.name)),
        |u, i| async move { (hubs::update(&s.db, &u, id, &i).await, i) },
    )
    .await
}

async fn hub_status(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<i64>,
    f: Result<Form<StatusInput>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        "/admin/hubs",
        |h: &app::model::Hub| {
            (
                "/admin/hubs".into(),
                format!("Hub '{}' is now {}.", h.name, h.status.code()),
            )
        },
        |u, i| async move { (hubs::set_status(&s.db, &u, id, &i.status).await, i) },
    )
    .await
}

async fn create_item(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<ItemInput>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        "/admin/items",
        |i: &app::model::Item| {
            (
                "/admin/items".into(),
                format!("Item '{}' created as {}.", i.name, i.sku),
            )
        },
        |u, i| async move { (items::create(&s.db, &u, &i).await, i) },
    )
    .await
}

async fn update_item(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<i64>,
    f: Result<Form<ItemInput>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        &format!("/admin/items/{id}"),
        |i: &app::model::Item| ("/admin/items".into(), format!("Item '{}' saved.", i.name)),
        |u, i| async move { (items::update(&s.db, &u, id, &i).await, i) },
    )
    .await
}

async fn create_event(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<EventInput>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        "/admin/events",
        |e: &app::model::DisasterEvent| {
            (
                "/admin/events".into(),
                format!("Event '{}' created.", e.name),
            )
        },
        |u, i| async move { (events::create(&s.db, &u, &i).await, i) },
    )
    .await
}

async fn update_event(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<i64>,
    f: Result<Form<EventInput>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        &format!("/admin/events/{id}"),
        |e: &app::model::DisasterEvent| {
            ("/admin/events".into(), format!("Event '{}' saved.", e.name))
        },
        |u, i| async move { (events::update(&s.db, &u, id, &i).await, i) },
    )
    .await
}

async fn create_user(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<UserInput>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        "/admin/users",
        |x: &app::model::UserSummary| {
            (
                "/admin/users".into(),
                format!("User '{}' created.", x.username),
            )
        },
        |u, i| async move { (users::create(&s.db, &u, &i).await, i) },
    )
    .await
}

async fn update_user(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<i64>,
    f: Result<Form<UserInput>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        &format!("/admin/users/{id}"),
        |x: &app::model::UserSummary| {
            (
                "/admin/users".into(),
                format!("User '{}' saved.", x.username),
            )
        },
        |u, i| async move { (users::update(&s.db, &u, id, &i).await, i) },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        for (next, to) in [
            ("/", "/"),
            ("/needs-lists?queue=all", "/needs-lists?queue=all"),
            ("/%5Cx", "/%5Cx"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("/\t/evil.example", "/"),
            ("/ok\\..", "/"),
            ("https://evil.example", "/"),
            ("/login?next=/x", "/"),
            ("", "/"),
        ] {
            assert_eq!(safe_next(next), to, "{next:?}");
        }
    }
}
