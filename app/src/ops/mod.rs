//! The offline-capable write: an `Operation` created on the client with its own UUID, applied
//! once by the server's single apply function. Public interface: field and kind names are kept.
pub mod distribution;
pub mod forms;
pub mod intake;
pub mod issues;
pub mod needs_list;
pub mod needs_list_create;
pub mod outcome;
pub mod sync;
pub mod transfer;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use distribution::DistributionPayload;
pub use intake::IntakePayload;
pub use needs_list::{
    Allocation, ChangeDecision, ChangeRequestPayload, ChangeRequestProcessPayload,
    FulfilmentEditPayload, FulfilmentPayload, NeedsListRef, NeedsListUpdatePayload,
};
pub use needs_list_create::{NeedsListCreatePayload, NeedsListLine, Priority};
pub use outcome::{Outcome, Reason, Rejection};
pub use transfer::{TransferRequestPayload, TransferReviewPayload};

use crate::permissions::Action;

/// Item and hub names for summaries (from the snapshot on the device, the database on the server).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Names {
    pub items: std::collections::HashMap<i64, String>,
    pub hubs: std::collections::HashMap<i64, String>,
}

impl Names {
    pub fn item(&self, id: i64) -> String {
        self.items
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("item #{id}"))
    }

    pub fn hub(&self, id: i64) -> String {
        self.hubs
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("hub #{id}"))
    }

    pub fn from_snapshot(s: &sync::Snapshot) -> Self {
        Self {
            items: s.items.iter().map(|i| (i.id, i.name.clone())).collect(),
            hubs: s
                .hubs
                .iter()
                .map(|h| (h.id, h.name.clone()))
                .chain(s.destinations.iter().map(|h| (h.id, h.name.clone())))
                .collect(),
        }
    }
}

/// One client-recorded write: `{id, kind, hub_id, created_at, device_id, payload}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub id: Uuid,
    pub hub_id: i64,
    /// The client's clock when the user recorded it (RFC 3339); kept, never trusted for order.
    pub created_at: String,
    pub device_id: String,
    #[serde(flatten)]
    pub body: OperationBody,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum OperationBody {
    Intake(IntakePayload),
    Distribution(DistributionPayload),
    NeedsListCreate(NeedsListCreatePayload),
    TransferRequest(TransferRequestPayload),
    TransferApprove(TransferReviewPayload),
    TransferReject(TransferReviewPayload),
    NeedsListUpdate(NeedsListUpdatePayload),
    NeedsListDelete(NeedsListRef),
    NeedsListSubmit(NeedsListRef),
    FulfilmentSave(FulfilmentPayload),
    FulfilmentSubmit(FulfilmentPayload),
    NeedsListApprove(NeedsListRef),
    NeedsListReject(NeedsListRef),
    NeedsListDispatch(NeedsListRef),
    NeedsListReceive(NeedsListRef),
    ChangeRequestCreate(ChangeRequestPayload),
    ChangeRequestProcess(ChangeRequestProcessPayload),
    FulfilmentEdit(FulfilmentEditPayload),
}

impl OperationBody {
    pub fn kind(&self) -> &'static str {
        match self {
            OperationBody::Intake(_) => "intake",
            OperationBody::Distribution(_) => "distribution",
            OperationBody::NeedsListCreate(_) => "needs_list_create",
            OperationBody::TransferRequest(_) => "transfer_request",
            OperationBody::TransferApprove(_) => "transfer_approve",
            OperationBody::TransferReject(_) => "transfer_reject",
            OperationBody::NeedsListUpdate(_) => "needs_list_update",
            OperationBody::NeedsListDelete(_) => "needs_list_delete",
            OperationBody::NeedsListSubmit(_) => "needs_list_submit",
            OperationBody::FulfilmentSave(_) => "fulfilment_save",
            OperationBody::FulfilmentSubmit(_) => "fulfilment_submit",
            OperationBody::NeedsListApprove(_) => "needs_list_approve",
            OperationBody::NeedsListReject(_) => "needs_list_reject",
            OperationBody::NeedsListDispatch(_) => "needs_list_dispatch",
            OperationBody::NeedsListReceive(_) => "needs_list_receive",
            OperationBody::ChangeRequestCreate(_) => "change_request_create",
            OperationBody::ChangeRequestProcess(_) => "change_request_process",
            OperationBody::FulfilmentEdit(_) => "fulfilment_edit",
        }
    }

    /// The permission each kind needs at its hub.
    pub fn action(&self) -> Action {
        match self {
            OperationBody::Intake(_) => Action::RecordIntake,
            OperationBody::Distribution(_) => Action::RecordDistribution,
            OperationBody::NeedsListCreate(_) => Action::NeedsListEdit,
            OperationBody::TransferRequest(_) => Action::RequestTransfer,
            OperationBody::TransferApprove(_) | OperationBody::TransferReject(_) => {
                Action::ReviewTransfer
            }
            OperationBody::NeedsListUpdate(_) => Action::NeedsListEdit,
            OperationBody::NeedsListDelete(_) => Action::NeedsListDelete,
            OperationBody::NeedsListSubmit(_) => Action::NeedsListSubmit,
            OperationBody::FulfilmentSave(_) | OperationBody::FulfilmentSubmit(_) => {
                Action::PrepareFulfilment
            }
            OperationBody::NeedsListApprove(_) | OperationBody::NeedsListReject(_) => {
                Action::ApproveFulfilment
            }
            OperationBody::NeedsListDispatch(_) => Action::Dispatch,
            OperationBody::NeedsListReceive(_) => Action::ConfirmReceipt,
            OperationBody::ChangeRequestCreate(_) => Action::RequestFulfilmentChange,
            OperationBody::ChangeRequestProcess(p) if p.decision == ChangeDecision::Approve => {
                Action::ApproveChangeRequest
            }
            OperationBody::ChangeRequestProcess(_) => Action::RejectOrClarifyChangeRequest,
            OperationBody::FulfilmentEdit(_) => Action::EditAfterCompletion,
        }
    }

    /// Touches more than one hub, or approves: never finalised by sync alone. Arriving through
    /// `/api/offline/sync` it is recorded as pending and confirmed online by a person.
    pub fn needs_online_confirmation(&self) -> bool {
        matches!(
            self,
            OperationBody::TransferRequest(_)
                | OperationBody::TransferApprove(_)
                | OperationBody::TransferReject(_)
                | OperationBody::FulfilmentSave(_)
                | OperationBody::FulfilmentSubmit(_)
                | OperationBody::NeedsListApprove(_)
                | OperationBody::NeedsListReject(_)
                | OperationBody::NeedsListDispatch(_)
                | OperationBody::NeedsListReceive(_)
                | OperationBody::ChangeRequestProcess(_)
                | OperationBody::FulfilmentEdit(_)
        )
    }

    /// Checks what can be checked without the database (shared by the form and the server).
    pub fn validate(&self) -> Result<(), crate::domain::ValidationError> {
        match self {
            OperationBody::Intake(p) => p.validate(),
            OperationBody::Distribution(p) => p.validate(),
            OperationBody::NeedsListCreate(p) => p.validate(),
            OperationBody::TransferRequest(p) => p.validate(),
            OperationBody::TransferApprove(p) => p.validate(false),
            OperationBody::TransferReject(p) => p.validate(true),
            OperationBody::NeedsListUpdate(p) => p.list.validate(),
            OperationBody::NeedsListReject(p) => p.validate(true),
            OperationBody::NeedsListDelete(p)
            | OperationBody::NeedsListSubmit(p)
            | OperationBody::NeedsListApprove(p)
            | OperationBody::NeedsListDispatch(p)
            | OperationBody::NeedsListReceive(p) => p.validate(false),
            OperationBody::FulfilmentSave(p) => p.validate(false),
            OperationBody::FulfilmentSubmit(p) => p.validate(true),
            OperationBody::ChangeRequestCreate(p) => p.validate(),
            OperationBody::ChangeRequestProcess(p) => p.validate(),
            OperationBody::FulfilmentEdit(p) => p.validate(),
        }
    }
}

impl Operation {
    /// The body's checks plus those that need the operation's hub.
    pub fn validate(&self) -> Result<(), crate::domain::ValidationError> {
        self.body.validate()?;
        if let OperationBody::TransferRequest(p) = &self.body {
            if p.to_hub_id == self.hub_id {
                return Err(crate::domain::ValidationError::new(
                    "to_hub_id",
                    "A transfer goes to another hub; choose a different destination.",
                ));
            }
        }
        Ok(())
    }

    /// A one-line summary of what was entered (the device's outbox and Sync Issues lists).
    /// Items and hubs are named where `names` knows them.
    pub fn summary(&self, names: &Names) -> String {
        let name = |id: i64| names.item(id);
        match &self.body {
            OperationBody::Intake(p) => format!("Intake of {} × {}", p.quantity, name(p.item_id)),
            OperationBody::Distribution(p) => format!(
                "Distribution of {} × {} to {}",
                p.quantity,
                name(p.item_id),
                p.beneficiary
            ),
            OperationBody::NeedsListCreate(p) => format!(
                "Needs list ({} priority, {} lines)",
                p.priority.code(),
                p.lines.len()
            ),
            OperationBody::TransferRequest(p) => format!(
                "Transfer request of {} × {} to {} (needs confirmation online)",
                p.quantity,
                name(p.item_id),
                names.hub(p.to_hub_id)
            ),
            OperationBody::TransferApprove(p) => format!(
                "Approval of transfer #{} (needs confirmation online)",
                p.transfer_id
            ),
            OperationBody::TransferReject(p) => format!(
                "Rejection of transfer #{} (needs confirmation online)",
                p.transfer_id
            ),
            OperationBody::NeedsListUpdate(p) => format!(
                "Edit of needs list #{} ({} lines)",
                p.needs_list_id,
                p.list.lines.len()
            ),
            OperationBody::NeedsListDelete(p) => {
                format!("Deletion of needs list #{}", p.needs_list_id)
            }
            OperationBody::NeedsListSubmit(p) => {
                format!("Submission of needs list #{}", p.needs_list_id)
            }
            OperationBody::FulfilmentSave(p) | OperationBody::FulfilmentSubmit(p) => {
                let what = if matches!(self.body, OperationBody::FulfilmentSave(_)) {
                    "Fulfilment saved"
                } else {
                    "Fulfilment submitted for approval"
                };
                let lines: Vec<String> = p
                    .allocations
                    .iter()
                    .map(|a| {
                        format!(
                            "{} × {} from {}",
                            a.quantity,
                            name(a.item_id),
                            names.hub(a.source_hub_id)
                        )
                    })
                    .collect();
                format!(
                    "{what} for needs list #{}: {} (needs confirmation online)",
                    p.needs_list_id,
                    if lines.is_empty() {
                        "no allocations".to_string()
                    } else {
                        lines.join(", ")
                    }
                )
            }
            OperationBody::NeedsListApprove(p) => format!(
                "Approval of needs list #{} (needs confirmation online)",
                p.needs_list_id
            ),
            OperationBody::NeedsListReject(p) => format!(
                "Rejection of needs list #{} (needs confirmation online)",
                p.needs_list_id
            ),
            OperationBody::NeedsListDispatch(p) => format!(
                "Dispatch of needs list #{} (needs confirmation online)",
                p.needs_list_id
            ),
            OperationBody::NeedsListReceive(p) => format!(
                "Receipt of needs list #{} (needs confirmation online)",
                p.needs_list_id
            ),
            OperationBody::ChangeRequestCreate(p) => format!(
                "Change request for needs list #{}: {}",
                p.needs_list_id, p.reason
            ),
            OperationBody::ChangeRequestProcess(p) => format!(
                "Decision '{}' on change request #{} (needs confirmation online)",
                p.decision.code(),
                p.change_request_id
            ),
            OperationBody::FulfilmentEdit(p) => format!(
                "Correction of delivered quantities of needs list #{}: {} (needs confirmation online)",
                p.needs_list_id, p.reason
            ),
        }
    }

    pub fn new(
        hub_id: i64,
        device_id: impl Into<String>,
        body: OperationBody,
        created_at: String,
    ) -> Self {
        Self {
            id: Uuid::new_v4(),
            hub_id,
            created_at,
            device_id: device_id.into(),
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shape_is_the_public_one() {
        let json = serde_json::json!({
            "id": "6f1c1d2e-8a55-4a8e-9a53-2f8f4f6a0c11",
            "kind": "intake",
            "hub_id": 3,
            "created_at": "2026-11-22T10:00:00Z",
            "device_id": "laptop-7",
            "payload": { "item_id": 5, "quantity": 10, "event_id": 1, "donor": "Digicel" }
        });
        let op: Operation = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(op.body.kind(), "intake");
        let back = serde_json::to_value(&op).unwrap();
        for key in ["id", "kind", "hub_id", "created_at", "device_id", "payload"] {
            assert!(back.get(key).is_some(), "{key} missing: {back}");
        }
        assert_eq!(back["payload"]["donor"], "Digicel");
    }

    #[test]
    fn unknown_kinds_do_not_parse() {
        let json = serde_json::json!({
            "id": "6f1c1d2e-8a55-4a8e-9a53-2f8f4f6a0c11", "kind": "teleport", "hub_id": 3,
            "created_at": "2026-11-22T10:00:00Z", "device_id": "d", "payload": {}
        });
        assert!(serde_json::from_value::<Operation>(json).is_err());
    }
}
