//! The eight roles of DOMAIN.md. Their codes are part of the public interface.
use serde::{Deserialize, Serialize};

use super::HubType;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Admin,
    LogisticsManager,
    LogisticsOfficer,
    MainHubUser,
    SubHubUser,
    AgencyHubUser,
    InventoryClerk,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::LogisticsManager,
        Role::LogisticsOfficer,
        Role::MainHubUser,
        Role::SubHubUser,
        Role::AgencyHubUser,
        Role::InventoryClerk,
        Role::Auditor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::LogisticsManager => "LOGISTICS_MANAGER",
            Role::LogisticsOfficer => "LOGISTICS_OFFICER",
            Role::MainHubUser => "MAIN_HUB_USER",
            Role::SubHubUser => "SUB_HUB_USER",
            Role::AgencyHubUser => "AGENCY_HUB_USER",
            Role::InventoryClerk => "INVENTORY_CLERK",
            Role::Auditor => "AUDITOR",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "System Administrator",
            Role::LogisticsManager => "Logistics Manager",
            Role::LogisticsOfficer => "Logistics Officer",
            Role::MainHubUser => "Main Hub User",
            Role::SubHubUser => "Sub-Hub User",
            Role::AgencyHubUser => "Agency Hub User",
            Role::InventoryClerk => "Inventory Clerk",
            Role::Auditor => "Auditor / M&E Officer",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Hub-bound roles act only at their one assigned hub and must have one.
    pub fn is_hub_bound(self) -> bool {
        matches!(
            self,
            Role::MainHubUser | Role::SubHubUser | Role::AgencyHubUser | Role::InventoryClerk
        )
    }

    /// The hub type a hub-bound role must be assigned to (`None`: any type, or not hub-bound).
    pub fn required_hub_type(self) -> Option<HubType> {
        match self {
            Role::MainHubUser => Some(HubType::Main),
            Role::SubHubUser => Some(HubType::Sub),
            Role::AgencyHubUser => Some(HubType::Agency),
            _ => None,
        }
    }

    /// Every role but the agency user is a government role (agency independence).
    pub fn is_government(self) -> bool {
        self != Role::AgencyHubUser
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_serde() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.code()));
        }
        assert_eq!(Role::from_code("admin"), None);
    }
}
