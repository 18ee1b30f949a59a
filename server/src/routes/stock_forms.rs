//! No-JS intake, distribution and needs-list forms and the inventory CSV export. The forms build the same
//! `Operation` the offline client sends and go through the same apply function.
use app::ops::forms::{
    DistributionForm, FulfilmentForm, IntakeForm, NeedsListActionForm, NeedsListForm,
    OperationForm, TransferRequestForm, TransferReviewForm,
};
use app::ops::Outcome;
use app::reports::InventoryQuery;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Serialize;

use super::redirect::{echo, with_echo, with_query};
use crate::apply;
use crate::auth::extract::{MaybeUser, RequireUser};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::services::{confirmations, inventory};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms/intake", post(intake))
        .route("/forms/distribution", post(distribution))
        .route("/forms/needs-list", post(needs_list))
        .route("/forms/needs-list-action", post(needs_list_action))
        .route("/forms/fulfilment", post(fulfilment))
        .route("/forms/notifications/read", post(notifications_read))
        .route("/forms/transfer-request", post(transfer_request))
        .route("/forms/transfer-review", post(transfer_review))
        .route("/forms/confirmations/{id}/confirm", post(confirm))
        .route("/forms/confirmations/{id}/discard", post(discard))
        .route("/inventory/export.csv", get(export_csv))
}

/// The device id recorded for writes made through the server-rendered forms.
const WEB_DEVICE: &str = "web-form";

async fn submit<F: OperationForm + Serialize>(
    state: AppState,
    user: Option<app::model::SessionUser>,
    form: Result<Form<F>, FormRejection>,
    page: &str,
) -> Response {
    submit_to(state, user, form, page, page).await
}

/// Like `submit`, returning to `done` after success and to `page` (with what was entered)
/// after a refusal.
async fn submit_to<F: OperationForm + Serialize>(
    state: AppState,
    user: Option<app::model::SessionUser>,
    form: Result<Form<F>, FormRejection>,
    page: &str,
    done: &str,
) -> Response {
    let Some(user) = user else {
        let pairs = [
            ("error", AppError::signed_out().to_string()),
            ("next", page.into()),
        ];
        return with_query("/login", &pairs).into_response();
    };
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            let msg = format!("The form could not be read: {}", rejection.body_text());
            return with_query(page, &[("error", msg)]).into_response();
        }
    };
    let mut back = vec![(
        "hub".to_string(),
        form.hub().map(|h| h.to_string()).unwrap_or_default(),
    )];
    let outcome = match form.to_operation(WEB_DEVICE, db::now()) {
        Err(invalid) => Err(invalid.message),
        Ok(op) => match apply::apply_one(&state.writer, &user, &op).await {
            Ok(Outcome::Applied { message, .. }) => Ok(message),
            Ok(Outcome::PendingConfirmation { message }) => Ok(message),
            Ok(Outcome::Rejected(r)) => Err(r.message),
            Err(e) => Err(e.to_api().message),
        },
    };
    match outcome {
        Ok(message) => {
            back.push(("notice".into(), message));
            with_query(done, &back).into_response()
        }
        Err(message) => {
            back.push(("error".into(), message));
            let entered = echo(&form).into_iter().filter(|(k, _)| k != "hub_id");
            with_echo(
                with_query(page, &back),
                entered.collect(),
                state.config.secure_cookie,
            )
        }
    }
}

async fn intake(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<IntakeForm>, FormRejection>,
) -> Response {
    submit(s, u, f, "/intake").await
}

async fn distribution(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<DistributionForm>, FormRejection>,
) -> Response {
    submit(s, u, f, "/distribution").await
}

async fn needs_list(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<NeedsListForm>, FormRejection>,
) -> Response {
    // An edit of a Draft goes back to its edit page on refusal, to the list when saved.
    // Only a number goes into the redirect (a newline would make an invalid header).
    let id = f
        .as_ref()
        .ok()
        .and_then(|Form(form)| form.fields.get("needs_list_id"))
        .and_then(|v| v.trim().parse::<i64>().ok());
    match id {
        Some(id) => {
            let (page, done) = (
                format!("/needs-lists/{id}/edit"),
                format!("/needs-lists/{id}"),
            );
            submit_to(s, u, f, &page, &done).await
        }
        None => submit(s, u, f, "/needs-lists/new").await,
    }
}

async fn needs_list_action(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<NeedsListActionForm>, FormRejection>,
) -> Response {
    let (id, deleting) = f
        .as_ref()
        .map(|Form(form)| {
            (
                form.needs_list_id.unwrap_or_default(),
                form.decision == "delete",
            )
        })
        .unwrap_or_default();
    let page = format!("/needs-lists/{id}");
    let done = if deleting {
        "/needs-lists".to_string()
    } else {
        page.clone()
    };
    submit_to(s, u, f, &page, &done).await
}

async fn fulfilment(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<FulfilmentForm>, FormRejection>,
) -> Response {
    let (id, stays, submitting) = f
        .as_ref()
        .map(|Form(form)| {
            let id = form.needs_list_id().unwrap_or_default();
            (id, form.stays_on_prepare(), form.submitting())
        })
        .unwrap_or((0, true, false));
    let prepare = format!("/needs-lists/{id}/prepare");
    let detail = format!("/needs-lists/{id}");
    // Preparing happens on the prepare screen (saved: stay; submitted: on to the list);
    // change requests and corrections are made on the list's page.
    let (page, done) = if stays {
        (prepare.clone(), prepare)
    } else if submitting {
        (prepare, detail)
    } else {
        (detail.clone(), detail)
    };
    submit_to(s, u, f, &page, &done).await
}

async fn transfer_request(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<TransferRequestForm>, FormRejection>,
) -> Response {
    submit(s, u, f, "/transfers").await
}

async fn transfer_review(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<TransferReviewForm>, FormRejection>,
) -> Response {
    submit(s, u, f, "/transfers").await
}

async fn notifications_read(State(s): State<AppState>, MaybeUser(u): MaybeUser) -> Response {
    let Some(user) = u else {
        let pairs = [
            ("error", AppError::signed_out().to_string()),
            ("next", "/notifications".into()),
        ];
        return with_query("/login", &pairs).into_response();
    };
    let pair = match crate::services::notifications::mark_read(&s.db, &user).await {
        Ok(n) => ("notice", format!("{n} notification(s) marked as read.")),
        Err(e) => ("error", e.to_api().message),
    };
    with_query("/notifications", &[pair]).into_response()
}

/// Confirm or discard an operation that arrived through sync; back to the list with the result.
async fn decide(
    state: AppState,
    user: Option<app::model::SessionUser>,
    id: i64,
    confirm: bool,
) -> Response {
    let Some(user) = user else {
        let pairs = [
            ("error", AppError::signed_out().to_string()),
            ("next", "/confirmations".into()),
        ];
        return with_query("/login", &pairs).into_response();
    };
    let result = if confirm {
        confirmations::confirm(&state, &user, id).await
    } else {
        confirmations::discard(&state.db, &user, id).await
    };
    let pair = match result {
        Ok(message) => ("notice", message),
        Err(e) => ("error", e.to_api().message),
    };
    with_query("/confirmations", &[pair]).into_response()
}

async fn confirm(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<i64>,
) -> Response {
    decide(s, u, id, true).await
}

async fn discard(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<i64>,
) -> Response {
    decide(s, u, id, false).await
}

async fn export_csv(
    State(s): State<AppState>,
    RequireUser(user): RequireUser,
    Query(query): Query<InventoryQuery>,
) -> AppResult<Response> {
    let view = inventory::view(&s.db, &user, &query).await?;
    let file = format!(
        "inventory-{}-{}.csv",
        view.hub
            .name
            .to_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
        chrono::Utc::now().format("%Y-%m-%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        inventory::to_csv(&view),
    )
        .into_response())
}
