//! The intake and distribution forms as posted (strings from HTML or JSON), turned into
//! operations by one function that the server's form handlers and the browser both use.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Allocation, ChangeDecision, ChangeRequestPayload, ChangeRequestProcessPayload,
    DistributionPayload, FulfilmentEditPayload, FulfilmentPayload, IntakePayload,
    NeedsListCreatePayload, NeedsListLine, NeedsListRef, NeedsListUpdatePayload, Operation,
    OperationBody, Priority, TransferRequestPayload, TransferReviewPayload,
};
use crate::domain::ValidationError;
use crate::model::flexible_i64;

fn required(field: &str, label: &str, value: Option<i64>) -> Result<i64, ValidationError> {
    value.ok_or_else(|| ValidationError::new(field, format!("{label} is required.")))
}

fn blank_to_none(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The operation id a form carries: rendered into the page, so a resubmitted form (reload,
/// back button, double click) is the same operation and is applied once.
fn op_id(value: &str) -> Result<Uuid, ValidationError> {
    Uuid::parse_str(value.trim()).map_err(|_| {
        ValidationError::new(
            "op_id",
            "The form is out of date; reload the page and try again.",
        )
    })
}

/// The operation a form becomes: the id rendered into the page, the hub it names, and the
/// checks the server applies again (`Operation::validate`).
fn operation(
    id: &str,
    hub: Option<i64>,
    hub_label: &str,
    device_id: &str,
    created_at: String,
    body: OperationBody,
) -> Result<Operation, ValidationError> {
    let op = Operation {
        id: op_id(id)?,
        hub_id: required("hub_id", hub_label, hub)?,
        created_at,
        device_id: device_id.to_string(),
        body,
    };
    op.validate()?;
    Ok(op)
}

/// A non-blank field of a form posted as a map (line and allocation tables).
fn map_field<'a>(
    fields: &'a std::collections::BTreeMap<String, String>,
    name: &str,
) -> Option<&'a str> {
    fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// A posted form that becomes one operation. The server's no-JS handlers and the browser's
/// outbox both go through this, so the two paths validate alike.
pub trait OperationForm {
    fn to_operation(
        &self,
        device_id: &str,
        created_at: String,
    ) -> Result<Operation, ValidationError>;
    /// The hub the form was for, to return the user to it.
    fn hub(&self) -> Option<i64>;
}

/// The form's fields as posted (URL-encoded) into an operation: the browser's `BuildOp`.
pub fn build_from_fields<F: OperationForm + serde::de::DeserializeOwned>(
    fields: &str,
    device_id: &str,
    created_at: String,
) -> Result<Operation, ValidationError> {
    let form: F = serde_urlencoded::from_str(fields)
        .map_err(|e| ValidationError::new("form", format!("The form could not be read: {e}")))?;
    form.to_operation(device_id, created_at)
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IntakeForm {
    #[serde(default)]
    pub op_id: String,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub hub_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub item_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub quantity: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub event_id: Option<i64>,
    #[serde(default)]
    pub donor: Option<String>,
    #[serde(default)]
    pub expiry_date: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl OperationForm for IntakeForm {
    fn hub(&self) -> Option<i64> {
        self.hub_id
    }

    fn to_operation(
        &self,
        device_id: &str,
        created_at: String,
    ) -> Result<Operation, ValidationError> {
        let body = OperationBody::Intake(IntakePayload {
            item_id: required("item_id", "Item", self.item_id)?,
            quantity: required("quantity", "Quantity", self.quantity)?,
            event_id: required("event_id", "Disaster event", self.event_id)?,
            donor: blank_to_none(&self.donor),
            expiry_date: blank_to_none(&self.expiry_date),
            notes: blank_to_none(&self.notes),
        });
        operation(&self.op_id, self.hub_id, "Hub", device_id, created_at, body)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DistributionForm {
    #[serde(default)]
    pub op_id: String,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub hub_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub item_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub beneficiary: String,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub event_id: Option<i64>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl OperationForm for DistributionForm {
    fn hub(&self) -> Option<i64> {
        self.hub_id
    }

    fn to_operation(
        &self,
        device_id: &str,
        created_at: String,
    ) -> Result<Operation, ValidationError> {
        let body = OperationBody::Distribution(DistributionPayload {
            item_id: required("item_id", "Item", self.item_id)?,
            quantity: required("quantity", "Quantity", self.quantity)?,
            beneficiary: self.beneficiary.trim().to_string(),
            event_id: self.event_id,
            notes: blank_to_none(&self.notes),
        });
        operation(&self.op_id, self.hub_id, "Hub", device_id, created_at, body)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TransferRequestForm {
    #[serde(default)]
    pub op_id: String,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub hub_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub to_hub_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub item_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl OperationForm for TransferRequestForm {
    fn hub(&self) -> Option<i64> {
        self.hub_id
    }

    fn to_operation(
        &self,
        device_id: &str,
        created_at: String,
    ) -> Result<Operation, ValidationError> {
        let body = OperationBody::TransferRequest(TransferRequestPayload {
            to_hub_id: required("to_hub_id", "To hub", self.to_hub_id)?,
            item_id: required("item_id", "Item", self.item_id)?,
            quantity: required("quantity", "Quantity", self.quantity)?,
            notes: blank_to_none(&self.notes),
        });
        operation(
            &self.op_id,
            self.hub_id,
            "From hub",
            device_id,
            created_at,
            body,
        )
    }
}

/// Approve or reject a transfer (`decision` = `approve` / `reject`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TransferReviewForm {
    #[serde(default)]
    pub op_id: String,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub hub_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub transfer_id: Option<i64>,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub reason: Option<String>,
}

impl OperationForm for TransferReviewForm {
    fn hub(&self) -> Option<i64> {
        None
    }

    fn to_operation(
        &self,
        device_id: &str,
        created_at: String,
    ) -> Result<Operation, ValidationError> {
        let payload = TransferReviewPayload {
            transfer_id: required("transfer_id", "Transfer", self.transfer_id)?,
            reason: blank_to_none(&self.reason),
        };
        let body = match self.decision.as_str() {
            "approve" => OperationBody::TransferApprove(payload),
            "reject" => OperationBody::TransferReject(payload),
            other => {
                return Err(ValidationError::new(
                    "decision",
                    format!("Unknown decision '{other}': approve or reject."),
                ))
            }
        };
        operation(&self.op_id, self.hub_id, "Hub", device_id, created_at, body)
    }
}

/// The needs-list form: event, priority, draft or submit, notes, and numbered lines
/// (`item_id_N`, `quantity_N`, `justification_N`); blank lines are skipped.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NeedsListForm {
    #[serde(flatten)]
    pub fields: std::collections::BTreeMap<String, String>,
}

impl NeedsListForm {
    /// Line rows the page offers.
    pub const LINES: usize = 6;

    fn field(&self, name: &str) -> Option<&str> {
        map_field(&self.fields, name)
    }

    fn number(&self, name: &str, label: &str) -> Result<Option<i64>, ValidationError> {
        self.field(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ValidationError::new(name, format!("{label} must be a whole number."))
                })
            })
            .transpose()
    }

    pub fn hub_id(&self) -> Option<i64> {
        self.field("hub_id").and_then(|v| v.parse().ok())
    }
}

impl OperationForm for NeedsListForm {
    fn hub(&self) -> Option<i64> {
        self.hub_id()
    }

    fn to_operation(
        &self,
        device_id: &str,
        created_at: String,
    ) -> Result<Operation, ValidationError> {
        let mut lines = Vec::new();
        for n in 1..=Self::LINES {
            let item = self.number(&format!("item_id_{n}"), &format!("Line {n} item"))?;
            let quantity = self.number(&format!("quantity_{n}"), &format!("Line {n} quantity"))?;
            let justification = self
                .field(&format!("justification_{n}"))
                .map(str::to_string);
            match (item, quantity) {
                (None, None) if justification.is_none() => continue,
                (Some(item_id), Some(quantity)) => lines.push(NeedsListLine {
                    item_id,
                    quantity,
                    justification,
                }),
                (None, _) => {
                    return Err(ValidationError::new(
                        "lines",
                        format!("Line {n}: choose an item."),
                    ))
                }
                (Some(_), None) => {
                    return Err(ValidationError::new(
                        "lines",
                        format!("Line {n}: enter a quantity."),
                    ))
                }
            }
        }
        let priority = self.field("priority").unwrap_or("Medium");
        let list = NeedsListCreatePayload {
            event_id: required(
                "event_id",
                "Disaster event",
                self.number("event_id", "Disaster event")?,
            )?,
            priority: Priority::from_code(priority).ok_or_else(|| {
                ValidationError::new("priority", format!("Unknown priority '{priority}'."))
            })?,
            submit: self.field("submit") == Some("true"),
            lines,
            notes: self.field("notes").map(str::to_string),
        };
        // With a list id it is the edit of that Draft.
        let body = match self.number("needs_list_id", "Needs list")? {
            Some(needs_list_id) => OperationBody::NeedsListUpdate(NeedsListUpdatePayload {
                needs_list_id,
                list,
            }),
            None => OperationBody::NeedsListCreate(list),
        };
        operation(
            self.field("op_id").unwrap_or(""),
            self.number("hub_id", "Hub")?,
            "Hub",
            device_id,
            created_at,
            body,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_become_operations_with_their_own_id() {
        let form = IntakeForm {
            op_id: Uuid::new_v4().to_string(),
            hub_id: Some(3),
            item_id: Some(5),
            quantity: Some(10),
            event_id: Some(1),
            donor: Some("  ".into()),
            ..Default::default()
        };
        let op = form
            .to_operation("web", "2026-11-22T10:00:00Z".into())
            .unwrap();
        assert_eq!(op.id.to_string(), form.op_id);
        match op.body {
            OperationBody::Intake(p) => assert_eq!(p.donor, None),
            _ => panic!("intake expected"),
        }
    }

    #[test]
    fn missing_and_bad_fields_are_named() {
        let mut form = DistributionForm {
            op_id: Uuid::new_v4().to_string(),
            hub_id: Some(3),
            item_id: Some(5),
            quantity: None,
            beneficiary: "Mary".into(),
            ..Default::default()
        };
        assert_eq!(
            form.to_operation("web", String::new()).unwrap_err().field,
            "quantity"
        );
        form.quantity = Some(-2);
        assert_eq!(
            form.to_operation("web", String::new()).unwrap_err().field,
            "quantity"
        );
        form.quantity = Some(2);
        form.beneficiary = " ".into();
        assert_eq!(
            form.to_operation("web", String::new()).unwrap_err().field,
            "beneficiary"
        );
        form.beneficiary = "Mary".into();
        form.op_id = "nope".into();
        assert_eq!(
            form.to_operation("web", String::new()).unwrap_err().field,
            "op_id"
        );
    }

    #[test]
    fn needs_list_form_skips_blank_lines_and_names_half_filled_ones() {
        let pairs = |extra: &[(&str, &str)]| {
            let mut f = NeedsListForm::default();
            for (k, v) in [
                ("op_id", Uuid::new_v4().to_string().as_str()),
                ("hub_id", "3"),
                ("event_id", "1"),
                ("priority", "High"),
                ("submit", "true"),
                ("item_id_1", "5"),
                ("quantity_1", "20"),
                ("justification_1", "shelter of 80"),
                ("item_id_2", ""),
                ("quantity_2", ""),
            ] {
                f.fields.insert(k.into(), v.into());
            }
            for (k, v) in extra {
                f.fields.insert((*k).into(), (*v).into());
            }
            f
        };
        let op = pairs(&[]).to_operation("web", String::new()).unwrap();
        match op.body {
            OperationBody::NeedsListCreate(p) => {
                assert_eq!(p.lines.len(), 1);
                assert_eq!(p.priority, Priority::High);
                assert!(p.submit);
            }
            _ => panic!("needs list expected"),
        }
        let err = pairs(&[("item_id_3", "7")])
            .to_operation("web", String::new())
            .unwrap_err();
        assert_eq!(err.message, "Line 3: enter a quantity.");
        let err = pairs(&[("quantity_1", "ten")])
            .to_operation("web", String::new())
            .unwrap_err();
        assert_eq!(err.message, "Line 1 quantity must be a whole number.");
        let err = pairs(&[("priority", "Whenever")])
            .to_operation("web", String::new())
            .unwrap_err();
        assert_eq!(err.field, "priority");
        // Parsed from the urlencoded body exactly as the server and the browser get it.
        let form: NeedsListForm =
            serde_urlencoded::from_str("hub_id=3&event_id=1&item_id_1=5&quantity_1=2&op_id=x")
                .unwrap();
        assert_eq!(form.hub_id(), Some(3));
    }
}

/// The buttons on a needs list's page: one decision on the list.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NeedsListActionForm {
    #[serde(default)]
    pub op_id: String,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub hub_id: Option<i64>,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub needs_list_id: Option<i64>,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// For the decisions on a change request (`change_approve`, `change_reject`,
    /// `change_clarify`).
    #[serde(default, deserialize_with = "flexible_i64")]
    pub change_request_id: Option<i64>,
}

impl OperationForm for NeedsListActionForm {
    fn hub(&self) -> Option<i64> {
        self.hub_id
    }

    fn to_operation(
        &self,
        device_id: &str,
        created_at: String,
    ) -> Result<Operation, ValidationError> {
        let r = NeedsListRef {
            needs_list_id: required("needs_list_id", "Needs list", self.needs_list_id)?,
            reason: blank_to_none(&self.reason),
        };
        let body = match self.decision.as_str() {
            "submit" => OperationBody::NeedsListSubmit(r),
            "delete" => OperationBody::NeedsListDelete(r),
            "approve" => OperationBody::NeedsListApprove(r),
            "reject" => OperationBody::NeedsListReject(r),
            "dispatch" => OperationBody::NeedsListDispatch(r),
            "receive" => OperationBody::NeedsListReceive(r),
            "change_approve" | "change_reject" | "change_clarify" => {
                let decision = match self.decision.as_str() {
                    "change_approve" => ChangeDecision::Approve,
                    "change_reject" => ChangeDecision::Reject,
                    _ => ChangeDecision::Clarify,
                };
                OperationBody::ChangeRequestProcess(ChangeRequestProcessPayload {
                    change_request_id: required(
                        "change_request_id",
                        "Change request",
                        self.change_request_id,
                    )?,
                    decision,
                    note: r.reason,
                })
            }
            other => {
                return Err(ValidationError::new(
                    "decision",
                    format!("Unknown action '{other}' on a needs list."),
                ))
            }
        };
        operation(&self.op_id, self.hub_id, "Hub", device_id, created_at, body)
    }
}

/// The prepare screen: `alloc_<item>_<hub>` quantities (blank or 0 = none), `decision` save or
/// submit.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FulfilmentForm {
    #[serde(flatten)]
    pub fields: std::collections::BTreeMap<String, String>,
}

impl FulfilmentForm {
    fn field(&self, name: &str) -> Option<&str> {
        map_field(&self.fields, name)
    }

    pub fn needs_list_id(&self) -> Option<i64> {
        self.field("needs_list_id").and_then(|v| v.parse().ok())
    }

    pub fn submitting(&self) -> bool {
        self.field("decision") == Some("submit")
    }

    /// Saving a preparation returns to the prepare screen; everything else to the list.
    pub fn stays_on_prepare(&self) -> bool {
        matches!(self.field("decision"), None | Some("save"))
    }
}

impl OperationForm for FulfilmentForm {
    fn hub(&self) -> Option<i64> {
        self.field("hub_id").and_then(|v| v.parse().ok())
    }

    fn to_operation(
        &self,
        device_id: &str,
        created_at: String,
    ) -> Result<Operation, ValidationError> {
        let mut allocations = Vec::new();
        for (name, value) in &self.fields {
            let Some(rest) = name.strip_prefix("alloc_") else {
                continue;
            };
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let (item, hub) = rest.split_once('_').ok_or_else(|| {
                ValidationError::new("allocations", format!("Unknown field '{name}'."))
            })?;
            let quantity: i64 = value.parse().map_err(|_| {
                ValidationError::new("allocations", "Allocated quantities must be whole numbers.")
            })?;
            if quantity == 0 {
                continue;
            }
            allocations.push(Allocation {
                item_id: item.parse().map_err(|_| {
                    ValidationError::new("allocations", format!("Unknown field '{name}'."))
                })?,
                source_hub_id: hub.parse().map_err(|_| {
                    ValidationError::new("allocations", format!("Unknown field '{name}'."))
                })?,
                quantity,
            });
        }
        let p = FulfilmentPayload {
            needs_list_id: required("needs_list_id", "Needs list", self.needs_list_id())?,
            allocations,
        };
        let reason = self.field("reason").unwrap_or("").to_string();
        let body = match self.field("decision") {
            Some("submit") => OperationBody::FulfilmentSubmit(p),
            Some("change") => OperationBody::ChangeRequestCreate(ChangeRequestPayload {
                needs_list_id: p.needs_list_id,
                allocations: p.allocations,
                reason,
            }),
            Some("edit") => OperationBody::FulfilmentEdit(FulfilmentEditPayload {
                needs_list_id: p.needs_list_id,
                allocations: p.allocations,
                reason,
            }),
            _ => OperationBody::FulfilmentSave(p),
        };
        operation(
            self.field("op_id").unwrap_or(""),
            self.hub(),
            "Hub",
            device_id,
            created_at,
            body,
        )
    }
}
