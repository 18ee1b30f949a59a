//! The needs-list lifecycle after creation, each transition one operation through the one
//! apply path: edit/delete/submit a Draft, prepare a fulfilment (save, submit for approval),
//! approve or reject it, dispatch, confirm receipt. DOMAIN.md's state machine:
//! Draft -> Submitted -> Fulfilment Prepared -> Awaiting Approval -> Approved -> Dispatched ->
//! Completed (plus Resent for Dispatch after an approved change request).
use serde::{Deserialize, Serialize};

use super::NeedsListCreatePayload;
use crate::domain::text::{self, required_text, ValidationError};

/// The states, as stored and shown.
pub mod status {
    pub const DRAFT: &str = "Draft";
    pub const SUBMITTED: &str = "Submitted";
    pub const PREPARED: &str = "Fulfilment Prepared";
    pub const AWAITING_APPROVAL: &str = "Awaiting Approval";
    pub const APPROVED: &str = "Approved";
    pub const DISPATCHED: &str = "Dispatched";
    pub const COMPLETED: &str = "Completed";
    pub const RESENT: &str = "Resent for Dispatch";
    pub const ALL: [&str; 8] = [
        DRAFT,
        SUBMITTED,
        PREPARED,
        AWAITING_APPROVAL,
        APPROVED,
        DISPATCHED,
        COMPLETED,
        RESENT,
    ];
}

/// How long the prepare screen's editing lock lasts without a heartbeat.
pub const LOCK_MINUTES: i64 = 15;

/// A transition on one list: submit, delete, approve, reject (reason required), dispatch,
/// receive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeedsListRef {
    pub needs_list_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl NeedsListRef {
    pub fn validate(&self, reason_required: bool) -> Result<(), ValidationError> {
        text::decision_reason("reason", "Reason", self.reason.as_deref(), reason_required)
    }
}

/// A Draft's new content (replaces event, priority, lines and notes); `submit` submits it too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeedsListUpdatePayload {
    pub needs_list_id: i64,
    #[serde(flatten)]
    pub list: NeedsListCreatePayload,
}

/// One source of one item: `quantity` from `source_hub_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub item_id: i64,
    pub source_hub_id: i64,
    pub quantity: i64,
}

/// The whole allocation table of a list (replaces the previous one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FulfilmentPayload {
    pub needs_list_id: i64,
    pub allocations: Vec<Allocation>,
}

impl FulfilmentPayload {
    pub fn validate(&self, submitting: bool) -> Result<(), ValidationError> {
        if submitting && self.allocations.is_empty() {
            return Err(ValidationError::new(
                "allocations",
                "Allocate at least one quantity from a source hub before submitting for approval.",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for a in &self.allocations {
            text::quantity("allocations", "An allocated quantity", a.quantity, 1)?;
            if !seen.insert((a.item_id, a.source_hub_id)) {
                return Err(ValidationError::new(
                    "allocations",
                    "The same item is allocated twice from one hub; combine the quantities.",
                ));
            }
        }
        Ok(())
    }
}

/// A source SUB hub asks to change an approved fulfilment: the whole proposed allocation
/// table and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeRequestPayload {
    pub needs_list_id: i64,
    pub allocations: Vec<Allocation>,
    pub reason: String,
}

impl ChangeRequestPayload {
    pub fn validate(&self) -> Result<(), ValidationError> {
        required_text("reason", "Reason", &self.reason, 500)?;
        FulfilmentPayload {
            needs_list_id: self.needs_list_id,
            allocations: self.allocations.clone(),
        }
        .validate(true)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeDecision {
    Approve,
    Reject,
    Clarify,
}

impl ChangeDecision {
    pub fn code(self) -> &'static str {
        match self {
            ChangeDecision::Approve => "approve",
            ChangeDecision::Reject => "reject",
            ChangeDecision::Clarify => "clarify",
        }
    }
}

/// The LM approves, rejects or asks for clarification; the LO rejects or asks. A note is
/// required to reject or to ask.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeRequestProcessPayload {
    pub change_request_id: i64,
    pub decision: ChangeDecision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ChangeRequestProcessPayload {
    pub fn validate(&self) -> Result<(), ValidationError> {
        let asking = self.decision != ChangeDecision::Approve;
        text::decision_reason("note", "Note", self.note.as_deref(), asking)
    }
}

/// A Completed list's delivered quantities corrected (LM/LO/ADMIN, reason required): the
/// whole allocation table as it really was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FulfilmentEditPayload {
    pub needs_list_id: i64,
    pub allocations: Vec<Allocation>,
    pub reason: String,
}

impl FulfilmentEditPayload {
    pub fn validate(&self) -> Result<(), ValidationError> {
        required_text("reason", "Reason", &self.reason, 500)?;
        FulfilmentPayload {
            needs_list_id: self.needs_list_id,
            allocations: self.allocations.clone(),
        }
        .validate(false)
    }
}
