//! Transfers between hubs: `transfer_request` (from the operation's hub), `transfer_approve`
//! (stock re-checked, OUT at the source and IN at the destination linked by one id) and
//! `transfer_reject` (reason required). They touch two hubs, so they are never finalised by
//! sync alone: queued offline they come back `pending_confirmation`.
use serde::{Deserialize, Serialize};

use crate::domain::text::{self, optional_text, ValidationError};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferRequestPayload {
    pub to_hub_id: i64,
    pub item_id: i64,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl TransferRequestPayload {
    /// `Operation::validate` also checks that the destination is not the source.
    pub fn validate(&self) -> Result<(), ValidationError> {
        text::quantity("quantity", "Quantity", self.quantity, 1)?;
        optional_text("notes", "Notes", self.notes.as_deref(), 1000)?;
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferReviewPayload {
    pub transfer_id: i64,
    /// Required to reject, optional to approve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl TransferReviewPayload {
    pub fn validate(&self, rejecting: bool) -> Result<(), ValidationError> {
        text::decision_reason("reason", "Reason", self.reason.as_deref(), rejecting)
    }
}
