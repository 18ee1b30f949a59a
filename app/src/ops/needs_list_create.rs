//! `needs_list_create`: a SUB or AGENCY hub asks for supplies; created as Draft or Submitted.
use serde::{Deserialize, Serialize};

use crate::domain::text::{self, optional_text, ValidationError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Medium,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Priority::Low => "Low",
            Priority::Medium => "Medium",
            Priority::High => "High",
            Priority::Urgent => "Urgent",
        }
    }

    pub fn from_code(code: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.code() == code)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeedsListLine {
    pub item_id: i64,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeedsListCreatePayload {
    pub event_id: i64,
    pub priority: Priority,
    /// `true`: submit at once; `false`: keep as Draft.
    pub submit: bool,
    pub lines: Vec<NeedsListLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl NeedsListCreatePayload {
    pub const MAX_LINES: usize = 200;

    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.lines.is_empty() {
            return Err(ValidationError::new(
                "lines",
                "A needs list needs at least one line.",
            ));
        }
        if self.lines.len() > Self::MAX_LINES {
            return Err(ValidationError::new(
                "lines",
                format!("A needs list has at most {} lines.", Self::MAX_LINES),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, line) in self.lines.iter().enumerate() {
            text::quantity(
                "lines",
                &format!("Line {} quantity", i + 1),
                line.quantity,
                1,
            )?;
            optional_text("lines", "Justification", line.justification.as_deref(), 500)?;
            if !seen.insert(line.item_id) {
                return Err(ValidationError::new(
                    "lines",
                    format!(
                        "Line {}: the item is already on the list; combine the lines.",
                        i + 1
                    ),
                ));
            }
        }
        optional_text("notes", "Notes", self.notes.as_deref(), 1000)?;
        Ok(())
    }
}
