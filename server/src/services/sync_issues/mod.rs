//! Operations the server refused, kept for review: LM and ADMIN see everyone's (except those at
//! agency hubs: agency activity stays with the agency); everyone else sees their own. An issue
//! is open until its owner discards it (`device`) or an LM/ADMIN marks it resolved (`review`).
mod device;
mod review;

use app::model::SessionUser;
use app::permissions::{may_ever, Action};
use app::reports::{RejectedOperation, SyncIssuesView};
use sqlx::FromRow;

use crate::db::Db;
use crate::error::AppResult;

pub use device::{discard, status};
pub use review::resolve;

/// How many closed issues the review shows.
const CLOSED_SHOWN: i64 = 100;

/// Where an LM/ADMIN's review reaches: never an agency hub's operations.
const REVIEW_SCOPE: &str = "(h.hub_type IS NULL OR h.hub_type <> 'AGENCY')";

#[derive(FromRow)]
struct Row {
    id: String,
    kind: String,
    hub: Option<String>,
    username: String,
    device_id: String,
    received_at: String,
    reason: Option<String>,
    message: String,
    payload: String,
    attempts: i64,
    resolution: Option<String>,
    resolution_note: Option<String>,
    resolver: Option<String>,
    resolved_at: Option<String>,
}

impl From<Row> for RejectedOperation {
    fn from(r: Row) -> Self {
        RejectedOperation {
            id: r.id,
            kind: r.kind,
            hub: r.hub,
            username: r.username,
            device_id: r.device_id,
            received_at: r.received_at,
            reason: r.reason.unwrap_or_default(),
            message: r.message,
            payload: r.payload,
            attempts: r.attempts,
            resolution: r.resolution,
            note: r.resolution_note,
            resolved_by: r.resolver,
            resolved_at: r.resolved_at,
        }
    }
}

fn scope(user: &SessionUser) -> String {
    if may_ever(&user.actor(), Action::ReviewSyncIssues) {
        REVIEW_SCOPE.to_string()
    } else {
        format!("o.user_id = {}", user.id)
    }
}

async fn select(
    db: &Db,
    user: &SessionUser,
    condition: &str,
    order: &str,
    limit: i64,
) -> AppResult<Vec<RejectedOperation>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT o.id, o.kind, h.name AS hub, u.username, o.device_id, o.received_at, o.reason, o.message, \
         o.payload, o.attempts, o.resolution, o.resolution_note, COALESCE(NULLIF(r.display_name, ''), r.username) AS resolver, o.resolved_at \
         FROM operations o JOIN users u ON u.id = o.user_id LEFT JOIN hubs h ON h.id = o.hub_id \
         LEFT JOIN users r ON r.id = o.resolved_by \
         WHERE o.status = 'rejected' AND {condition} AND {} ORDER BY {order} LIMIT {limit}",
        scope(user)
    ))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(RejectedOperation::from).collect())
}

/// Open issues: refused and neither discarded nor resolved, newest first.
pub async fn list(db: &Db, user: &SessionUser) -> AppResult<Vec<RejectedOperation>> {
    select(db, user, "o.resolution IS NULL", "o.received_at DESC", 500).await
}

/// The latest discarded or resolved issues, newest resolution first.
pub async fn closed(db: &Db, user: &SessionUser) -> AppResult<Vec<RejectedOperation>> {
    let order = "o.resolved_at DESC";
    select(db, user, "o.resolution IS NOT NULL", order, CLOSED_SHOWN).await
}

/// The Sync issues page's server-held part.
pub async fn view(db: &Db, user: &SessionUser) -> AppResult<SyncIssuesView> {
    Ok(SyncIssuesView {
        open: list(db, user).await?,
        closed: closed(db, user).await?,
        can_resolve: may_ever(&user.actor(), Action::ReviewSyncIssues),
    })
}
