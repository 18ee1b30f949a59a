//! What a device tells and asks about its own refused operations: the ones its user discarded
//! (closed for the review, audited) and what became of each (the LM's resolution and note).
//! Only the signed-in user's operations are touched or described; any other id is unknown.
use std::collections::{HashMap, HashSet};

use app::domain::ValidationError;
use app::model::SessionUser;
use app::ops::issues::{
    check_ids, DiscardRequest, DiscardResponse, IssueState, IssueStatus, StatusRequest,
    StatusResponse,
};
use serde_json::json;
use sqlx::AnyConnection;

use crate::db::Sql;

use crate::apply::claims::check_device;
use crate::db::{self, Db};
use crate::error::AppResult;
use crate::services::audit;

/// (id, status, resolution, note, resolver's name, resolved at).
type StateRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Each asked id with its stored form (a UUID's canonical text), `None` if it is no UUID.
fn canonical(ids: &[String]) -> Vec<(&String, Option<String>)> {
    ids.iter()
        .map(|id| {
            let canon = uuid::Uuid::parse_str(id.trim()).ok().map(|u| u.to_string());
            (id, canon)
        })
        .collect()
}

/// The user's own operations among `ids`, by id.
async fn own_states(
    conn: &mut AnyConnection,
    user_id: i64,
    ids: &[(&String, Option<String>)],
) -> AppResult<HashMap<String, StateRow>> {
    let wanted: Vec<&String> = ids.iter().filter_map(|(_, c)| c.as_ref()).collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = Sql::new(
        "SELECT o.id, o.status, o.resolution, o.resolution_note, \
         COALESCE(NULLIF(r.display_name, ''), r.username), o.resolved_at \
         FROM operations o LEFT JOIN users r ON r.id = o.resolved_by WHERE o.user_id = ",
    );
    q.bind(user_id).push(" AND o.id IN ");
    q.bind_list(wanted.into_iter().cloned());
    let rows: Vec<StateRow> = q.fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|r| (r.0.clone(), r)).collect())
}

/// Marks the user's refused operations among `ids` discarded (audited), leaving those already
/// discarded or resolved as they are; both are reported discarded, anything else unknown.
pub async fn discard(
    db: &Db,
    user: &SessionUser,
    req: &DiscardRequest,
) -> AppResult<DiscardResponse> {
    check_ids(&req.ids)?;
    let device = req.device_id.trim();
    check_device(device).map_err(|e| ValidationError::new("device_id", e))?;
    let ids = canonical(&req.ids);
    let mut tx = db::write_tx(db).await?;
    let found = own_states(&mut tx, user.id, &ids).await?;
    let now = db::now();
    let mut marked = HashSet::new();
    let mut answer = DiscardResponse::default();
    for (asked, canon) in &ids {
        let row = canon.as_ref().and_then(|c| found.get(c));
        let Some((id, status, resolution, ..)) = row.filter(|r| r.1 == "rejected") else {
            answer.unknown.push(asked.to_string());
            continue;
        };
        if resolution.is_none() && marked.insert(id.clone()) {
            sqlx::query(
                "UPDATE operations SET resolution = 'discarded', resolved_by = $1, resolved_at = $2 \
                 WHERE id = $3 AND user_id = $4 AND status = 'rejected' AND resolution IS NULL",
            )
            .bind(user.id)
            .bind(&now)
            .bind(id)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
            let details = json!({ "status": status, "device_id": device });
            audit::record_operation(&mut tx, user.id, Some(device), id, "discard", details).await?;
        }
        answer.discarded.push(asked.to_string());
    }
    tx.commit().await?;
    Ok(answer)
}

/// What became of each asked id, in order (only the user's own operations are described).
pub async fn status(db: &Db, user: &SessionUser, req: &StatusRequest) -> AppResult<StatusResponse> {
    check_ids(&req.ids)?;
    let ids = canonical(&req.ids);
    let mut conn = db.acquire().await?;
    let found = own_states(&mut conn, user.id, &ids).await?;
    let issues = ids
        .iter()
        .map(|(asked, canon)| {
            let Some(row) = canon.as_ref().and_then(|c| found.get(c)) else {
                return IssueStatus::unknown(asked);
            };
            let (_, status, resolution, note, by, at) = row.clone();
            let state = match (status.as_str(), resolution.as_deref()) {
                ("applied", _) => IssueState::Applied,
                ("pending_confirmation", _) => IssueState::PendingConfirmation,
                ("rejected", Some("resolved")) => IssueState::Resolved,
                ("rejected", Some("discarded")) => IssueState::Discarded,
                ("rejected", _) => IssueState::Refused,
                _ => IssueState::Unknown,
            };
            let closed = matches!(state, IssueState::Resolved | IssueState::Discarded);
            IssueStatus {
                id: asked.to_string(),
                state,
                note: note.filter(|_| closed),
                resolved_by: by.filter(|_| closed),
                resolved_at: at.filter(|_| closed),
            }
        })
        .collect();
    Ok(StatusResponse { issues })
}
