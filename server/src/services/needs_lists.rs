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

#[derive(FromRow)]
struct Row {
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

#[derive(FromRow)]
struct ChangeRow {
    id: i64,
    hub: String,
    requested_by: String,
    requested_at: String,
    reason: String,
    proposed: String,
    status: String,
    decided_by: Option<String>,
    decision_note: Option<String>,
}

#[derive(FromRow)]
struct TimelineRow {
    action: String,
    from_status: Option<String>,
    to_status: String,
    by_name: String,
    at: String,
    note: Option<String>,
}

const SELECT: &str = "SELECT n.id, n.number, n.hub_id, h.name AS hub, e.name AS event, n.priority, n.status, \
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

fn sees_all(user: &SessionUser) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::LogisticsManager | Role::LogisticsOfficer | Role::Auditor
    )
}

/// Government roles and auditors see every list (agency lists included: agencies are
/// requesters); hub users see their own hub's lists and those their hub is a source of.
fn may_see(user: &SessionUser, row: &Row) -> bool {
    sees_all(user)
        || user
            .hub_id
            .is_some_and(|own| own == row.hub_id || row.sources().contains(&own))
}

/// Queues: `all`, `prepare` (LO/LM), `approval` (LM), `dispatch` (per source hub),
/// `incoming` (the requester's dispatched lists), `drafts`.
fn in_queue(user: &SessionUser, row: &Row, queue: &str) -> bool {
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

pub async fn list(db: &Db, user: &SessionUser, queue: Option<String>) -> AppResult<NeedsListsView> {
    let queue = queue.unwrap_or_else(|| "all".into());
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} ORDER BY n.updated_at DESC, n.id DESC LIMIT 500"
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

/// Counts per queue for the dashboards.
pub async fn queue_counts(db: &Db, user: &SessionUser) -> AppResult<Vec<(&'static str, usize)>> {
    let rows: Vec<Row> = sqlx::query_as(SELECT).fetch_all(db).await?;
    let visible: Vec<&Row> = rows.iter().filter(|r| may_see(user, r)).collect();
    Ok(["prepare", "approval", "dispatch", "incoming"]
        .into_iter()
        .map(|q| (q, visible.iter().filter(|r| in_queue(user, r, q)).count()))
        .collect())
}

async fn hub(db: &Db, id: i64) -> AppResult<HubRow> {
    sqlx::query_as("SELECT id, name, hub_type, status, activated_at FROM hubs WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Hub {id} does not exist.")))
}

pub async fn detail(db: &Db, user: &SessionUser, id: i64) -> AppResult<NeedsListDetail> {
    let row: Row = sqlx::query_as(&format!("{SELECT} WHERE n.id = ?"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Needs list #{id} does not exist.")))?;
    if !may_see(user, &row) {
        // The same answer as a missing list: other agencies' lists are not even confirmed.
        return Err(AppError::NotFound(format!(
            "Needs list #{id} does not exist."
        )));
    }
    let sources = row.sources();
    let requester = hub(db, row.hub_id).await?;
    let lines: Vec<(i64, String, String, i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT l.item_id, i.name, i.unit, l.quantity, l.justification, \
         COALESCE((SELECT SUM(a.quantity) FROM needs_list_allocations a WHERE a.needs_list_id = l.needs_list_id AND a.item_id = l.item_id), 0) \
         FROM needs_list_lines l JOIN items i ON i.id = l.item_id WHERE l.needs_list_id = ? ORDER BY i.name",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let allocations: Vec<(i64, String, String, i64, String, i64)> = sqlx::query_as(
        "SELECT a.item_id, i.name, i.unit, a.source_hub_id, h.name, a.quantity FROM needs_list_allocations a \
         JOIN items i ON i.id = a.item_id JOIN hubs h ON h.id = a.source_hub_id WHERE a.needs_list_id = ? ORDER BY i.name, h.name",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let timeline: Vec<TimelineRow> = sqlx::query_as(
        "SELECT e.action, e.from_status, e.to_status, u.display_name AS by_name, e.at, e.note FROM needs_list_events e \
         JOIN users u ON u.id = e.user_id WHERE e.needs_list_id = ? ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let (notes, locked_by, locked_at, holder): (
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT n.notes, n.locked_by, n.locked_at, u.display_name FROM needs_lists n \
             LEFT JOIN users u ON u.id = n.locked_by WHERE n.id = ?",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    let lock = live_lock(locked_by, locked_at.as_deref()).map(|(by, until)| LockInfo {
        holder: holder.unwrap_or_default(),
        until,
        mine: by == user.id,
    });

    let actor = user.actor();
    let at_list = |action| authorize(&actor, action, Some(requester.hub_ref())).is_ok();
    let s = row.status.as_str();
    let mut source_rows = Vec::new();
    for s in &sources {
        source_rows.push(hub(db, *s).await?);
    }
    let dispatching_source = source_rows
        .iter()
        .find(|h| authorize(&actor, Action::Dispatch, Some(h.hub_ref())).is_ok());
    let may = ListActions {
        edit: s == status::DRAFT && at_list(Action::NeedsListEdit),
        submit: s == status::DRAFT && at_list(Action::NeedsListSubmit),
        delete: s == status::DRAFT && at_list(Action::NeedsListDelete),
        prepare: (s == status::SUBMITTED || s == status::PREPARED)
            && at_list(Action::PrepareFulfilment),
        approve: s == status::AWAITING_APPROVAL && at_list(Action::ApproveFulfilment),
        dispatch: (s == status::APPROVED || s == status::RESENT) && dispatching_source.is_some(),
        receive: s == status::DISPATCHED && at_list(Action::ConfirmReceipt),
        request_change: (s == status::APPROVED || s == status::RESENT)
            && user.hub_id.is_some_and(|own| sources.contains(&own))
            && source_rows.iter().any(|h| {
                authorize(&actor, Action::RequestFulfilmentChange, Some(h.hub_ref())).is_ok()
            }),
        approve_change: at_list(Action::ApproveChangeRequest),
        reject_change: at_list(Action::RejectOrClarifyChangeRequest),
        edit_after: s == status::COMPLETED && at_list(Action::EditAfterCompletion),
    };
    let dispatch_hub = match (user.hub_id, dispatching_source) {
        (Some(own), Some(_)) if sources.contains(&own) => own,
        _ => row.hub_id,
    };
    let names: std::collections::HashMap<(i64, i64), (String, String)> = sqlx::query_as::<_, (i64, i64, String, String)>(
        "SELECT i.id, h.id, i.name, h.name FROM items i, hubs h WHERE i.id IN (SELECT item_id FROM needs_list_lines WHERE needs_list_id = ?)",
    )
    .bind(id)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|(i, h, item, hub)| ((i, h), (item, hub)))
    .collect();
    let change_rows: Vec<ChangeRow> = sqlx::query_as(
        "SELECT c.id, h.name AS hub, u.display_name AS requested_by, c.requested_at, c.reason, c.proposed, c.status, \
         d.display_name AS decided_by, c.decision_note FROM fulfilment_change_requests c JOIN hubs h ON h.id = c.source_hub_id \
         JOIN users u ON u.id = c.requested_by LEFT JOIN users d ON d.id = c.decided_by WHERE c.needs_list_id = ? ORDER BY c.id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let change_requests = change_rows
        .into_iter()
        .map(|c| {
            let proposed: Vec<Allocation> = serde_json::from_str(&c.proposed).unwrap_or_default();
            let proposed = proposed
                .iter()
                .map(|a| {
                    let (item, hub) = names
                        .get(&(a.item_id, a.source_hub_id))
                        .cloned()
                        .unwrap_or_else(|| {
                            (
                                format!("item #{}", a.item_id),
                                format!("hub #{}", a.source_hub_id),
                            )
                        });
                    format!("{} × {item} from {hub}", a.quantity)
                })
                .collect::<Vec<_>>()
                .join(", ");
            ChangeRequestView {
                id: c.id,
                hub: c.hub,
                requested_by: c.requested_by,
                requested_at: c.requested_at,
                reason: c.reason,
                proposed,
                status: c.status,
                decided_by: c.decided_by,
                decision_note: c.decision_note,
            }
        })
        .collect();
    let edit_log: Vec<EditLogEntry> = sqlx::query_as::<_, (String, Option<String>, Option<String>, String, String, String)>(
        "SELECT e.field, e.before, e.after, e.reason, u.display_name, e.at FROM fulfilment_edit_log e \
         JOIN users u ON u.id = e.user_id WHERE e.needs_list_id = ? ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|(field, before, after, reason, by, at)| EditLogEntry { field, before, after, reason, by, at })
    .collect();
    let change_hub = user
        .hub_id
        .filter(|own| sources.contains(own))
        .unwrap_or(row.hub_id);
    Ok(NeedsListDetail {
        change_requests,
        edit_log,
        change_hub,
        notes,
        lines: lines
            .into_iter()
            .map(
                |(item_id, item, unit, requested, justification, allocated)| NeedsListDetailLine {
                    item_id,
                    item,
                    unit,
                    requested,
                    allocated,
                    justification,
                },
            )
            .collect(),
        allocations: allocations
            .into_iter()
            .map(
                |(item_id, item, unit, source_hub_id, source_hub, quantity)| AllocationView {
                    item_id,
                    item,
                    unit,
                    source_hub_id,
                    source_hub,
                    quantity,
                },
            )
            .collect(),
        timeline: timeline
            .into_iter()
            .map(|t| TimelineEntry {
                action: t.action,
                from_status: t.from_status,
                to_status: t.to_status,
                by: t.by_name,
                at: t.at,
                note: t.note,
            })
            .collect(),
        lock,
        may,
        dispatch_hub,
        op_id: uuid::Uuid::new_v4().to_string(),
        list: row.summary(),
    })
}

/// (holder, until) when the lock is live.
fn live_lock(by: Option<i64>, at: Option<&str>) -> Option<(i64, String)> {
    let by = by?;
    let at = chrono::DateTime::parse_from_rfc3339(at?)
        .ok()?
        .with_timezone(&chrono::Utc);
    let until = at + chrono::Duration::minutes(LOCK_MINUTES);
    (until > chrono::Utc::now()).then(|| (by, db::timestamp(until)))
}

/// Takes or renews the editing lock, atomically: one conditional UPDATE succeeds only when
/// the lock is free, expired or already the user's. Returns until when it holds.
pub async fn take_lock(db: &Db, user: &SessionUser, id: i64) -> AppResult<String> {
    let d = detail(db, user, id).await?;
    if !d.may.prepare {
        return Err(AppError::Forbidden(format!(
            "Needs list {} is {}; you cannot prepare its fulfilment now.",
            d.list.number, d.list.status
        )));
    }
    let now = chrono::Utc::now();
    let expired = db::timestamp(now - chrono::Duration::minutes(LOCK_MINUTES));
    let taken = sqlx::query(
        "UPDATE needs_lists SET locked_by = ?, locked_at = ? WHERE id = ? \
         AND (locked_by IS NULL OR locked_by = ? OR locked_at < ?)",
    )
    .bind(user.id)
    .bind(db::timestamp(now))
    .bind(id)
    .bind(user.id)
    .bind(&expired)
    .execute(db)
    .await?
    .rows_affected();
    if taken == 1 {
        return Ok(db::timestamp(now + chrono::Duration::minutes(LOCK_MINUTES)));
    }
    let lock = detail(db, user, id).await?.lock;
    Err(AppError::Conflict(match lock {
        Some(l) => format!(
            "{} is preparing needs list {} until {} (unless they save or leave first); you can view it but not change it.",
            l.holder,
            d.list.number,
            app::domain::text::display_time(&l.until)
        ),
        None => format!("Needs list {} is being prepared by someone else.", d.list.number),
    }))
}

/// The prepare screen: takes the lock (or says who holds it) and offers the sources.
pub async fn prepare(db: &Db, user: &SessionUser, id: i64) -> AppResult<PrepareView> {
    let locked_out = match take_lock(db, user, id).await {
        Ok(_) => None,
        Err(AppError::Conflict(message)) => Some(message),
        Err(e) => return Err(e),
    };
    let detail = detail(db, user, id).await?;
    let sources: Vec<SourceStock> = sqlx::query_as::<_, (i64, i64, String, i64)>(
        "SELECT b.item_id, h.id, h.name, b.quantity FROM stock_balances b JOIN hubs h ON h.id = b.hub_id \
         WHERE h.status = 'Active' AND h.hub_type IN ('MAIN', 'SUB') AND h.id <> ? AND b.quantity > 0 \
         AND b.item_id IN (SELECT item_id FROM needs_list_lines WHERE needs_list_id = ?) ORDER BY h.hub_type, h.name",
    )
    .bind(detail.list.hub_id)
    .bind(id)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|(item_id, hub_id, hub, on_hand)| SourceStock {
        item_id,
        hub_id,
        hub,
        on_hand,
    })
    .collect();
    Ok(PrepareView {
        detail,
        sources,
        locked_out,
    })
}

/// The edit form of a Draft, filled with the list as it is.
pub async fn edit(db: &Db, user: &SessionUser, id: i64) -> AppResult<NeedsListEditView> {
    let d = detail(db, user, id).await?;
    if !d.may.edit {
        return Err(AppError::Forbidden(format!(
            "Needs list {} is {}; only a Draft can be edited, by its hub.",
            d.list.number, d.list.status
        )));
    }
    if d.lines.len() > NeedsListForm::LINES {
        return Err(AppError::Forbidden(format!(
            "Needs list {} has {} lines, more than this form shows ({}); edit it through the API.",
            d.list.number,
            d.lines.len(),
            NeedsListForm::LINES
        )));
    }
    let options =
        inventory::form_options(db, user, Action::NeedsListEdit, Some(d.list.hub_id)).await?;
    let (event_id, priority): (i64, String) =
        sqlx::query_as("SELECT event_id, priority FROM needs_lists WHERE id = ?")
            .bind(id)
            .fetch_one(db)
            .await?;
    let mut values = vec![
        ("event_id".to_string(), event_id.to_string()),
        ("priority".to_string(), priority),
        ("notes".to_string(), d.notes.clone().unwrap_or_default()),
    ];
    for (n, line) in d.lines.iter().enumerate().take(NeedsListForm::LINES) {
        let n = n + 1;
        values.push((format!("item_id_{n}"), line.item_id.to_string()));
        values.push((format!("quantity_{n}"), line.requested.to_string()));
        values.push((
            format!("justification_{n}"),
            line.justification.clone().unwrap_or_default(),
        ));
    }
    Ok(NeedsListEditView {
        needs_list_id: id,
        number: d.list.number,
        options,
        values,
    })
}
