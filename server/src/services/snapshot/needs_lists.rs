//! The needs lists in a snapshot, as the online list page scopes them: global roles see every
//! list past Draft; a hub user sees their own hub's lists and those their hub supplies (an
//! allocation from it), the latter with the requester and that hub's allocations, so a
//! dispatch can be queued offline. Agency hubs are never a source, so agency users get their
//! own lists only.
use std::collections::HashMap;

use app::domain::HubType;
use app::model::SessionUser;
use app::ops::sync::{SnapshotAllocation, SnapshotNeedsLine, SnapshotNeedsList, SnapshotSupply};
use sqlx::FromRow;

use crate::db::Db;
use crate::error::AppResult;

/// The newest lists only: a snapshot stays small on a poor link.
const MOST: i64 = 500;

#[derive(FromRow)]
struct ListRow {
    id: i64,
    number: String,
    hub_id: i64,
    hub_name: String,
    hub_type: String,
    event_id: i64,
    priority: String,
    status: String,
    created_at: String,
}

pub(super) async fn needs_lists(db: &Db, user: &SessionUser) -> AppResult<Vec<SnapshotNeedsList>> {
    let select = "SELECT n.id, n.number, n.hub_id, h.name AS hub_name, h.hub_type, n.event_id, \
         n.priority, n.status, n.created_at FROM needs_lists n JOIN hubs h ON h.id = n.hub_id";
    let own = user.hub_id.filter(|_| user.role.is_hub_bound());
    let rows: Vec<ListRow> = match own {
        Some(hub) => {
            sqlx::query_as(&format!(
                "{select} WHERE n.hub_id = $1 OR EXISTS (SELECT 1 FROM needs_list_allocations a \
                 WHERE a.needs_list_id = n.id AND a.source_hub_id = $1) ORDER BY n.id DESC LIMIT $2"
            ))
            .bind(hub)
            .bind(MOST)
            .fetch_all(db)
            .await?
        }
        None if user.role.is_hub_bound() => Vec::new(),
        None => {
            sqlx::query_as(&format!(
                "{select} WHERE n.status <> 'Draft' ORDER BY n.id DESC LIMIT $1"
            ))
            .bind(MOST)
            .fetch_all(db)
            .await?
        }
    };
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Lines (and own-hub allocations) of all these lists in one query each; the ids are
    // integers from the rows above.
    let ids = rows
        .iter()
        .map(|r| r.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut lines_of: HashMap<i64, Vec<SnapshotNeedsLine>> = HashMap::new();
    let lines: Vec<(i64, i64, i64, Option<String>)> = sqlx::query_as(&format!(
        "SELECT needs_list_id, item_id, quantity, justification FROM needs_list_lines \
         WHERE needs_list_id IN ({ids}) ORDER BY id"
    ))
    .fetch_all(db)
    .await?;
    for (list, item_id, quantity, justification) in lines {
        lines_of.entry(list).or_default().push(SnapshotNeedsLine {
            item_id,
            quantity,
            justification,
        });
    }
    let mut supplied: HashMap<i64, Vec<SnapshotAllocation>> = HashMap::new();
    if let Some(hub) = own {
        let allocations: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT needs_list_id, item_id, quantity FROM needs_list_allocations \
             WHERE source_hub_id = $1 AND needs_list_id IN ({ids}) ORDER BY item_id"
        ))
        .bind(hub)
        .fetch_all(db)
        .await?;
        for (list, item_id, quantity) in allocations {
            supplied
                .entry(list)
                .or_default()
                .push(SnapshotAllocation { item_id, quantity });
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let supply = supplied
                .remove(&r.id)
                .filter(|_| Some(r.hub_id) != own)
                .map(|allocations| SnapshotSupply {
                    requester: r.hub_name,
                    requester_type: HubType::from_code(&r.hub_type).unwrap_or(HubType::Agency),
                    allocations,
                });
            SnapshotNeedsList {
                lines: lines_of.remove(&r.id).unwrap_or_default(),
                id: r.id,
                number: r.number,
                hub_id: r.hub_id,
                event_id: r.event_id,
                priority: r.priority,
                status: r.status,
                created_at: r.created_at,
                supply,
            }
        })
        .collect())
}
