//! Every cell of DOMAIN.md's permission matrix, written out by hand (not derived from the
//! rule), for ten actors against six target hubs: M1 M2 (MAIN), S3 S4 (SUB), A5 A6 (AGENCY).
use super::*;

const TARGETS: [HubRef; 6] = [
    hub(1, HubType::Main),
    hub(2, HubType::Main),
    hub(3, HubType::Sub),
    hub(4, HubType::Sub),
    hub(5, HubType::Agency),
    hub(6, HubType::Agency),
];

const fn hub(id: i64, hub_type: HubType) -> HubRef {
    HubRef { id, hub_type }
}

fn actor(name: &str) -> Actor {
    let (role, hub) = match name {
        "admin" => (Role::Admin, None),
        "lm" => (Role::LogisticsManager, None),
        "lo" => (Role::LogisticsOfficer, None),
        "main" => (Role::MainHubUser, Some(TARGETS[0])),
        "sub" => (Role::SubHubUser, Some(TARGETS[2])),
        "agency" => (Role::AgencyHubUser, Some(TARGETS[4])),
        "clerk" => (Role::InventoryClerk, Some(TARGETS[2])),
        "clerk_a" => (Role::InventoryClerk, Some(TARGETS[4])),
        "clerk_m" => (Role::InventoryClerk, Some(TARGETS[0])),
        "auditor" => (Role::Auditor, None),
        other => panic!("unknown actor {other}"),
    };
    Actor {
        user_id: 1,
        role,
        hub,
    }
}

const ACTORS: [&str; 10] = [
    "admin", "lm", "lo", "main", "sub", "agency", "clerk", "clerk_a", "clerk_m", "auditor",
];

/// (action, one 6-cell row per actor in ACTORS order; Y = allowed at M1 M2 S3 S4 A5 A6)
fn matrix() -> Vec<(Action, [&'static str; 10])> {
    use Action::*;
    const ALL: &str = "YYYYYY";
    const NONE: &str = "......";
    const GOV: &str = "YYYY..";
    const M1: &str = "Y.....";
    const S3: &str = "..Y...";
    const A5: &str = "....Y.";
    vec![
        (
            ManageUsers,
            [ALL, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE],
        ),
        (
            ManageHubsAndEvents,
            [ALL, ALL, ALL, NONE, NONE, NONE, NONE, NONE, NONE, NONE],
        ),
        (
            ManageItems,
            [ALL, ALL, ALL, NONE, NONE, NONE, ALL, ALL, ALL, NONE],
        ),
        (ViewInventory, [GOV, GOV, GOV, M1, S3, A5, S3, A5, M1, GOV]),
        (RecordIntake, [GOV, GOV, GOV, M1, S3, A5, S3, A5, M1, NONE]),
        (
            RecordDistribution,
            [GOV, GOV, GOV, M1, S3, A5, S3, A5, M1, NONE],
        ),
        (
            NeedsListEdit,
            [NONE, NONE, NONE, NONE, S3, A5, S3, A5, NONE, NONE],
        ),
        (
            NeedsListSubmit,
            [ALL, NONE, NONE, NONE, S3, A5, S3, A5, NONE, NONE],
        ),
        (
            NeedsListDelete,
            [ALL, NONE, NONE, NONE, S3, A5, S3, A5, NONE, NONE],
        ),
        (
            PrepareFulfilment,
            [ALL, ALL, ALL, NONE, NONE, NONE, NONE, NONE, NONE, NONE],
        ),
        (
            ApproveFulfilment,
            [ALL, ALL, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE],
        ),
        (Dispatch, [ALL, ALL, ALL, M1, S3, NONE, S3, A5, M1, NONE]),
        (
            ConfirmReceipt,
            [ALL, NONE, NONE, NONE, S3, A5, S3, A5, NONE, NONE],
        ),
        (
            RequestFulfilmentChange,
            [NONE, NONE, NONE, NONE, S3, NONE, NONE, NONE, NONE, NONE],
        ),
        (
            ApproveChangeRequest,
            [NONE, ALL, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE],
        ),
        (
            RejectOrClarifyChangeRequest,
            [NONE, ALL, ALL, NONE, NONE, NONE, NONE, NONE, NONE, NONE],
        ),
        (
            EditAfterCompletion,
            [ALL, ALL, ALL, NONE, NONE, NONE, NONE, NONE, NONE, NONE],
        ),
        (
            RequestTransfer,
            [GOV, GOV, GOV, M1, S3, NONE, S3, A5, M1, NONE],
        ),
        (
            ReviewTransfer,
            [ALL, ALL, ALL, NONE, NONE, NONE, NONE, NONE, NONE, NONE],
        ),
        (
            ReviewSyncIssues,
            [ALL, ALL, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE],
        ),
        (
            ViewTransactions,
            [GOV, GOV, GOV, M1, S3, A5, S3, A5, M1, GOV],
        ),
    ]
}

#[test]
fn every_cell_of_the_matrix() {
    let rows = matrix();
    assert_eq!(rows.len(), Action::ALL.len(), "one row per action");
    let mut failures = Vec::new();
    for (action, expected) in rows {
        for (who, cells) in ACTORS.iter().zip(expected) {
            for (target, cell) in TARGETS.iter().zip(cells.chars()) {
                let got = authorize(&actor(who), action, Some(*target)).is_ok();
                if got != (cell == 'Y') {
                    failures.push(format!(
                        "{action:?} by {who} at hub {} ({:?}): expected {cell}, got {got}",
                        target.id, target.hub_type
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_action_has_a_row() {
    let listed: Vec<Action> = matrix().into_iter().map(|(a, _)| a).collect();
    for action in Action::ALL {
        assert!(
            listed.contains(&action),
            "{action:?} missing from the matrix"
        );
    }
}

#[test]
fn denials_carry_a_reason() {
    let err = authorize(&actor("auditor"), Action::RecordIntake, Some(TARGETS[0])).unwrap_err();
    assert_eq!(err.code, "forbidden");
    assert!(err.message.contains("Auditor"), "{}", err.message);
    let err = authorize(&actor("lm"), Action::ViewInventory, Some(TARGETS[4])).unwrap_err();
    assert!(err.message.contains("private"), "{}", err.message);
    let err = authorize(&actor("main"), Action::RecordIntake, Some(TARGETS[1])).unwrap_err();
    assert!(err.message.contains("your own hub"), "{}", err.message);
}

#[test]
fn hub_bound_roles_without_a_hub_are_refused() {
    let orphan = Actor {
        user_id: 9,
        role: Role::SubHubUser,
        hub: None,
    };
    let err = authorize(&orphan, Action::RecordIntake, Some(TARGETS[2])).unwrap_err();
    assert!(err.message.contains("no assigned hub"), "{}", err.message);
    assert!(!may_ever(&orphan, Action::RecordIntake));
}

#[test]
fn hub_scoped_actions_need_a_target_for_hub_users() {
    assert!(authorize(&actor("main"), Action::RecordIntake, None).is_err());
    assert!(authorize(&actor("lm"), Action::ViewInventory, None).is_ok());
}

#[test]
fn may_ever_drives_navigation() {
    assert!(may_ever(&actor("admin"), Action::ManageUsers));
    assert!(!may_ever(&actor("lm"), Action::ManageUsers));
    assert!(may_ever(&actor("clerk"), Action::ManageItems));
    assert!(may_ever(&actor("clerk"), Action::NeedsListEdit));
    assert!(!may_ever(&actor("clerk_m"), Action::NeedsListEdit));
    assert!(!may_ever(&actor("auditor"), Action::RecordIntake));
    assert!(may_ever(&actor("agency"), Action::ViewInventory));
}
