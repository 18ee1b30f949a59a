//! Hub types and statuses, and the small reference the permission rule needs.
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HubType {
    Main,
    Sub,
    Agency,
}

impl HubType {
    pub const ALL: [HubType; 3] = [HubType::Main, HubType::Sub, HubType::Agency];

    pub fn code(self) -> &'static str {
        match self {
            HubType::Main => "MAIN",
            HubType::Sub => "SUB",
            HubType::Agency => "AGENCY",
        }
    }

    pub fn from_code(code: &str) -> Option<HubType> {
        HubType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// MAIN and SUB hubs are government hubs; their stock is visible to government roles.
    pub fn is_government(self) -> bool {
        self != HubType::Agency
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HubStatus {
    Active,
    Inactive,
}

impl HubStatus {
    pub fn code(self) -> &'static str {
        match self {
            HubStatus::Active => "Active",
            HubStatus::Inactive => "Inactive",
        }
    }

    pub fn from_code(code: &str) -> Option<HubStatus> {
        match code {
            "Active" => Some(HubStatus::Active),
            "Inactive" => Some(HubStatus::Inactive),
            _ => None,
        }
    }
}

/// What the permission rule needs to know about a hub: its id and its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HubRef {
    pub id: i64,
    pub hub_type: HubType,
}
