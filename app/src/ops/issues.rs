//! Sync issues both ways: a device reports the refusals it discarded and asks what became of
//! its refused operations; an LM or ADMIN marks a refusal resolved with a note.
use serde::{Deserialize, Serialize};

use crate::domain::text::required_text;
use crate::domain::ValidationError;

/// The most operation ids one discard or status request may carry (as a sync batch).
pub const MAX_IDS: usize = 1000;
/// The longest resolution note, in characters.
pub const MAX_NOTE: usize = 500;

/// `POST /api/offline/issues/discard`: refusals the device's user discarded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiscardRequest {
    pub device_id: String,
    pub ids: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DiscardResponse {
    /// Marked discarded now, or discarded or resolved before.
    pub discarded: Vec<String>,
    /// Not a refused operation of this user.
    pub unknown: Vec<String>,
}

/// `POST /api/offline/issues/status`: what became of these operations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusRequest {
    pub ids: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// One per asked id, in the order asked.
    pub issues: Vec<IssueStatus>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueState {
    /// Refused and still open.
    Refused,
    /// Refused, then discarded by the person who recorded it.
    Discarded,
    /// Refused, then marked resolved by an LM or ADMIN (see the note).
    Resolved,
    Applied,
    PendingConfirmation,
    /// No operation of this user has this id.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssueStatus {
    pub id: String,
    pub state: IssueState,
    pub note: Option<String>,
    /// The display name of who discarded or resolved it.
    pub resolved_by: Option<String>,
    /// RFC 3339.
    pub resolved_at: Option<String>,
}

impl IssueStatus {
    pub fn unknown(id: &str) -> Self {
        Self {
            id: id.to_string(),
            state: IssueState::Unknown,
            note: None,
            resolved_by: None,
            resolved_at: None,
        }
    }
}

/// `POST /api/offline/issues/{id}/resolve` (and the no-JS form's field `note`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResolveInput {
    #[serde(default)]
    pub note: String,
}

impl ResolveInput {
    /// The note, trimmed: required, at most [`MAX_NOTE`] characters.
    pub fn note(&self) -> Result<String, ValidationError> {
        required_text("note", "The resolution note", &self.note, MAX_NOTE)
    }
}

/// A list of ids within 1..=[`MAX_IDS`].
pub fn check_ids(ids: &[String]) -> Result<(), ValidationError> {
    if ids.is_empty() {
        return Err(ValidationError::new(
            "ids",
            "Send at least one operation id.",
        ));
    }
    if ids.len() > MAX_IDS {
        return Err(ValidationError::new(
            "ids",
            format!(
                "At most {MAX_IDS} operation ids per request; this one has {}.",
                ids.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_trimmed_required_and_bounded() {
        let note = |s: &str| ResolveInput { note: s.into() }.note();
        assert_eq!(note("  stock recounted ").unwrap(), "stock recounted");
        assert!(note("   ").unwrap_err().message.contains("required"));
        assert!(note(&"x".repeat(MAX_NOTE)).is_ok());
        assert_eq!(note(&"x".repeat(MAX_NOTE + 1)).unwrap_err().field, "note");
    }

    #[test]
    fn ids_are_limited_both_ways() {
        assert!(check_ids(&[]).is_err());
        assert!(check_ids(&vec!["a".into(); MAX_IDS]).is_ok());
        assert!(check_ids(&vec!["a".into(); MAX_IDS + 1])
            .unwrap_err()
            .message
            .contains("At most 1000"));
    }

    #[test]
    fn states_are_snake_case_on_the_wire() {
        let json = serde_json::to_string(&IssueState::PendingConfirmation).unwrap();
        assert_eq!(json, "\"pending_confirmation\"");
    }
}
