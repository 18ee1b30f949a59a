//! `POST /api/offline/sync` request and response, and the `GET /api/offline/snapshot` body.
use serde::{Deserialize, Serialize};

use super::outcome::Outcome;
use crate::domain::{HubStatus, HubType, Role};
use crate::permissions::Action;

pub const MAX_BATCH: usize = 1000;

/// Operations arrive as raw JSON so that one malformed operation is rejected on its own.
#[derive(Debug, Deserialize)]
pub struct SyncRequest {
    pub device_id: String,
    pub operations: Vec<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncResult {
    /// The operation id as sent (null when it had none).
    pub id: serde_json::Value,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl SyncResult {
    pub fn from_outcome(id: serde_json::Value, outcome: &Outcome) -> Self {
        let (reason, message, reference) = match outcome {
            Outcome::Applied { reference, message } => {
                (None, message.clone(), Some(reference.clone()))
            }
            Outcome::Rejected(r) => (Some(r.reason.code().to_string()), r.message.clone(), None),
            Outcome::PendingConfirmation { message } => (None, message.clone(), None),
        };
        Self {
            id,
            status: outcome.status().to_string(),
            reason,
            message,
            reference,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub results: Vec<SyncResult>,
    pub server_time: String,
    pub snapshot_version: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotUser {
    pub id: i64,
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: Role,
    pub hub_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StockLine {
    pub item_id: i64,
    pub quantity: i64,
    pub min_qty: i64,
    pub low_stock: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotHub {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub hub_type: HubType,
    pub status: HubStatus,
    pub inventory: Vec<StockLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotItem {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub unit: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotEvent {
    pub id: i64,
    pub name: String,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotNeedsList {
    pub id: i64,
    pub number: String,
    pub hub_id: i64,
    pub event_id: i64,
    pub priority: String,
    pub status: String,
    pub created_at: String,
    pub lines: Vec<SnapshotNeedsLine>,
    /// Set on another hub's list that the user's own hub supplies (a fulfilment source), so
    /// a MAIN/SUB user can queue its dispatch offline; absent on every other list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply: Option<SnapshotSupply>,
}

/// What the user's hub supplies to another hub's list: the requester (its name and type, as
/// the online list page shows them) and the allocations from the user's hub only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotSupply {
    pub requester: String,
    pub requester_type: HubType,
    pub allocations: Vec<SnapshotAllocation>,
}

/// Quantity of one item allocated from the user's own hub.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotAllocation {
    pub item_id: i64,
    pub quantity: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotNeedsLine {
    pub item_id: i64,
    pub quantity: i64,
    pub justification: Option<String>,
}

/// Everything the user may see offline, and nothing more.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub user: SnapshotUser,
    pub capabilities: Vec<Action>,
    pub hubs: Vec<SnapshotHub>,
    pub items: Vec<SnapshotItem>,
    pub events: Vec<SnapshotEvent>,
    pub needs_lists: Vec<SnapshotNeedsList>,
    /// Active hubs a transfer may go to (names only, no stock), for the offline request form.
    #[serde(default)]
    pub destinations: Vec<crate::model::Hub>,
    pub version: i64,
    pub generated_at: String,
}
