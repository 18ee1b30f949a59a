//! Sync issues both ways: the device reports discards and asks what became of its refusals
//! (JSON); an LM/ADMIN marks an issue resolved (JSON, and the review page's no-JS form).
use app::ops::issues::{
    DiscardRequest, DiscardResponse, IssueStatus, ResolveInput, StatusRequest, StatusResponse,
};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Json, Router};

use super::forms::submit;
use super::json::JsonBody;
use crate::auth::extract::{MaybeUser, RequireUser};
use crate::error::AppResult;
use crate::services::sync_issues;
use crate::state::AppState;

const PAGE: &str = "/sync-issues";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/offline/issues/discard", post(discard))
        .route("/api/offline/issues/status", post(status))
        .route("/api/offline/issues/{id}/resolve", post(resolve))
        .route("/sync-issues/{id}/resolve", post(resolve_form))
}

async fn discard(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    JsonBody(req): JsonBody<DiscardRequest>,
) -> AppResult<Json<DiscardResponse>> {
    Ok(Json(sync_issues::discard(&s.db, &u, &req).await?))
}

async fn status(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    JsonBody(req): JsonBody<StatusRequest>,
) -> AppResult<Json<StatusResponse>> {
    Ok(Json(sync_issues::status(&s.db, &u, &req).await?))
}

async fn resolve(
    State(s): State<AppState>,
    RequireUser(u): RequireUser,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ResolveInput>,
) -> AppResult<Json<IssueStatus>> {
    Ok(Json(sync_issues::resolve(&s.db, &u, &id, &input).await?))
}

async fn resolve_form(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    Path(id): Path<String>,
    f: Result<Form<ResolveInput>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        PAGE,
        |i: &IssueStatus| {
            (
                PAGE.into(),
                format!(
                    "Issue {} marked resolved; its device learns the note at its next sync.",
                    i.id
                ),
            )
        },
        |u, i| async move { (sync_issues::resolve(&s.db, &u, &id, &i).await, i) },
    )
    .await
}
