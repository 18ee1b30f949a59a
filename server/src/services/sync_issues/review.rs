//! An LM or ADMIN marks a refused operation resolved, with a note the person who recorded it
//! reads on their device at its next sync. Within the review's scope only (never an agency
//! hub's operation); an issue is resolved once, and never after its owner discarded it.
use app::domain::text::display_time;
use app::model::SessionUser;
use app::ops::issues::{IssueState, IssueStatus, ResolveInput};
use app::permissions::{authorize, Action};
use serde_json::json;

use super::REVIEW_SCOPE;
use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::services::audit;

/// (status, resolution, resolver's name, resolved at, owner's username, reason).
type Found = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
);

pub async fn resolve(
    db: &Db,
    user: &SessionUser,
    id: &str,
    input: &ResolveInput,
) -> AppResult<IssueStatus> {
    authorize(&user.actor(), Action::ReviewSyncIssues, None)?;
    let note = input.note()?;
    let not_found = || {
        AppError::NotFound(format!(
            "No refused operation '{id}' is held for your review."
        ))
    };
    let id = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| not_found())?
        .to_string();
    let mut tx = db::write_tx(db).await?;
    let found: Option<Found> = sqlx::query_as(&format!(
        "SELECT o.status, o.resolution, COALESCE(NULLIF(r.display_name, ''), r.username), \
         o.resolved_at, u.username, o.reason FROM operations o JOIN users u ON u.id = o.user_id \
         LEFT JOIN hubs h ON h.id = o.hub_id LEFT JOIN users r ON r.id = o.resolved_by \
         WHERE o.id = $1 AND {REVIEW_SCOPE}"
    ))
    .bind(&id)
    .fetch_optional(&mut *tx)
    .await?;
    let (status, resolution, by, at, owner, reason) = found.ok_or_else(not_found)?;
    let by = by.unwrap_or_default();
    let at = display_time(&at.unwrap_or_default());
    match (status.as_str(), resolution.as_deref()) {
        ("rejected", None) => {}
        ("rejected", Some("resolved")) => {
            return Err(AppError::Conflict(format!(
                "This issue was already marked resolved by {by} at {at}."
            )))
        }
        ("rejected", Some(_)) => {
            return Err(AppError::Conflict(format!(
                "This issue was already discarded by {by}, who recorded it, at {at}."
            )))
        }
        (other, _) => {
            return Err(AppError::Conflict(format!(
                "This operation is no longer refused (it was sent again and is now {}): there is nothing to resolve.",
                other.replace('_', " ")
            )))
        }
    }
    let now = db::now();
    sqlx::query(
        "UPDATE operations SET resolution = 'resolved', resolution_note = $1, resolved_by = $2, \
         resolved_at = $3 WHERE id = $4 AND status = 'rejected' AND resolution IS NULL",
    )
    .bind(&note)
    .bind(user.id)
    .bind(&now)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    let details = json!({ "note": note, "owner": owner, "reason": reason });
    audit::record_operation(&mut tx, user.id, None, &id, "resolve", details).await?;
    tx.commit().await?;
    Ok(IssueStatus {
        id,
        state: IssueState::Resolved,
        note: Some(note),
        resolved_by: Some(if user.display_name.is_empty() {
            user.username.clone()
        } else {
            user.display_name.clone()
        }),
        resolved_at: Some(now),
    })
}
