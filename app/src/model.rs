//! Wire types both sides speak: what the server returns and the inputs forms and JSON send.
//! Inputs validate themselves here, once, for the browser and the server alike.
use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::text::{self, optional_text, required_text, ValidationError};
use crate::domain::{HubRef, HubStatus, HubType, Role};
use crate::permissions::Actor;

/// The signed-in user, as `GET /api/session` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub hub_id: Option<i64>,
    pub hub_type: Option<HubType>,
    pub hub_name: Option<String>,
}

impl SessionUser {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            role: self.role,
            hub: match (self.hub_id, self.hub_type) {
                (Some(id), Some(hub_type)) => Some(HubRef { id, hub_type }),
                _ => None,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hub {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub hub_type: HubType,
    pub status: HubStatus,
    pub activated_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: i64,
    pub sku: String,
    pub barcode: Option<String>,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub min_qty: i64,
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisasterEvent {
    pub id: i64,
    pub name: String,
    pub event_type: String,
    pub start_date: String,
    pub end_date: Option<String>,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub hub_id: Option<i64>,
    pub hub_name: Option<String>,
    pub active: bool,
}

/// Accepts a JSON number or a form string; an empty string is `None`.
pub(crate) fn flexible_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Num(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Num(n)) => Ok(Some(n)),
        Some(Raw::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(Raw::Text(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("'{s}' is not a whole number"))),
    }
}

fn parse_enum<T>(
    field: &str,
    label: &str,
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, ValidationError> {
    parse(value.trim()).ok_or_else(|| {
        ValidationError::new(
            field,
            format!("{label} '{}' is not recognised.", value.trim()),
        )
    })
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HubInput {
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "type")]
    pub hub_type: String,
}

pub struct ValidHub {
    pub name: String,
    pub hub_type: HubType,
}

impl HubInput {
    pub fn validate(&self) -> Result<ValidHub, ValidationError> {
        Ok(ValidHub {
            name: required_text("name", "Hub name", &self.name, 100)?,
            hub_type: parse_enum("type", "Hub type", &self.hub_type, HubType::from_code)?,
        })
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ItemInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub min_qty: Option<i64>,
    #[serde(default)]
    pub barcode: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

pub struct ValidItem {
    pub name: String,
    pub category: String,
    pub unit: String,
    pub min_qty: i64,
    pub barcode: Option<String>,
    pub description: Option<String>,
}

impl ItemInput {
    pub fn validate(&self) -> Result<ValidItem, ValidationError> {
        Ok(ValidItem {
            name: required_text("name", "Item name", &self.name, 120)?,
            category: required_text("category", "Category", &self.category, 60)?,
            unit: required_text("unit", "Unit", &self.unit, 30)?,
            min_qty: text::quantity("min_qty", "Minimum quantity", self.min_qty.unwrap_or(0), 0)?,
            barcode: text::barcode(self.barcode.as_deref())?,
            description: optional_text(
                "description",
                "Description",
                self.description.as_deref(),
                1000,
            )?,
        })
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EventInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub event_type: String,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

pub struct ValidEvent {
    pub name: String,
    pub event_type: String,
    pub start_date: String,
    pub end_date: Option<String>,
    pub status: &'static str,
}

impl EventInput {
    pub fn validate(&self) -> Result<ValidEvent, ValidationError> {
        let start = text::date("start_date", "Start date", &self.start_date)?;
        let end = match self.end_date.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) => Some(text::date("end_date", "End date", v)?),
        };
        if let Some(end) = end {
            if end < start {
                return Err(ValidationError::new(
                    "end_date",
                    "End date cannot be before the start date.",
                ));
            }
        }
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") | Some("Active") => "Active",
            Some("Closed") => "Closed",
            Some(other) => {
                return Err(ValidationError::new(
                    "status",
                    format!("Status '{other}' is not recognised (Active or Closed)."),
                ))
            }
        };
        Ok(ValidEvent {
            name: required_text("name", "Event name", &self.name, 120)?,
            event_type: required_text("event_type", "Event type", &self.event_type, 60)?,
            start_date: start.to_string(),
            end_date: end.map(|d| d.to_string()),
            status,
        })
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserInput {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    /// Required when creating; when editing, empty keeps the current password.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub role: String,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub hub_id: Option<i64>,
    /// Only used when editing: `false` deactivates the account.
    #[serde(default)]
    pub active: Option<bool>,
}

pub struct ValidUser {
    pub username: text::Username,
    pub display_name: String,
    pub password: Option<text::NewPassword>,
    pub role: Role,
    pub hub_id: Option<i64>,
}

impl UserInput {
    /// `creating`: a password is then required. Hub/role compatibility needs the hub's type
    /// and is checked by the server against the database.
    pub fn validate(&self, creating: bool) -> Result<ValidUser, ValidationError> {
        let role = parse_enum("role", "Role", &self.role, Role::from_code)?;
        let password = match self.password.as_deref() {
            Some(p) if !p.is_empty() => Some(text::NewPassword::parse(p)?),
            _ if creating => return Err(ValidationError::new("password", "Password is required.")),
            _ => None,
        };
        if role.is_hub_bound() && self.hub_id.is_none() {
            return Err(ValidationError::new(
                "hub_id",
                format!("A {} must be assigned to a hub.", role.name()),
            ));
        }
        Ok(ValidUser {
            username: text::Username::parse(&self.username)?,
            display_name: required_text("display_name", "Display name", &self.display_name, 100)?,
            password,
            role,
            hub_id: self.hub_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_input_rules() {
        let mut input = UserInput {
            username: "newclerk".into(),
            display_name: "New Clerk".into(),
            password: Some("long enough pw".into()),
            role: "INVENTORY_CLERK".into(),
            hub_id: None,
            active: None,
        };
        let err = input.validate(true).err().unwrap();
        assert_eq!(err.field, "hub_id");
        input.hub_id = Some(3);
        assert!(input.validate(true).is_ok());
        input.password = None;
        assert_eq!(input.validate(true).err().unwrap().field, "password");
        assert!(input.validate(false).is_ok());
        input.role = "BOSS".into();
        assert_eq!(input.validate(false).err().unwrap().field, "role");
    }

    #[test]
    fn numbers_from_forms_or_json() {
        let from_json: ItemInput = serde_json::from_str(r#"{"min_qty": 5}"#).unwrap();
        assert_eq!(from_json.min_qty, Some(5));
        let from_form: ItemInput = serde_json::from_str(r#"{"min_qty": " 7 "}"#).unwrap();
        assert_eq!(from_form.min_qty, Some(7));
        let blank: ItemInput = serde_json::from_str(r#"{"min_qty": ""}"#).unwrap();
        assert_eq!(blank.min_qty, None);
        assert!(serde_json::from_str::<ItemInput>(r#"{"min_qty": "x"}"#).is_err());
    }

    #[test]
    fn event_dates_are_checked() {
        let input = EventInput {
            name: "Hurricane".into(),
            event_type: "Hurricane".into(),
            start_date: "2026-10-01".into(),
            end_date: Some("2026-09-01".into()),
            status: None,
        };
        assert_eq!(input.validate().err().unwrap().field, "end_date");
    }
}
