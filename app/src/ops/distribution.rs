//! `distribution`: stock out to a beneficiary; refused when the hub holds less than asked.
use serde::{Deserialize, Serialize};

use crate::domain::text::{self, optional_text, required_text, ValidationError};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistributionPayload {
    pub item_id: i64,
    pub quantity: i64,
    pub beneficiary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl DistributionPayload {
    pub fn validate(&self) -> Result<(), ValidationError> {
        text::quantity("quantity", "Quantity", self.quantity, 1)?;
        required_text("beneficiary", "Beneficiary", &self.beneficiary, 120)?;
        optional_text("notes", "Notes", self.notes.as_deref(), 1000)?;
        Ok(())
    }
}
