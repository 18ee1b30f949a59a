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
