//! An import's record: the `offline_imports` row and its audit row, written together, and the
//! report read back for `/admin/imports/{id}`.
use app::model::SessionUser;
use app::offline::access::{ExportContents, ImportReport};
use app::ops::sync::SyncResult;
use app::permissions::{authorize, Action};
use serde_json::json;

use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::services::audit;

pub async fn store(
    db: &Db,
    importer: &SessionUser,
    contents: &ExportContents,
    grant_verified: bool,
    results: &[SyncResult],
) -> AppResult<ImportReport> {
    let now = db::now();
    let results_json = serde_json::to_string(results)
        .map_err(|e| AppError::Internal(format!("import results: {e}")))?;
    let count = |status: &str| results.iter().filter(|r| r.status == status).count();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO offline_imports (imported_by, imported_at, source_device, source_user_id, \
         source_username, grant_verified, results_json) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(importer.id)
    .bind(&now)
    .bind(&contents.device_id)
    .bind(contents.user_id)
    .bind(&contents.username)
    .bind(i64::from(grant_verified))
    .bind(&results_json)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(importer.id),
        "offline_import",
        "offline_import",
        id,
        json!({
            "source_device": contents.device_id,
            "source_user_id": contents.user_id,
            "source_username": contents.username,
            "grant_verified": grant_verified,
            "exported_at": contents.exported_at,
            "operations": results.len(),
            "applied": count("applied"),
            "rejected": count("rejected"),
            "pending_confirmation": count("pending_confirmation"),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(ImportReport {
        id,
        imported_at: now,
        imported_by: importer.username.clone(),
        source_device: contents.device_id.clone(),
        source_user: contents.username.clone(),
        grant_verified,
        results: results.to_vec(),
    })
}

type Row = (i64, String, String, String, String, i64, String);

/// A stored import's report (LM and ADMIN).
pub async fn load(db: &Db, user: &SessionUser, id: i64) -> AppResult<ImportReport> {
    authorize(&user.actor(), Action::ReviewSyncIssues, None)?;
    let row: Option<Row> = sqlx::query_as(
        "SELECT i.id, i.imported_at, u.username, i.source_device, i.source_username, \
         i.grant_verified, i.results_json FROM offline_imports i \
         JOIN users u ON u.id = i.imported_by WHERE i.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let (id, imported_at, imported_by, source_device, source_user, grant_verified, results) =
        row.ok_or_else(|| AppError::NotFound(format!("Import {id} does not exist.")))?;
    Ok(ImportReport {
        id,
        imported_at,
        imported_by,
        source_device,
        source_user,
        grant_verified: grant_verified != 0,
        results: serde_json::from_str(&results)
            .map_err(|e| AppError::Internal(format!("stored import results: {e}")))?,
    })
}
