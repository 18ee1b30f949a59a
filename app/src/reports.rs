//! Read models for pages: inventory, stock forms, dashboards, history. The server builds them
//! already scoped to what the user may see; the pages only render them.
use serde::{Deserialize, Serialize};

use crate::model::{DisasterEvent, Hub, Item};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryQuery {
    pub hub: Option<i64>,
    pub q: Option<String>,
    pub category: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InventoryLine {
    pub item_id: i64,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub quantity: i64,
    pub min_qty: i64,
    pub low_stock: bool,
    pub last_movement_at: Option<String>,
    /// Offline only: the net change queued on this device (included in `quantity`).
    #[serde(default)]
    pub pending: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InventoryView {
    pub hub: Hub,
    /// Hubs whose inventory this user may open.
    pub hubs: Vec<Hub>,
    pub categories: Vec<String>,
    pub lines: Vec<InventoryLine>,
    pub total_quantity: i64,
    pub low_stock_count: usize,
    /// Set when the view was built on the device from the last snapshot (offline).
    #[serde(default)]
    pub offline: Option<OfflineInfo>,
}

/// Marks a view built offline: when its data was last synced, and what to watch out for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OfflineInfo {
    pub last_synced: Option<String>,
    pub warnings: Vec<String>,
}

/// What the intake and distribution forms offer: hubs where the user may record, the
/// catalogue, Active events, and stock on hand at the chosen hub.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StockFormOptions {
    pub hubs: Vec<Hub>,
    pub hub_id: Option<i64>,
    pub items: Vec<Item>,
    pub events: Vec<DisasterEvent>,
    /// (item id, quantity on hand) at `hub_id`, items with stock only.
    pub stock: Vec<(i64, i64)>,
    /// A fresh operation id for this form: a resubmitted page is the same operation.
    pub op_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub label: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Shown when there are no rows.
    pub empty: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BarChart {
    pub title: String,
    pub bars: Vec<(String, i64)>,
}

/// A role's dashboard: headline figures, tables and an optional chart, all real data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub title: String,
    pub stats: Vec<Stat>,
    pub chart: Option<BarChart>,
    pub tables: Vec<Table>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Movement {
    pub id: i64,
    pub at: String,
    pub hub: String,
    pub item: String,
    pub direction: String,
    pub quantity: i64,
    pub unit: String,
    pub party: Option<String>,
    pub by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: String,
    pub user: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub device_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub movements: Vec<Movement>,
    /// Empty for hub-bound roles: they see their hub's transactions only.
    pub audit: Vec<AuditEntry>,
}

/// A transfer as listed on the transfers page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferRow {
    pub id: i64,
    pub from_hub_id: i64,
    pub from_hub: String,
    pub to_hub: String,
    pub item: String,
    pub quantity: i64,
    pub unit: String,
    pub status: String,
    pub notes: Option<String>,
    pub requested_by: String,
    pub requested_at: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_reason: Option<String>,
    /// A fresh operation id for this row's review form.
    pub op_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransfersView {
    /// The request form's choices; `None` when the user may not request transfers.
    pub form: Option<StockFormOptions>,
    /// Active hubs a transfer may go to.
    pub destinations: Vec<Hub>,
    pub transfers: Vec<TransferRow>,
    /// The user may approve or reject (LO, LM, ADMIN).
    pub may_review: bool,
}

/// An operation that arrived through sync and waits for a person to confirm it online.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingConfirmation {
    pub id: i64,
    pub kind: String,
    pub summary: String,
    pub user: String,
    pub hub: String,
    pub received_at: String,
    pub device_id: Option<String>,
}

impl BarChart {
    /// Bar widths (0..=100, percent of the largest value) for drawing.
    pub fn scaled(&self) -> Vec<(String, i64, u32)> {
        let max = self.bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
        self.bars
            .iter()
            .map(|(label, v)| (label.clone(), *v, ((*v).max(0) * 100 / max) as u32))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest() {
        let chart = BarChart {
            title: "t".into(),
            bars: vec![("a".into(), 50), ("b".into(), 200), ("c".into(), 0)],
        };
        let widths: Vec<u32> = chart.scaled().into_iter().map(|b| b.2).collect();
        assert_eq!(widths, [25, 100, 0]);
        let empty = BarChart {
            title: "t".into(),
            bars: vec![],
        };
        assert!(empty.scaled().is_empty());
    }
}

/// An operation the server refused and still holds (nothing was written for it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RejectedOperation {
    pub id: String,
    pub kind: String,
    pub hub: Option<String>,
    pub username: String,
    pub device_id: String,
    pub received_at: String,
    pub reason: String,
    pub message: String,
    /// What was entered, as the JSON payload the client sent.
    pub payload: String,
    pub attempts: i64,
    /// `discarded` (by the person who recorded it) or `resolved` (by an LM or ADMIN); `None`
    /// while the issue is open.
    #[serde(default)]
    pub resolution: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The display name of who discarded or resolved it.
    #[serde(default)]
    pub resolved_by: Option<String>,
    #[serde(default)]
    pub resolved_at: Option<String>,
}

/// The Sync issues page's server-held part: open refusals, and the latest closed ones.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncIssuesView {
    pub open: Vec<RejectedOperation>,
    /// Resolved or discarded, newest first (at most 100).
    pub closed: Vec<RejectedOperation>,
    /// Whether this user may mark issues resolved (LM, ADMIN).
    pub can_resolve: bool,
}

/// One needs list in a list or queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeedsListSummary {
    pub id: i64,
    pub number: String,
    pub hub_id: i64,
    pub hub: String,
    pub event: String,
    pub priority: String,
    pub status: String,
    pub lines: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The needs lists the user may see, filtered to one queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeedsListsView {
    pub queue: String,
    pub lists: Vec<NeedsListSummary>,
    pub may_create: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeedsListDetailLine {
    pub item_id: i64,
    pub item: String,
    pub unit: String,
    pub requested: i64,
    pub allocated: i64,
    pub justification: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AllocationView {
    pub item_id: i64,
    pub item: String,
    pub unit: String,
    pub source_hub_id: i64,
    pub source_hub: String,
    pub quantity: i64,
}

/// One transition on a list's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub by: String,
    pub at: String,
    pub note: Option<String>,
}

/// Who holds the prepare screen's editing lock, and until when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockInfo {
    pub holder: String,
    pub until: String,
    pub mine: bool,
}

/// What the signed-in user may do with the list now (state and permission): the server decides
/// again on every post.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ListActions {
    pub edit: bool,
    pub submit: bool,
    pub delete: bool,
    pub prepare: bool,
    pub approve: bool,
    pub dispatch: bool,
    pub receive: bool,
    /// A source hub's user may ask for a change (Approved / Resent for Dispatch).
    pub request_change: bool,
    pub approve_change: bool,
    pub reject_change: bool,
    /// Correct delivered quantities of a Completed list.
    pub edit_after: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeRequestView {
    pub id: i64,
    pub hub: String,
    pub requested_by: String,
    pub requested_at: String,
    pub reason: String,
    /// The proposed allocations in words.
    pub proposed: String,
    pub status: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EditLogEntry {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: String,
    pub by: String,
    pub at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: i64,
    pub message: String,
    pub link: String,
    pub created_at: String,
    pub read: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationsView {
    pub unread: i64,
    pub items: Vec<NotificationView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeedsListDetail {
    pub list: NeedsListSummary,
    pub notes: Option<String>,
    pub lines: Vec<NeedsListDetailLine>,
    pub allocations: Vec<AllocationView>,
    pub timeline: Vec<TimelineEntry>,
    pub lock: Option<LockInfo>,
    pub may: ListActions,
    /// The hub a dispatch by this user names (their source hub, or the requester).
    pub dispatch_hub: i64,
    pub change_requests: Vec<ChangeRequestView>,
    pub edit_log: Vec<EditLogEntry>,
    /// The hub a change request by this user names (their source hub).
    pub change_hub: i64,
    /// A fresh operation id for the action forms.
    pub op_id: String,
}

/// Stock of an item at a possible source (Active MAIN/SUB hub other than the requester).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceStock {
    pub item_id: i64,
    pub hub_id: i64,
    pub hub: String,
    pub on_hand: i64,
}

/// The prepare screen: the list, the sources, and the lock (taken on opening, or held by
/// someone else: then `locked_out` says who and until when).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrepareView {
    pub detail: NeedsListDetail,
    pub sources: Vec<SourceStock>,
    pub locked_out: Option<String>,
}

/// The edit form of a Draft: the form's options and the list's current values as form fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeedsListEditView {
    pub needs_list_id: i64,
    pub number: String,
    pub options: StockFormOptions,
    pub values: Vec<(String, String)>,
}
