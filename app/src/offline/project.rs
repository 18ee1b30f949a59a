//! Offline reads: the pages' read models built from the last snapshot plus what waits in the
//! outbox, so a user offline sees their hub's stock as it will be once the queue is synced.
//! Pure functions, tested natively; the browser only supplies the stored data.
use std::collections::BTreeMap;

use uuid::Uuid;

use super::client::LocalData;
use super::PendingOp;
use crate::domain::HubRef;
use crate::model::{DisasterEvent, Hub, Item, SessionUser};
use crate::ops::sync::{Snapshot, SnapshotHub};
use crate::ops::OperationBody;
use crate::permissions::{authorize, Action};
use crate::reports::{
    Dashboard, InventoryLine, InventoryQuery, InventoryView, OfflineInfo, Stat, StockFormOptions,
    Table,
};

/// The signed-in user as the snapshot knows them (for the header while offline).
pub fn session_user(snapshot: &Snapshot) -> SessionUser {
    let hub = snapshot
        .user
        .hub_id
        .and_then(|id| snapshot.hubs.iter().find(|h| h.id == id));
    SessionUser {
        id: snapshot.user.id,
        username: snapshot.user.username.clone(),
        display_name: snapshot
            .user
            .display_name
            .clone()
            .unwrap_or_else(|| snapshot.user.username.clone()),
        role: snapshot.user.role,
        hub_id: snapshot.user.hub_id,
        hub_type: hub.map(|h| h.hub_type),
        hub_name: hub.map(|h| h.name.clone()),
    }
}

fn hub_model(h: &SnapshotHub) -> Hub {
    Hub {
        id: h.id,
        name: h.name.clone(),
        hub_type: h.hub_type,
        status: h.status,
        activated_at: None,
    }
}

/// Net change per item that the queued operations will make at `hub_id`.
pub fn pending_changes(pending: &[PendingOp], hub_id: i64) -> BTreeMap<i64, i64> {
    let mut changes = BTreeMap::new();
    for p in pending.iter().filter(|p| p.op.hub_id == hub_id) {
        match &p.op.body {
            OperationBody::Intake(i) => *changes.entry(i.item_id).or_default() += i.quantity,
            OperationBody::Distribution(d) => *changes.entry(d.item_id).or_default() -= d.quantity,
            // Needs lists move no stock; transfers only once confirmed and approved online.
            // Dispatches move stock only once confirmed online.
            _ => {}
        }
    }
    changes
}

/// Stock at a hub as last synced, per item.
fn synced_stock(hub: &SnapshotHub) -> BTreeMap<i64, i64> {
    hub.inventory
        .iter()
        .map(|l| (l.item_id, l.quantity))
        .collect()
}

/// Projected stock of one item (last synced stock plus queued changes).
pub fn projected(data: &LocalData, hub_id: i64, item_id: i64) -> Option<i64> {
    let snapshot = data.snapshot.as_ref()?;
    let hub = snapshot.hubs.iter().find(|h| h.id == hub_id)?;
    let synced = synced_stock(hub).get(&item_id).copied().unwrap_or(0);
    Some(
        synced
            + pending_changes(&data.pending, hub_id)
                .get(&item_id)
                .copied()
                .unwrap_or(0),
    )
}

fn offline_info(data: &LocalData) -> OfflineInfo {
    OfflineInfo {
        last_synced: data
            .last_synced
            .clone()
            .or_else(|| data.snapshot.as_ref().map(|s| s.generated_at.clone())),
        warnings: Vec::new(),
    }
}

/// The inventory page from the snapshot, with projected stock and a warning for every item a
/// queued distribution would take below zero.
pub fn inventory(data: &LocalData, query: &InventoryQuery) -> Option<InventoryView> {
    let snapshot = data.snapshot.as_ref()?;
    let visible: Vec<&SnapshotHub> = snapshot.hubs.iter().collect();
    let hub = query
        .hub
        .and_then(|id| visible.iter().find(|h| h.id == id))
        .or_else(|| {
            snapshot
                .user
                .hub_id
                .and_then(|id| visible.iter().find(|h| h.id == id))
        })
        .or_else(|| visible.first())?;
    let items: BTreeMap<i64, _> = snapshot.items.iter().map(|i| (i.id, i)).collect();
    let mut quantities = synced_stock(hub);
    let changes = pending_changes(&data.pending, hub.id);
    for item in changes.keys() {
        quantities.entry(*item).or_insert(0);
    }
    let min: BTreeMap<i64, i64> = hub
        .inventory
        .iter()
        .map(|l| (l.item_id, l.min_qty))
        .collect();
    let needle = query.q.as_deref().unwrap_or("").trim().to_lowercase();
    let category = query.category.as_deref().unwrap_or("");
    let mut info = offline_info(data);
    let mut lines = Vec::new();
    for (item_id, synced) in quantities {
        let Some(item) = items.get(&item_id) else {
            continue;
        };
        let change = changes.get(&item_id).copied().unwrap_or(0);
        let projected = synced + change;
        if projected < 0 {
            info.warnings.push(format!(
                "Queued distributions of {} exceed the last synced stock by {} {}: the server will refuse what is not there.",
                item.name, -projected, item.unit
            ));
        }
        let matches = (needle.is_empty()
            || item.name.to_lowercase().contains(&needle)
            || item.sku.to_lowercase().contains(&needle))
            && (category.is_empty() || item.category == category);
        if !matches {
            continue;
        }
        let min_qty = min.get(&item_id).copied().unwrap_or(0);
        lines.push(InventoryLine {
            item_id,
            sku: item.sku.clone(),
            name: item.name.clone(),
            category: item.category.clone(),
            unit: item.unit.clone(),
            quantity: projected,
            min_qty,
            low_stock: projected < min_qty,
            last_movement_at: None,
            pending: change,
        });
    }
    lines.sort_by(|a, b| a.name.cmp(&b.name));
    let mut categories: Vec<String> = snapshot.items.iter().map(|i| i.category.clone()).collect();
    categories.sort();
    categories.dedup();
    Some(InventoryView {
        hub: hub_model(hub),
        hubs: visible.iter().map(|h| hub_model(h)).collect(),
        categories,
        total_quantity: lines.iter().map(|l| l.quantity).sum(),
        low_stock_count: lines.iter().filter(|l| l.low_stock).count(),
        lines,
        offline: Some(info),
    })
}

/// The intake, distribution and needs-list forms' choices from the snapshot: hubs where the
/// one permission rule lets this user do `action`, the catalogue, Active events, projected stock.
pub fn form_options(
    data: &LocalData,
    action: Action,
    hub: Option<i64>,
    op_id: Uuid,
) -> Option<StockFormOptions> {
    let snapshot = data.snapshot.as_ref()?;
    let actor = session_user(snapshot).actor();
    let hubs: Vec<Hub> = snapshot
        .hubs
        .iter()
        .filter(|h| {
            authorize(
                &actor,
                action,
                Some(HubRef {
                    id: h.id,
                    hub_type: h.hub_type,
                }),
            )
            .is_ok()
                && h.status == crate::domain::HubStatus::Active
        })
        .map(hub_model)
        .collect();
    let hub_id = hub
        .filter(|id| hubs.iter().any(|h| h.id == *id))
        .or(snapshot
            .user
            .hub_id
            .filter(|id| hubs.iter().any(|h| h.id == *id)))
        .or(hubs.first().map(|h| h.id));
    let stock = hub_id
        .map(|id| {
            let hub = snapshot.hubs.iter().find(|h| h.id == id);
            let mut q = hub.map(synced_stock).unwrap_or_default();
            for (item, change) in pending_changes(&data.pending, id) {
                *q.entry(item).or_default() += change;
            }
            q.into_iter().filter(|(_, n)| *n > 0).collect()
        })
        .unwrap_or_default();
    Some(StockFormOptions {
        hubs,
        hub_id,
        items: snapshot
            .items
            .iter()
            .map(|i| Item {
                id: i.id,
                sku: i.sku.clone(),
                barcode: None,
                name: i.name.clone(),
                category: i.category.clone(),
                unit: i.unit.clone(),
                min_qty: 0,
                description: None,
            })
            .collect(),
        events: snapshot
            .events
            .iter()
            .filter(|e| e.status == "Active")
            .map(|e| DisasterEvent {
                id: e.id,
                name: e.name.clone(),
                event_type: String::new(),
                start_date: String::new(),
                end_date: None,
                status: e.status.clone(),
            })
            .collect(),
        stock,
        op_id: op_id.to_string(),
    })
}

/// The transfers page offline: the request form only (requests queue, flagged "needs
/// confirmation online"); the list of transfers needs the server.
pub fn transfers(data: &LocalData, hub: Option<i64>) -> Option<crate::reports::TransfersView> {
    let snapshot = data.snapshot.as_ref()?;
    Some(crate::reports::TransfersView {
        form: form_options(data, Action::RequestTransfer, hub, Uuid::new_v4())
            .filter(|f| f.hub_id.is_some()),
        destinations: snapshot.destinations.clone(),
        transfers: Vec::new(),
        may_review: false,
    })
}

/// The role's dashboard from the snapshot: the figures that can be known offline, marked as such.
pub fn dashboard(data: &LocalData) -> Option<Dashboard> {
    let snapshot = data.snapshot.as_ref()?;
    let user = session_user(snapshot);
    let hubs: Vec<&SnapshotHub> = match user.hub_id {
        Some(id) => snapshot.hubs.iter().filter(|h| h.id == id).collect(),
        None => snapshot.hubs.iter().collect(),
    };
    let items: BTreeMap<i64, _> = snapshot.items.iter().map(|i| (i.id, i)).collect();
    let mut units = 0;
    let mut low = Vec::new();
    for hub in &hubs {
        let changes = pending_changes(&data.pending, hub.id);
        for line in &hub.inventory {
            let q = line.quantity + changes.get(&line.item_id).copied().unwrap_or(0);
            units += q;
            if q < line.min_qty {
                if let Some(item) = items.get(&line.item_id) {
                    low.push(vec![
                        hub.name.clone(),
                        item.name.clone(),
                        q.to_string(),
                        line.min_qty.to_string(),
                    ]);
                }
            }
        }
    }
    let open_lists = snapshot
        .needs_lists
        .iter()
        .filter(|l| l.status != "Completed" && l.status != "Cancelled")
        .count();
    let scope = match &user.hub_name {
        Some(name) => name.clone(),
        None => format!("{} hubs", hubs.len()),
    };
    let stats = vec![
        Stat {
            label: format!("Units on hand ({scope}, projected)"),
            value: units.to_string(),
        },
        Stat {
            label: "Items below minimum".into(),
            value: low.len().to_string(),
        },
        Stat {
            label: "Open needs lists".into(),
            value: open_lists.to_string(),
        },
        Stat {
            label: "Waiting to sync on this device".into(),
            value: data.pending.len().to_string(),
        },
        Stat {
            label: "Sync issues on this device".into(),
            value: data.issues.len().to_string(),
        },
        Stat {
            label: "Last synced".into(),
            value: offline_info(data)
                .last_synced
                .as_deref()
                .map(crate::domain::text::display_time)
                .unwrap_or_else(|| "never".into()),
        },
    ];
    Some(Dashboard {
        title: format!("{} dashboard (offline)", user.role.name()),
        stats,
        chart: None,
        tables: vec![Table {
            title: "Below minimum stock".into(),
            headers: ["Hub", "Item", "On hand", "Minimum"]
                .map(String::from)
                .to_vec(),
            rows: low,
            empty: "Nothing below minimum in the last synced stock.".into(),
        }],
    })
}

#[cfg(test)]
#[path = "project_test.rs"]
mod tests;

fn list_summary(
    snapshot: &Snapshot,
    names: &crate::ops::Names,
    l: &crate::ops::sync::SnapshotNeedsList,
) -> crate::reports::NeedsListSummary {
    crate::reports::NeedsListSummary {
        id: l.id,
        number: l.number.clone(),
        hub_id: l.hub_id,
        hub: names.hub(l.hub_id),
        event: snapshot
            .events
            .iter()
            .find(|e| e.id == l.event_id)
            .map(|e| e.name.clone())
            .unwrap_or_else(|| format!("event #{}", l.event_id)),
        priority: l.priority.clone(),
        status: l.status.clone(),
        lines: l.lines.len() as i64,
        created_at: l.created_at.clone(),
        updated_at: l.created_at.clone(),
    }
}

/// The needs lists offline: those in the snapshot, by queue where the snapshot can tell.
pub fn needs_lists(
    data: &LocalData,
    queue: Option<String>,
) -> Option<crate::reports::NeedsListsView> {
    use crate::ops::needs_list::status;
    let snapshot = data.snapshot.as_ref()?;
    let names = crate::ops::Names::from_snapshot(snapshot);
    let queue = queue.unwrap_or_else(|| "all".into());
    let own = snapshot.user.hub_id;
    let keep = |s: &str, hub: i64| match queue.as_str() {
        "drafts" => s == status::DRAFT,
        "prepare" => s == status::SUBMITTED || s == status::PREPARED,
        "approval" => s == status::AWAITING_APPROVAL,
        "dispatch" => s == status::APPROVED || s == status::RESENT,
        "incoming" => s == status::DISPATCHED && (own.is_none() || own == Some(hub)),
        _ => true,
    };
    Some(crate::reports::NeedsListsView {
        lists: snapshot
            .needs_lists
            .iter()
            .filter(|l| keep(&l.status, l.hub_id))
            .map(|l| list_summary(snapshot, &names, l))
            .collect(),
        queue,
        may_create: snapshot.capabilities.contains(&Action::NeedsListEdit),
    })
}

/// One list offline: its lines and status as last synced, and the actions that may be queued
/// from here (the server decides again; approvals, dispatch and receipt wait for confirmation
/// online). Allocations, timeline and locks need the server.
pub fn needs_list_detail(data: &LocalData, id: i64) -> Option<crate::reports::NeedsListDetail> {
    use crate::ops::needs_list::status;
    let snapshot = data.snapshot.as_ref()?;
    let l = snapshot.needs_lists.iter().find(|l| l.id == id)?;
    let names = crate::ops::Names::from_snapshot(snapshot);
    let actor = session_user(snapshot).actor();
    // The snapshot knows the list's hub type only for hubs the user may see; own hub is one.
    let hub_type = snapshot
        .hubs
        .iter()
        .find(|h| h.id == l.hub_id)
        .map(|h| h.hub_type)
        .unwrap_or(crate::domain::HubType::Agency);
    let at_list = |action| {
        authorize(
            &actor,
            action,
            Some(HubRef {
                id: l.hub_id,
                hub_type,
            }),
        )
        .is_ok()
    };
    let s = l.status.as_str();
    let global = matches!(
        actor.role,
        crate::domain::Role::Admin
            | crate::domain::Role::LogisticsManager
            | crate::domain::Role::LogisticsOfficer
    );
    let items: BTreeMap<i64, _> = snapshot.items.iter().map(|i| (i.id, i)).collect();
    // Another hub's list that the user's own hub supplies (MAIN/SUB source hubs): its
    // dispatch from that hub may be queued, with the quantities allocated from it.
    let own = snapshot
        .user
        .hub_id
        .and_then(|id| snapshot.hubs.iter().find(|h| h.id == id));
    let source = l.supply.as_ref().zip(own).filter(|(_, hub)| {
        authorize(
            &actor,
            Action::Dispatch,
            Some(HubRef {
                id: hub.id,
                hub_type: hub.hub_type,
            }),
        )
        .is_ok()
    });
    let allocated = |item: i64| {
        l.supply
            .iter()
            .flat_map(|s| &s.allocations)
            .filter(|a| a.item_id == item)
            .map(|a| a.quantity)
            .sum::<i64>()
    };
    Some(crate::reports::NeedsListDetail {
        list: list_summary(snapshot, &names, l),
        notes: None,
        lines: l
            .lines
            .iter()
            .map(|line| crate::reports::NeedsListDetailLine {
                item_id: line.item_id,
                item: names.item(line.item_id),
                unit: items
                    .get(&line.item_id)
                    .map(|i| i.unit.clone())
                    .unwrap_or_default(),
                requested: line.quantity,
                allocated: allocated(line.item_id),
                justification: line.justification.clone(),
            })
            .collect(),
        allocations: Vec::new(),
        timeline: Vec::new(),
        lock: None,
        may: crate::reports::ListActions {
            submit: s == status::DRAFT && at_list(Action::NeedsListSubmit),
            approve: s == status::AWAITING_APPROVAL && at_list(Action::ApproveFulfilment),
            // Global roles, and a source hub's users for the list it supplies (its
            // allocations came with the snapshot); confirmed online either way.
            dispatch: (s == status::APPROVED || s == status::RESENT)
                && (global || source.is_some()),
            receive: s == status::DISPATCHED && at_list(Action::ConfirmReceipt),
            ..Default::default()
        },
        dispatch_hub: match source {
            Some((_, hub)) if !global => hub.id,
            _ => l.hub_id,
        },
        change_requests: Vec::new(),
        edit_log: Vec::new(),
        change_hub: l.hub_id,
        op_id: Uuid::new_v4().to_string(),
    })
}
