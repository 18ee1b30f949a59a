//! The intake and distribution forms as posted (strings from HTML or JSON), turned into
//! operations by one function that the server's form handlers and the browser both use.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DistributionPayload, IntakePayload, Operation, OperationBody};
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

impl IntakeForm {
    pub fn to_operation(
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
        body.validate()?;
        Ok(Operation {
            id: op_id(&self.op_id)?,
            hub_id: required("hub_id", "Hub", self.hub_id)?,
            created_at,
            device_id: device_id.to_string(),
            body,
        })
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

impl DistributionForm {
    pub fn to_operation(
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
        body.validate()?;
        Ok(Operation {
            id: op_id(&self.op_id)?,
            hub_id: required("hub_id", "Hub", self.hub_id)?,
            created_at,
            device_id: device_id.to_string(),
            body,
        })
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
}
