//! The one permission rule: (actor, action, target hub) -> allow, or deny with a reason.
//! The server authorises with `authorize` only; the browser uses it to hide what it may not do.
use serde::{Deserialize, Serialize};

use crate::domain::{HubRef, HubType, Role};

/// Who is acting: the signed-in user's role and assigned hub.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub role: Role,
    pub hub: Option<HubRef>,
}

/// One variant per row of the permission matrix in DOMAIN.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    ManageUsers,
    ManageHubsAndEvents,
    ManageItems,
    ViewInventory,
    RecordIntake,
    RecordDistribution,
    NeedsListEdit,
    NeedsListSubmit,
    NeedsListDelete,
    PrepareFulfilment,
    ApproveFulfilment,
    Dispatch,
    ConfirmReceipt,
    RequestFulfilmentChange,
    ApproveChangeRequest,
    RejectOrClarifyChangeRequest,
    EditAfterCompletion,
    RequestTransfer,
    ReviewTransfer,
    ViewTransactions,
    /// Issue 5: review the operations the server refused, for every user (to resolve them).
    ReviewSyncIssues,
}

impl Action {
    pub const ALL: [Action; 21] = [
        Action::ManageUsers,
        Action::ManageHubsAndEvents,
        Action::ManageItems,
        Action::ViewInventory,
        Action::RecordIntake,
        Action::RecordDistribution,
        Action::NeedsListEdit,
        Action::NeedsListSubmit,
        Action::NeedsListDelete,
        Action::PrepareFulfilment,
        Action::ApproveFulfilment,
        Action::Dispatch,
        Action::ConfirmReceipt,
        Action::RequestFulfilmentChange,
        Action::ApproveChangeRequest,
        Action::RejectOrClarifyChangeRequest,
        Action::EditAfterCompletion,
        Action::RequestTransfer,
        Action::ReviewTransfer,
        Action::ViewTransactions,
        Action::ReviewSyncIssues,
    ];

    /// Human wording for messages: "may not <describe>".
    pub fn describe(self) -> &'static str {
        match self {
            Action::ManageUsers => "manage users, devices or offline policy",
            Action::ManageHubsAndEvents => "create or edit hubs and disaster events",
            Action::ManageItems => "create or edit items",
            Action::ViewInventory => "view this inventory",
            Action::RecordIntake => "record intake",
            Action::RecordDistribution => "record distributions",
            Action::NeedsListEdit => "create or edit needs lists",
            Action::NeedsListSubmit => "submit needs lists",
            Action::NeedsListDelete => "delete needs lists",
            Action::PrepareFulfilment => "prepare fulfilments",
            Action::ApproveFulfilment => "approve or reject fulfilments",
            Action::Dispatch => "dispatch needs lists",
            Action::ConfirmReceipt => "confirm receipt",
            Action::RequestFulfilmentChange => "request fulfilment changes",
            Action::ApproveChangeRequest => "approve change requests",
            Action::RejectOrClarifyChangeRequest => "reject or clarify change requests",
            Action::EditAfterCompletion => "edit fulfilments after completion",
            Action::RequestTransfer => "request transfers",
            Action::ReviewTransfer => "approve or reject transfers",
            Action::ViewTransactions => "view these transactions",
            Action::ReviewSyncIssues => "review other users' sync issues",
        }
    }
}

/// Where a role may perform an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Never,
    /// Any hub, or no hub at all.
    Anywhere,
    /// Government (MAIN/SUB) hubs only: agency stock is never shown to or moved by government.
    GovHubs,
    /// Only the actor's assigned hub.
    OwnHub,
    /// Only the actor's assigned hub, and only when that hub is a SUB or AGENCY hub.
    OwnRequesterHub,
}

fn scope(role: Role, action: Action) -> Scope {
    use Action as A;
    use Role as R;
    use Scope::*;
    let global = matches!(role, R::Admin | R::LogisticsManager | R::LogisticsOfficer);
    let hub_user = matches!(
        role,
        R::MainHubUser | R::SubHubUser | R::AgencyHubUser | R::InventoryClerk
    );
    match action {
        A::ManageUsers => pick(role == R::Admin, Anywhere),
        A::ManageHubsAndEvents
        | A::PrepareFulfilment
        | A::EditAfterCompletion
        | A::ReviewTransfer => pick(global, Anywhere),
        A::ManageItems => pick(global || role == R::InventoryClerk, Anywhere),
        A::ViewInventory | A::ViewTransactions => match role {
            _ if global || role == R::Auditor => GovHubs,
            _ => OwnHub,
        },
        A::RecordIntake | A::RecordDistribution => match role {
            _ if global => GovHubs,
            _ if hub_user => OwnHub,
            _ => Never,
        },
        // DOMAIN.md: needs lists are open to any user assigned to a SUB or AGENCY hub.
        A::NeedsListEdit => pick(
            matches!(role, R::SubHubUser | R::AgencyHubUser | R::InventoryClerk),
            OwnRequesterHub,
        ),
        A::NeedsListSubmit | A::NeedsListDelete => match role {
            R::Admin => Anywhere,
            R::SubHubUser | R::AgencyHubUser | R::InventoryClerk => OwnRequesterHub,
            _ => Never,
        },
        A::ApproveFulfilment | A::ReviewSyncIssues => {
            pick(matches!(role, R::Admin | R::LogisticsManager), Anywhere)
        }
        A::Dispatch => match role {
            _ if global => Anywhere,
            R::MainHubUser | R::SubHubUser | R::InventoryClerk => OwnHub,
            _ => Never,
        },
        A::ConfirmReceipt => match role {
            R::Admin => Anywhere,
            R::SubHubUser | R::AgencyHubUser | R::InventoryClerk => OwnRequesterHub,
            _ => Never,
        },
        A::RequestFulfilmentChange => pick(role == R::SubHubUser, OwnHub),
        A::ApproveChangeRequest => pick(role == R::LogisticsManager, Anywhere),
        A::RejectOrClarifyChangeRequest => pick(
            matches!(role, R::LogisticsManager | R::LogisticsOfficer),
            Anywhere,
        ),
        A::RequestTransfer => match role {
            _ if global => GovHubs,
            R::MainHubUser | R::SubHubUser | R::InventoryClerk => OwnHub,
            _ => Never,
        },
    }
}

fn pick(allowed: bool, scope: Scope) -> Scope {
    if allowed {
        scope
    } else {
        Scope::Never
    }
}

/// Why an action was refused; `code` is the stable reason code clients branch on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Denied {
    pub code: &'static str,
    pub message: String,
}

impl Denied {
    fn forbidden(message: String) -> Self {
        Self {
            code: "forbidden",
            message,
        }
    }
}

/// Decides whether `actor` may do `action` at `target`. For hub-scoped actions a missing
/// target is refused for hub-bound scopes (the caller must name the hub it acts on).
pub fn authorize(actor: &Actor, action: Action, target: Option<HubRef>) -> Result<(), Denied> {
    let role_name = actor.role.name();
    let own = actor.hub;
    let no_hub = || {
        Denied::forbidden(format!(
            "Your account ({role_name}) has no assigned hub; ask an administrator to assign one."
        ))
    };
    let only_own = || {
        Denied::forbidden(format!(
            "You may {} only at your own hub.",
            action.describe()
        ))
    };
    match scope(actor.role, action) {
        Scope::Never => Err(Denied::forbidden(format!(
            "Your role ({role_name}) may not {}.",
            action.describe()
        ))),
        Scope::Anywhere => Ok(()),
        Scope::GovHubs => match target {
            Some(hub) if hub.hub_type == HubType::Agency => Err(Denied::forbidden(
                "Agency hubs' stock is private to the agency.".to_string(),
            )),
            _ => Ok(()),
        },
        Scope::OwnHub | Scope::OwnRequesterHub if own.is_none() => Err(no_hub()),
        Scope::OwnHub => match target {
            Some(hub) if Some(hub.id) == own.map(|h| h.id) => Ok(()),
            _ => Err(only_own()),
        },
        Scope::OwnRequesterHub => match (own, target) {
            (Some(mine), _) if mine.hub_type == HubType::Main => Err(Denied::forbidden(
                "Needs lists are raised by SUB and AGENCY hubs only.".to_string(),
            )),
            (Some(mine), Some(hub)) if hub.id == mine.id => Ok(()),
            _ => Err(only_own()),
        },
    }
}

/// Whether the actor may do `action` somewhere: drives navigation and which controls show.
pub fn may_ever(actor: &Actor, action: Action) -> bool {
    match scope(actor.role, action) {
        Scope::Never => false,
        Scope::Anywhere | Scope::GovHubs => true,
        Scope::OwnHub | Scope::OwnRequesterHub => authorize(actor, action, actor.hub).is_ok(),
    }
}

#[cfg(test)]
#[path = "permissions_table_test.rs"]
mod table_test;
