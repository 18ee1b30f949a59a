//! One list as its page shows it: lines with what is allocated, allocations, change
//! requests, edits after completion, the timeline, the lock, and what the user may do now.
use super::*;

#[derive(FromRow)]
pub(super) struct ChangeRow {
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
pub(super) struct TimelineRow {
    action: String,
    from_status: Option<String>,
    to_status: String,
    by_name: String,
    at: String,
    note: Option<String>,
}

pub async fn detail(db: &Db, user: &SessionUser, id: i64) -> AppResult<NeedsListDetail> {
    let row: Row = sqlx::query_as(&format!("{SELECT} WHERE n.id = $1"))
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
         COALESCE((SELECT CAST(SUM(a.quantity) AS BIGINT) FROM needs_list_allocations a WHERE a.needs_list_id = l.needs_list_id AND a.item_id = l.item_id), 0) \
         FROM needs_list_lines l JOIN items i ON i.id = l.item_id WHERE l.needs_list_id = $1 ORDER BY i.name",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let allocations: Vec<(i64, String, String, i64, String, i64)> = sqlx::query_as(
        "SELECT a.item_id, i.name, i.unit, a.source_hub_id, h.name, a.quantity FROM needs_list_allocations a \
         JOIN items i ON i.id = a.item_id JOIN hubs h ON h.id = a.source_hub_id WHERE a.needs_list_id = $1 ORDER BY i.name, h.name",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let timeline: Vec<TimelineRow> = sqlx::query_as(
        "SELECT e.action, e.from_status, e.to_status, u.display_name AS by_name, e.at, e.note FROM needs_list_events e \
         JOIN users u ON u.id = e.user_id WHERE e.needs_list_id = $1 ORDER BY e.id",
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
             LEFT JOIN users u ON u.id = n.locked_by WHERE n.id = $1",
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
        // An agency's receipt is its own record: the apply refuses a correction of it.
        edit_after: s == status::COMPLETED
            && requester.hub_ref().hub_type != app::domain::HubType::Agency
            && at_list(Action::EditAfterCompletion),
    };
    let dispatch_hub = match (user.hub_id, dispatching_source) {
        (Some(own), Some(_)) if sources.contains(&own) => own,
        _ => row.hub_id,
    };
    let names: std::collections::HashMap<(i64, i64), (String, String)> = sqlx::query_as::<_, (i64, i64, String, String)>(
        "SELECT i.id, h.id, i.name, h.name FROM items i, hubs h WHERE i.id IN (SELECT item_id FROM needs_list_lines WHERE needs_list_id = $1)",
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
         JOIN users u ON u.id = c.requested_by LEFT JOIN users d ON d.id = c.decided_by WHERE c.needs_list_id = $1 ORDER BY c.id",
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
         JOIN users u ON u.id = e.user_id WHERE e.needs_list_id = $1 ORDER BY e.id",
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
