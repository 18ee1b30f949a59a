//! Operations the server refused, kept for review: LM and ADMIN see everyone's (except those at
//! agency hubs: agency activity stays with the agency); everyone else sees their own.
use app::model::SessionUser;
use app::permissions::{may_ever, Action};
use app::reports::RejectedOperation;
use sqlx::FromRow;

use crate::db::Db;
use crate::error::AppResult;

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
}

pub async fn list(db: &Db, user: &SessionUser) -> AppResult<Vec<RejectedOperation>> {
    let scope = if may_ever(&user.actor(), Action::ReviewSyncIssues) {
        "(h.hub_type IS NULL OR h.hub_type <> 'AGENCY')".to_string()
    } else {
        format!("o.user_id = {}", user.id)
    };
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT o.id, o.kind, h.name AS hub, u.username, o.device_id, o.received_at, o.reason, o.message, \
         o.payload, o.attempts FROM operations o JOIN users u ON u.id = o.user_id LEFT JOIN hubs h ON h.id = o.hub_id \
         WHERE o.status = 'rejected' AND {scope} ORDER BY o.received_at DESC LIMIT 500"
    ))
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RejectedOperation {
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
        })
        .collect())
}
