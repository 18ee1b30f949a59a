//! Offline mode's shared core: the outbox record types and the sync engine, a pure state
//! machine behind small store and transport traits. The browser runner (IndexedDB through
//! rexie, gloo-net) implements the traits in `frontend`; tests use in-memory fakes.
pub mod access;
pub mod backoff;
pub mod client;
pub mod crypto;
pub mod devices;
pub mod engine;
pub mod project;

use serde::{Deserialize, Serialize};

use crate::ops::Operation;

/// An operation waiting in the outbox (`pending_operations`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingOp {
    pub op: Operation,
    /// Position in the outbox: operations are sent in this order (oldest first).
    pub seq: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Who recorded it: only that user's session sends it.
    #[serde(default)]
    pub user_id: Option<i64>,
}

/// An operation the server refused (`sync_issues`): kept, with the reason, until a person
/// fixes and retries it or discards it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncIssue {
    pub op: Operation,
    pub reason: String,
    pub message: String,
    pub failed_at: String,
    #[serde(default)]
    pub user_id: Option<i64>,
}

/// A Sync Issue the server settled after the device kept it: a Logistics Manager marked it
/// resolved (with a note), or it reached the server another way. Learned at a sync; kept on
/// the device (newest first, the last [`RESOLVED_KEPT`]) so its user sees what became of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResolvedIssue {
    pub issue: SyncIssue,
    /// The server's state: `resolved`, `applied` or `pending_confirmation`.
    pub state: String,
    pub note: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
}

pub const RESOLVED_KEPT: usize = 50;

/// A needs list's fields as its form posts them.
fn list_pairs(pairs: &mut Vec<(String, String)>, p: &crate::ops::NeedsListCreatePayload) {
    if let Some(notes) = &p.notes {
        pairs.push(("notes".into(), notes.clone()));
    }
    pairs.push(("event_id".into(), p.event_id.to_string()));
    pairs.push(("priority".into(), p.priority.code().into()));
    pairs.push(("submit".into(), p.submit.to_string()));
    for (i, line) in p.lines.iter().enumerate() {
        let n = i + 1;
        pairs.push((format!("item_id_{n}"), line.item_id.to_string()));
        pairs.push((format!("quantity_{n}"), line.quantity.to_string()));
        if let Some(j) = &line.justification {
            pairs.push((format!("justification_{n}"), j.clone()));
        }
    }
}

impl SyncIssue {
    /// Where the user fixes and resends it: the form of its kind, filled with what was
    /// entered and carrying the same operation id (nothing was applied for a refused one).
    pub fn retry_href(&self) -> String {
        use crate::ops::OperationBody;
        let op = &self.op;
        let mut pairs: Vec<(String, String)> = vec![
            ("hub".into(), op.hub_id.to_string()),
            ("op_id".into(), op.id.to_string()),
        ];
        let mut opt = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                pairs.push((k.into(), v.clone()));
            }
        };
        let path = match &op.body {
            OperationBody::Intake(p) => {
                opt("donor", &p.donor);
                opt("expiry_date", &p.expiry_date);
                opt("notes", &p.notes);
                pairs.push(("item_id".into(), p.item_id.to_string()));
                pairs.push(("quantity".into(), p.quantity.to_string()));
                pairs.push(("event_id".into(), p.event_id.to_string()));
                "/intake".to_string()
            }
            OperationBody::Distribution(p) => {
                opt("notes", &p.notes);
                opt("event_id", &p.event_id.map(|e| e.to_string()));
                pairs.push(("item_id".into(), p.item_id.to_string()));
                pairs.push(("quantity".into(), p.quantity.to_string()));
                pairs.push(("beneficiary".into(), p.beneficiary.clone()));
                "/distribution".to_string()
            }
            OperationBody::NeedsListCreate(p) => {
                list_pairs(&mut pairs, p);
                "/needs-lists/new".to_string()
            }
            OperationBody::NeedsListUpdate(p) => {
                list_pairs(&mut pairs, &p.list);
                format!("/needs-lists/{}/edit", p.needs_list_id)
            }
            // A transition is done again from the list itself, as it is now.
            OperationBody::NeedsListDelete(p)
            | OperationBody::NeedsListSubmit(p)
            | OperationBody::NeedsListApprove(p)
            | OperationBody::NeedsListReject(p)
            | OperationBody::NeedsListDispatch(p)
            | OperationBody::NeedsListReceive(p) => {
                return format!("/needs-lists/{}", p.needs_list_id)
            }
            OperationBody::FulfilmentSave(p) | OperationBody::FulfilmentSubmit(p) => {
                return format!("/needs-lists/{}/prepare", p.needs_list_id)
            }
            OperationBody::ChangeRequestCreate(p) => {
                return format!("/needs-lists/{}", p.needs_list_id)
            }
            OperationBody::FulfilmentEdit(p) => return format!("/needs-lists/{}", p.needs_list_id),
            OperationBody::ChangeRequestProcess(_) => return "/needs-lists".to_string(),
            OperationBody::TransferRequest(p) => {
                opt("notes", &p.notes);
                pairs.push(("to_hub_id".into(), p.to_hub_id.to_string()));
                pairs.push(("item_id".into(), p.item_id.to_string()));
                pairs.push(("quantity".into(), p.quantity.to_string()));
                "/transfers".to_string()
            }
            OperationBody::TransferApprove(_) | OperationBody::TransferReject(_) => {
                "/transfers".to_string()
            }
        };
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }

    /// A one-line summary of what was entered, for the Sync Issues list.
    pub fn summary(&self, names: &crate::ops::Names) -> String {
        self.op.summary(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::forms::{DistributionForm, OperationForm};
    use crate::ops::{DistributionPayload, Operation, OperationBody};

    #[test]
    fn retry_link_refills_the_form_with_the_same_operation_id() {
        let op = Operation::new(
            3,
            "dev",
            OperationBody::Distribution(DistributionPayload {
                item_id: 5,
                quantity: 40,
                beneficiary: "Mary & Co".into(),
                event_id: Some(1),
                notes: None,
            }),
            "t".into(),
        );
        let issue = SyncIssue {
            op: op.clone(),
            reason: "stock_insufficient".into(),
            message: "Only 10 on hand".into(),
            failed_at: "t".into(),
            user_id: None,
        };
        let href = issue.retry_href();
        let (path, query) = href.split_once('?').unwrap();
        assert_eq!(path, "/distribution");
        // The refilled form builds the very same operation (same id, same fields).
        let mut form: DistributionForm = serde_urlencoded::from_str(query).unwrap();
        form.hub_id = Some(3);
        let again = form.to_operation("dev", "t".into()).unwrap();
        assert_eq!(again, op);
    }
}
