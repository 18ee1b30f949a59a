//! Needs lists to read: the lists and queues a user may see, one list with its lines,
//! allocations and timeline, the prepare screen (which takes the editing lock) and the edit
//! form of a Draft. Every write goes through `apply`.
use app::domain::Role;
use app::model::SessionUser;
use app::ops::forms::NeedsListForm;
use app::ops::needs_list::{status, LOCK_MINUTES};
use app::ops::Allocation;
use app::permissions::{authorize, may_ever, Action};
use app::reports::{
    AllocationView, ChangeRequestView, EditLogEntry, ListActions, LockInfo, NeedsListDetail,
    NeedsListDetailLine, NeedsListEditView, NeedsListSummary, NeedsListsView, PrepareView,
    SourceStock, TimelineEntry,
};
use sqlx::FromRow;

use super::inventory;
use super::rows::HubRow;
use crate::db::{self, Db};
use crate::error::{AppError, AppResult};

mod detail;
mod lock;

pub use detail::detail;
use lock::live_lock;
pub use lock::{edit, prepare, take_lock};

#[derive(FromRow)]
pub(super) struct Row {
    id: i64,
    number: String,
    hub_id: i64,
    hub: String,
    event: String,
    priority: String,
    status: String,
    lines: i64,
    created_at: String,
    updated_at: String,
    /// Comma-separated source hub ids of its allocations.
    sources: Option<String>,
}

pub(super) const SELECT: &str = "SELECT n.id, n.number, n.hub_id, h.name AS hub, e.name AS event, n.priority, n.status, \
     (SELECT COUNT(*) FROM needs_list_lines l WHERE l.needs_list_id = n.id) AS lines, n.created_at, n.updated_at, \
     (SELECT GROUP_CONCAT(DISTINCT a.source_hub_id) FROM needs_list_allocations a WHERE a.needs_list_id = n.id) AS sources \
     FROM needs_lists n JOIN hubs h ON h.id = n.hub_id JOIN disaster_events e ON e.id = n.event_id";

impl Row {
    fn sources(&self) -> Vec<i64> {
        self.sources
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter_map(|s| s.parse().ok())
            .collect()
    }

    fn summary(self) -> NeedsListSummary {
        NeedsListSummary {
            id: self.id,
            number: self.number,
            hub_id: self.hub_id,
            hub: self.hub,
            event: self.event,
            priority: self.priority,
            status: self.status,
            lines: self.lines,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

pub(super) fn sees_all(user: &SessionUser) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::LogisticsManager | Role::LogisticsOfficer | Role::Auditor
    )
}

/// Government roles and auditors see every list (agency lists included: agencies are
/// requesters); hub users see their own hub's lists and those their hub is a source of.
pub(super) fn may_see(user: &SessionUser, row: &Row) -> bool {
    sees_all(user)
        || user
            .hub_id
            .is_some_and(|own| own == row.hub_id || row.sources().contains(&own))
}

/// Queues: `all`, `prepare` (LO/LM), `approval` (LM), `dispatch` (per source hub),
/// `incoming` (the requester's dispatched lists), `drafts`.
pub(super) fn in_queue(user: &SessionUser, row: &Row, queue: &str) -> bool {
    let s = row.status.as_str();
    match queue {
        "prepare" => s == status::SUBMITTED || s == status::PREPARED,
        "approval" => s == status::AWAITING_APPROVAL,
        "dispatch" => {
            (s == status::APPROVED || s == status::RESENT)
                && (sees_all(user) || user.hub_id.is_some_and(|h| row.sources().contains(&h)))
        }
        "incoming" => {
            s == status::DISPATCHED && (sees_all(user) || user.hub_id == Some(row.hub_id))
        }
        "drafts" => s == status::DRAFT,
        _ => true,
    }
}

/// `may_see` and `in_queue` as SQL, so the newest 500 are counted among the lists this user
/// may see in this queue (not among everyone's, where 500 other drafts could hide them all).
fn filter_sql(user: &SessionUser, queue: &str) -> String {
    let own = user.hub_id.unwrap_or(-1);
    let sourced = format!(
        "EXISTS (SELECT 1 FROM needs_list_allocations a WHERE a.needs_list_id = n.id AND a.source_hub_id = {own})"
    );
    let all = sees_all(user);
    let mut clauses = Vec::new();
    if !all {
        clauses.push(format!("(n.hub_id = {own} OR {sourced})"));
    }
    let quoted = |states: &[&str]| {
        states
            .iter()
            .map(|s| format!("'{}'", s.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match queue {
        "prepare" => clauses.push(format!(
            "n.status IN ({})",
            quoted(&[status::SUBMITTED, status::PREPARED])
        )),
        "approval" => clauses.push(format!(
            "n.status IN ({})",
            quoted(&[status::AWAITING_APPROVAL])
        )),
        "dispatch" => {
            clauses.push(format!(
                "n.status IN ({})",
                quoted(&[status::APPROVED, status::RESENT])
            ));
            if !all {
                clauses.push(sourced.clone());
            }
        }
        "incoming" => {
            clauses.push(format!("n.status IN ({})", quoted(&[status::DISPATCHED])));
            if !all {
                clauses.push(format!("n.hub_id = {own}"));
            }
        }
        "drafts" => clauses.push(format!("n.status IN ({})", quoted(&[status::DRAFT]))),
        _ => {}
    }
    if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    }
}

pub async fn list(db: &Db, user: &SessionUser, queue: Option<String>) -> AppResult<NeedsListsView> {
    let queue = queue.unwrap_or_else(|| "all".into());
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT}{} ORDER BY n.updated_at DESC, n.id DESC LIMIT 500",
        filter_sql(user, &queue)
    ))
    .fetch_all(db)
    .await?;
    Ok(NeedsListsView {
        lists: rows
            .into_iter()
            .filter(|r| may_see(user, r) && in_queue(user, r, &queue))
            .map(Row::summary)
            .collect(),
        queue,
        may_create: may_ever(&user.actor(), Action::NeedsListEdit),
    })
}

pub(super) async fn hub(db: &Db, id: i64) -> AppResult<HubRow> {
    sqlx::query_as("SELECT id, name, hub_type, status, activated_at FROM hubs WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Hub {id} does not exist.")))
}
