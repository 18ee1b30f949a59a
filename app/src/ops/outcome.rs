//! What applying an operation came to, with stable reason codes a client can branch on.
use serde::{Deserialize, Serialize};

/// Stable rejection reasons (public interface).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Forbidden,
    HubUnknown,
    HubInactive,
    ItemUnknown,
    EventUnknown,
    EventInactive,
    StockInsufficient,
    /// Someone else holds the needs list's editing lock.
    Locked,
    Invalid,
    /// The operation id was already used for a different operation (kind, hub or payload).
    IdConflict,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::Forbidden => "forbidden",
            Reason::HubUnknown => "hub_unknown",
            Reason::HubInactive => "hub_inactive",
            Reason::ItemUnknown => "item_unknown",
            Reason::EventUnknown => "event_unknown",
            Reason::EventInactive => "event_inactive",
            Reason::StockInsufficient => "stock_insufficient",
            Reason::Locked => "locked",
            Reason::Invalid => "invalid",
            Reason::IdConflict => "id_conflict",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub reason: Reason,
    pub message: String,
}

impl Rejection {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }
}

/// The result of one operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Written; `reference` names what was created (a movement id, a needs-list number).
    Applied {
        reference: String,
        message: String,
    },
    Rejected(Rejection),
    /// Recorded, to be confirmed by an authorised user online (never applied by sync alone).
    PendingConfirmation {
        message: String,
    },
}

impl Outcome {
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Applied { .. } => "applied",
            Outcome::Rejected(_) => "rejected",
            Outcome::PendingConfirmation { .. } => "pending_confirmation",
        }
    }

    /// Applied and pending outcomes are final: a replay returns them unchanged. A rejection
    /// wrote nothing, so the same operation may be sent again once fixed.
    pub fn is_final(&self) -> bool {
        !matches!(self, Outcome::Rejected(_))
    }
}

impl From<crate::domain::ValidationError> for Rejection {
    fn from(err: crate::domain::ValidationError) -> Self {
        Rejection::new(Reason::Invalid, err.message)
    }
}
