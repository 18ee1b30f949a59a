use super::*;
use crate::domain::{HubStatus, HubType, Role};
use crate::offline::SyncIssue;
use crate::ops::sync::{SnapshotEvent, SnapshotItem, SnapshotUser, StockLine};
use crate::ops::{DistributionPayload, IntakePayload, Operation};

fn snapshot() -> Snapshot {
    let hub = |id, name: &str, hub_type, inventory| SnapshotHub {
        id,
        name: name.into(),
        hub_type,
        status: HubStatus::Active,
        inventory,
    };
    let line = |item_id, quantity, min_qty| StockLine {
        item_id,
        quantity,
        min_qty,
        low_stock: quantity < min_qty,
    };
    let item = |id, name: &str| SnapshotItem {
        id,
        sku: format!("SKU-{id}"),
        name: name.into(),
        category: if id == 1 { "Water" } else { "Food" }.into(),
        unit: "each".into(),
    };
    Snapshot {
        user: SnapshotUser {
            id: 7,
            username: "sub".into(),
            display_name: Some("Sub Hub User".into()),
            role: Role::SubHubUser,
            hub_id: Some(3),
        },
        capabilities: vec![],
        hubs: vec![hub(
            3,
            "St. Catherine Parish Depot",
            HubType::Sub,
            vec![line(1, 10, 5), line(2, 4, 2)],
        )],
        items: vec![item(1, "Water 1L"), item(2, "Rice 5kg"), item(3, "Tarp")],
        events: vec![
            SnapshotEvent {
                id: 1,
                name: "Hurricane".into(),
                status: "Active".into(),
            },
            SnapshotEvent {
                id: 2,
                name: "Old flood".into(),
                status: "Closed".into(),
            },
        ],
        needs_lists: vec![],
        destinations: vec![],
        version: 9,
        generated_at: "2026-11-22T08:00:00Z".into(),
    }
}

fn op(seq: u64, hub_id: i64, body: OperationBody) -> PendingOp {
    PendingOp {
        op: Operation::new(hub_id, "dev", body, "2026-11-22T09:00:00Z".into()),
        seq,
        attempts: 0,
        last_error: None,
        user_id: Some(7),
    }
}

fn intake(item_id: i64, quantity: i64) -> OperationBody {
    OperationBody::Intake(IntakePayload {
        item_id,
        quantity,
        event_id: 1,
        donor: None,
        expiry_date: None,
        notes: None,
    })
}

fn distribution(item_id: i64, quantity: i64) -> OperationBody {
    OperationBody::Distribution(DistributionPayload {
        item_id,
        quantity,
        beneficiary: "Mary".into(),
        event_id: None,
        notes: None,
    })
}

fn data(pending: Vec<PendingOp>) -> LocalData {
    LocalData {
        resolved: vec![],
        snapshot: Some(snapshot()),
        pending,
        issues: vec![],
        last_synced: Some("2026-11-22T08:00:05Z".into()),
    }
}

#[test]
fn projected_stock_is_snapshot_plus_queue_at_that_hub_only() {
    let d = data(vec![
        op(1, 3, intake(1, 5)),
        op(2, 3, distribution(1, 3)),
        op(3, 4, distribution(1, 100)),
        op(4, 3, intake(3, 2)),
    ]);
    let view = inventory(&d, &InventoryQuery::default()).unwrap();
    let water = view.lines.iter().find(|l| l.item_id == 1).unwrap();
    assert_eq!((water.quantity, water.pending), (12, 2));
    // An item only the queue brings in appears, with its pending change.
    let tarp = view.lines.iter().find(|l| l.item_id == 3).unwrap();
    assert_eq!((tarp.quantity, tarp.pending), (2, 2));
    assert_eq!(view.total_quantity, 12 + 4 + 2);
    let info = view.offline.unwrap();
    assert_eq!(info.last_synced.as_deref(), Some("2026-11-22T08:00:05Z"));
    assert!(info.warnings.is_empty());
    assert_eq!(projected(&d, 3, 1), Some(12));
    assert_eq!(projected(&d, 99, 1), None);
}

#[test]
fn a_queued_distribution_beyond_stock_warns_and_marks_low() {
    let d = data(vec![op(1, 3, distribution(2, 6))]);
    let view = inventory(&d, &InventoryQuery::default()).unwrap();
    let rice = view.lines.iter().find(|l| l.item_id == 2).unwrap();
    assert_eq!(rice.quantity, -2);
    assert!(rice.low_stock);
    let warnings = view.offline.unwrap().warnings;
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("Rice 5kg") && warnings[0].contains("by 2"),
        "{warnings:?}"
    );
}

#[test]
fn search_and_category_filter_like_the_server() {
    let d = data(vec![]);
    let by_name = InventoryQuery {
        q: Some("rice".into()),
        ..Default::default()
    };
    let names: Vec<String> = inventory(&d, &by_name)
        .unwrap()
        .lines
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, ["Rice 5kg"]);
    let by_category = InventoryQuery {
        category: Some("Water".into()),
        ..Default::default()
    };
    assert_eq!(inventory(&d, &by_category).unwrap().lines.len(), 1);
}

#[test]
fn nothing_without_a_snapshot() {
    let d = LocalData::default();
    assert!(inventory(&d, &InventoryQuery::default()).is_none());
    assert!(dashboard(&d).is_none());
    assert!(form_options(&d, Action::RecordIntake, None, Uuid::new_v4()).is_none());
}

#[test]
fn form_options_follow_the_permission_rule_and_active_events() {
    let d = data(vec![op(1, 3, distribution(1, 10))]);
    let opts = form_options(&d, Action::RecordDistribution, None, Uuid::new_v4()).unwrap();
    assert_eq!(opts.hub_id, Some(3));
    assert_eq!(opts.events.len(), 1, "closed events are not offered");
    // Water is fully distributed in the queue: no longer offered as in stock.
    assert_eq!(opts.stock, vec![(2, 4)]);
    // A sub hub user may not approve anything: no hub qualifies.
    let none = form_options(&d, Action::ApproveFulfilment, None, Uuid::new_v4()).unwrap();
    assert!(none.hubs.is_empty() && none.hub_id.is_none());
}

#[test]
fn dashboard_counts_queue_and_issues() {
    let mut d = data(vec![op(1, 3, intake(2, 1))]);
    d.issues.push(SyncIssue {
        op: op(2, 3, distribution(1, 1)).op,
        reason: "stock_insufficient".into(),
        message: "m".into(),
        failed_at: "t".into(),
        user_id: Some(7),
    });
    let dash = dashboard(&d).unwrap();
    assert_eq!(dash.title, "Sub-Hub User dashboard (offline)");
    let stat = |label: &str| {
        dash.stats
            .iter()
            .find(|s| s.label.starts_with(label))
            .unwrap()
            .value
            .clone()
    };
    assert_eq!(stat("Units on hand"), "15");
    assert_eq!(stat("Waiting to sync"), "1");
    assert_eq!(stat("Sync issues"), "1");
    assert_eq!(
        session_user(d.snapshot.as_ref().unwrap()).display_name,
        "Sub Hub User"
    );
}

fn list(id: i64, hub_id: i64, status: &str) -> crate::ops::sync::SnapshotNeedsList {
    crate::ops::sync::SnapshotNeedsList {
        id,
        number: format!("NL-{id:06}"),
        hub_id,
        event_id: 1,
        priority: "High".into(),
        status: status.into(),
        created_at: "2026-11-22T08:00:00Z".into(),
        lines: vec![crate::ops::sync::SnapshotNeedsLine {
            item_id: 1,
            quantity: 40,
            justification: Some("shelter".into()),
        }],
        supply: None,
    }
}

#[test]
fn needs_lists_offline_by_queue_with_the_actions_the_role_may_queue() {
    let mut d = data(vec![]);
    let s = d.snapshot.as_mut().unwrap();
    s.needs_lists = vec![
        list(1, 3, "Draft"),
        list(2, 3, "Awaiting Approval"),
        list(3, 3, "Dispatched"),
    ];
    s.capabilities = vec![Action::NeedsListEdit];
    let all = needs_lists(&d, None).unwrap();
    assert_eq!(all.lists.len(), 3);
    assert!(all.may_create);
    assert_eq!(all.lists[0].hub, "St. Catherine Parish Depot");
    assert_eq!(all.lists[0].event, "Hurricane");
    let incoming = needs_lists(&d, Some("incoming".into())).unwrap();
    assert_eq!(
        incoming.lists.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![3]
    );

    // The SUB hub user (the requester): submit a Draft, confirm a receipt; never approve.
    let draft = needs_list_detail(&d, 1).unwrap();
    assert!(draft.may.submit && !draft.may.approve);
    assert_eq!(draft.lines[0].item, "Water 1L");
    assert_eq!(draft.lines[0].requested, 40);
    assert!(!needs_list_detail(&d, 2).unwrap().may.approve);
    assert!(needs_list_detail(&d, 3).unwrap().may.receive);
    assert!(needs_list_detail(&d, 99).is_none());

    // A Logistics Manager may queue the approval (confirmed online later) and a dispatch.
    let s = d.snapshot.as_mut().unwrap();
    s.user.role = Role::LogisticsManager;
    s.user.hub_id = None;
    s.needs_lists.push(list(4, 3, "Approved"));
    let awaiting = needs_list_detail(&d, 2).unwrap();
    assert!(awaiting.may.approve);
    assert!(!awaiting.may.receive);
    assert!(needs_list_detail(&d, 4).unwrap().may.dispatch);
}

#[test]
fn a_source_hubs_user_may_queue_the_dispatch_of_a_list_it_supplies() {
    use crate::ops::sync::{SnapshotAllocation, SnapshotSupply};
    let mut d = data(vec![]);
    let s = d.snapshot.as_mut().unwrap();
    // Another hub's approved list (hub 9), supplied by the user's hub (3): 25 of item 1.
    let mut supplied = list(5, 9, "Approved");
    supplied.supply = Some(SnapshotSupply {
        requester: "Portmore shelter".into(),
        requester_type: HubType::Agency,
        allocations: vec![SnapshotAllocation {
            item_id: 1,
            quantity: 25,
        }],
    });
    s.needs_lists = vec![supplied, list(6, 9, "Approved")];
    let detail = needs_list_detail(&d, 5).unwrap();
    assert!(detail.may.dispatch, "the SUB hub supplies it");
    assert_eq!(detail.dispatch_hub, 3, "dispatched from the user's own hub");
    assert_eq!(detail.lines[0].allocated, 25);
    // A list the hub does not supply: no dispatch offline.
    assert!(!needs_list_detail(&d, 6).unwrap().may.dispatch);
    // An agency user never dispatches, supply or not.
    let s = d.snapshot.as_mut().unwrap();
    s.user.role = Role::AgencyHubUser;
    assert!(!needs_list_detail(&d, 5).unwrap().may.dispatch);
}
