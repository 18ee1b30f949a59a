//! No-JS forms of offline access: the offline policy (`/forms/offline-policy`) and the import
//! of an export file (`/forms/import`, multipart), which redirects to the import's report.
use app::domain::ValidationError;
use app::offline::access::{ExportFile, ImportRequest, OfflinePolicy};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};

use super::forms::submit;
use super::offline_access_api::IMPORT_BODY_LIMIT;
use super::redirect::with_query;
use crate::auth::extract::MaybeUser;
use crate::error::{AppError, AppResult};
use crate::services::{offline_import, offline_policy};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms/offline-policy", post(policy))
        .merge(
            Router::new()
                .route("/forms/import", post(import))
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
}

async fn policy(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    f: Result<Form<OfflinePolicy>, FormRejection>,
) -> Response {
    submit(
        s.config.secure_cookie,
        u,
        f,
        "/admin/offline-policy",
        |p: &OfflinePolicy| {
            (
                "/admin/offline-policy".into(),
                format!(
                    "Offline policy saved: offline window {} days, idle lock {} minutes.",
                    p.offline_window_days, p.idle_lock_minutes
                ),
            )
        },
        |u, i| async move { (offline_policy::update(&s.db, &u, &i).await, i) },
    )
    .await
}

const IMPORT_PAGE: &str = "/admin/import";

async fn import(
    State(s): State<AppState>,
    MaybeUser(u): MaybeUser,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let Some(user) = u else {
        return with_query("/login", &[("error", AppError::signed_out().to_string())])
            .into_response();
    };
    let outcome = match form {
        Ok(form) => match read_import(form).await {
            Ok(req) => offline_import::run(&s.writer, &s.grant_key, &user, req).await,
            Err(e) => Err(e),
        },
        Err(rejection) => Err(unreadable(rejection.body_text())),
    };
    match outcome {
        Ok(report) => Redirect::to(&format!("/admin/imports/{}", report.id)).into_response(),
        Err(e) => with_query(IMPORT_PAGE, &[("error", e.to_api().message)]).into_response(),
    }
}

fn unreadable(detail: impl std::fmt::Display) -> AppError {
    AppError::Invalid(ValidationError::new(
        "file",
        format!("The form could not be read: {detail}"),
    ))
}

/// The `file` (the export, JSON) and `passphrase` fields.
async fn read_import(mut form: Multipart) -> AppResult<ImportRequest> {
    let (mut file, mut passphrase) = (None, String::new());
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| unreadable(e.body_text()))?
    {
        match field.name() {
            Some("file") => {
                let bytes = field.bytes().await.map_err(|e| unreadable(e.body_text()))?;
                let parsed: ExportFile = serde_json::from_slice(&bytes).map_err(|_| {
                    AppError::Invalid(ValidationError::new(
                        "file",
                        "Choose the export file DRIMS saved (a .json file of pending operations).",
                    ))
                })?;
                file = Some(parsed);
            }
            Some("passphrase") => {
                passphrase = field.text().await.map_err(|e| unreadable(e.body_text()))?;
            }
            _ => {}
        }
    }
    let file = file.ok_or_else(|| {
        AppError::Invalid(ValidationError::new(
            "file",
            "Choose the export file to import.",
        ))
    })?;
    Ok(ImportRequest { file, passphrase })
}
