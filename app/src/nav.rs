//! Navigation entries, filtered by what the signed-in role may do.
use crate::model::SessionUser;
use crate::permissions::{may_ever, Action};

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

/// The links a user sees, in display order. The server still checks every request.
pub fn links_for(user: &SessionUser) -> Vec<NavLink> {
    let actor = user.actor();
    let entries: [(&'static str, &'static str, Option<Action>); 18] = [
        ("/", "Dashboard", None),
        ("/inventory", "Inventory", Some(Action::ViewInventory)),
        ("/intake", "Intake", Some(Action::RecordIntake)),
        (
            "/distribution",
            "Distribution",
            Some(Action::RecordDistribution),
        ),
        // Everyone sees the lists their role and hub allow (the page filters).
        ("/needs-lists", "Needs lists", None),
        (
            "/needs-lists/new",
            "New needs list",
            Some(Action::NeedsListEdit),
        ),
        ("/transfers", "Transfers", Some(Action::RequestTransfer)),
        (
            "/confirmations",
            "Confirmations",
            Some(Action::RequestTransfer),
        ),
        ("/history", "History", Some(Action::ViewTransactions)),
        // Everyone: their own refused operations (LM and ADMIN: everyone's).
        ("/sync-issues", "Sync issues", None),
        ("/notifications", "Notifications", None),
        ("/admin/hubs", "Hubs", Some(Action::ManageHubsAndEvents)),
        ("/admin/items", "Items", Some(Action::ManageItems)),
        ("/admin/events", "Events", Some(Action::ManageHubsAndEvents)),
        ("/admin/users", "Users", Some(Action::ManageUsers)),
        (
            "/admin/offline-policy",
            "Offline policy",
            Some(Action::ManageUsers),
        ),
        ("/admin/devices", "Devices", Some(Action::ManageUsers)),
        // Importing someone's exported queue is resolving their sync issues (LM, ADMIN).
        (
            "/admin/import",
            "Import offline work",
            Some(Action::ReviewSyncIssues),
        ),
    ];
    // Confirmations: for anyone who may do something that, recorded offline, waits there.
    let confirms = [
        Action::RequestTransfer,
        Action::ConfirmReceipt,
        Action::Dispatch,
        Action::PrepareFulfilment,
        Action::ApproveFulfilment,
        Action::RejectOrClarifyChangeRequest,
        Action::EditAfterCompletion,
    ]
    .into_iter()
    .any(|a| may_ever(&actor, a));
    entries
        .into_iter()
        .filter(|(href, _, action)| match *href {
            "/confirmations" => confirms,
            _ => action.is_none_or(|a| may_ever(&actor, a)),
        })
        .map(|(href, label, _)| NavLink { href, label })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{HubType, Role};

    fn user(role: Role, hub: Option<(i64, HubType)>) -> SessionUser {
        SessionUser {
            id: 1,
            username: "u".into(),
            display_name: "U".into(),
            role,
            hub_id: hub.map(|h| h.0),
            hub_type: hub.map(|h| h.1),
            hub_name: None,
        }
    }

    fn labels(u: &SessionUser) -> Vec<&'static str> {
        links_for(u).into_iter().map(|l| l.label).collect()
    }

    #[test]
    fn admin_sees_everything_clerk_sees_items_auditor_sees_dashboard() {
        assert_eq!(
            labels(&user(Role::Admin, None)),
            [
                "Dashboard",
                "Inventory",
                "Intake",
                "Distribution",
                "Needs lists",
                "Transfers",
                "Confirmations",
                "History",
                "Sync issues",
                "Notifications",
                "Hubs",
                "Items",
                "Events",
                "Users",
                "Offline policy",
                "Devices",
                "Import offline work"
            ]
        );
        assert_eq!(
            labels(&user(Role::InventoryClerk, Some((3, HubType::Sub)))),
            [
                "Dashboard",
                "Inventory",
                "Intake",
                "Distribution",
                "Needs lists",
                "New needs list",
                "Transfers",
                "Confirmations",
                "History",
                "Sync issues",
                "Notifications",
                "Items"
            ]
        );
        assert_eq!(
            labels(&user(Role::Auditor, None)),
            [
                "Dashboard",
                "Inventory",
                "Needs lists",
                "History",
                "Sync issues",
                "Notifications"
            ]
        );
        assert_eq!(
            labels(&user(Role::AgencyHubUser, Some((6, HubType::Agency)))),
            [
                "Dashboard",
                "Inventory",
                "Intake",
                "Distribution",
                "Needs lists",
                "New needs list",
                "Confirmations",
                "History",
                "Sync issues",
                "Notifications"
            ]
        );
        assert_eq!(
            labels(&user(Role::LogisticsOfficer, None)),
            [
                "Dashboard",
                "Inventory",
                "Intake",
                "Distribution",
                "Needs lists",
                "Transfers",
                "Confirmations",
                "History",
                "Sync issues",
                "Notifications",
                "Hubs",
                "Items",
                "Events"
            ]
        );
    }
}
