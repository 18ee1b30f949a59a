//! `intake`: stock in at a hub, for an Active event, with optional donor and expiry.
use serde::{Deserialize, Serialize};

use crate::domain::text::{self, optional_text, ValidationError};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntakePayload {
    pub item_id: i64,
    pub quantity: i64,
    pub event_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub donor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl IntakePayload {
    pub fn validate(&self) -> Result<(), ValidationError> {
        text::quantity("quantity", "Quantity", self.quantity, 1)?;
        optional_text("donor", "Donor", self.donor.as_deref(), 120)?;
        optional_text("notes", "Notes", self.notes.as_deref(), 1000)?;
        if let Some(d) = self.expiry_date.as_deref().filter(|d| !d.trim().is_empty()) {
            text::date("expiry_date", "Expiry date", d)?;
        }
        Ok(())
    }
}
