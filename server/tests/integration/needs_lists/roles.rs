//! Every transition tried by every role (the table), and agency privacy.
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transition_by_every_role() {
    let w = world().await;
    // The requester hub is Manchester (user `manchester`); the sources are Kingston (user
    // `main`) and St. Catherine (users `sub` and `clerk`).
    let sources = [
        (w.tent, w.kingston, 20),
        (w.tent, w.st_catherine, 20),
        (w.soap, w.kingston, 100),
    ];
    // (transition, state before, state after "status|change request|edits", roles allowed).
    let table: [(&str, &str, &str, &[&str]); 13] = [
        ("edit", "Draft", "Draft|-|0", &["manchester"]),
        ("submit", "Draft", "Submitted|-|0", &["admin", "manchester"]),
        ("delete", "Draft", "(deleted)|-|0", &["admin", "manchester"]),
        (
            "prepare",
            "Submitted",
            "Fulfilment Prepared|-|0",
            &["admin", "lm", "lo"],
        ),
        (
            "approve",
            "Awaiting Approval",
            "Approved|-|0",
            &["admin", "lm"],
        ),
        (
            "reject",
            "Awaiting Approval",
            "Submitted|-|0",
            &["admin", "lm"],
        ),
        (
            "dispatch",
            "Approved",
            "Dispatched|-|0",
            &["admin", "lm", "lo", "main", "sub", "clerk"],
        ),
        (
            "receive",
            "Dispatched",
            "Completed|-|0",
            &["admin", "manchester"],
        ),
        ("change", "Approved", "Approved|PENDING|0", &["sub"]),
        (
            "change_approve",
            "Change requested",
            "Resent for Dispatch|APPROVED|0",
            &["lm"],
        ),
        (
            "change_reject",
            "Change requested",
            "Approved|REJECTED|0",
            &["lm", "lo"],
        ),
        (
            "change_clarify",
            "Change requested",
            "Approved|CLARIFICATION_REQUESTED|0",
            &["lm", "lo"],
        ),
        (
            "edit_after",
            "Completed",
            "Completed|-|1",
            &["admin", "lm", "lo"],
        ),
    ];
    let mut users: Vec<&str> = ROLES.to_vec();
    users.push("manchester");
    let mut report = Vec::new();
    for (transition, setup, after, allowed) in table {
        for user in &users {
            let id = list_in_with(&w, setup, &sources).await;
            let before = state(&w, id).await;
            // Hub users name their own hub; everyone else the requester.
            let hub = match *user {
                "main" => w.kingston,
                "sub" | "clerk" => w.st_catherine,
                _ => w.requester,
            };
            let note = "Stock reserved for the hurricane";
            let result = match transition {
                "edit" => edit(&w, user, id).await,
                "prepare" => fulfil(&w, user, id, &[(w.tent, w.kingston, 10)], false).await,
                "reject" => action(&w, user, id, "reject", hub, note).await,
                "change" => {
                    let fewer = [
                        (w.tent, w.kingston, 30),
                        (w.tent, w.st_catherine, 10),
                        (w.soap, w.kingston, 100),
                    ];
                    change(&w, user, hub, id, &fewer, note, "change").await
                }
                "edit_after" => {
                    let fewer = [
                        (w.tent, w.kingston, 15),
                        (w.tent, w.st_catherine, 20),
                        (w.soap, w.kingston, 100),
                    ];
                    change(&w, user, hub, id, &fewer, note, "edit").await
                }
                decision if decision.starts_with("change_") => {
                    let (cr, _) = last_change_request(&w, id).await;
                    decide(&w, user, id, cr, decision, note).await
                }
                other => action(&w, user, id, other, hub, "").await,
            };
            let now = state(&w, id).await;
            let expected_ok = allowed.contains(user);
            let expected = if expected_ok {
                after.to_string()
            } else {
                before
            };
            if result.is_ok() != expected_ok || now != expected {
                report.push(format!(
                    "{transition} by {user}: {result:?}, now {now}, expected {expected}"
                ));
            }
            if !expected_ok {
                // A refusal says why, and the operation changed nothing.
                assert!(!result.as_ref().unwrap_err().is_empty());
            }
        }
    }
    assert!(
        report.is_empty(),
        "unexpected outcomes:\n{}",
        report.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agencies_see_only_their_own_lists() {
    let w = world().await;
    let red_cross = w.app.hub_id("Red Cross Kingston").await;
    let ffp = w.app.hub_id("Food for the Poor Spanish Town").await;
    add_user(&w.app, "ffp", "AGENCY_HUB_USER", Some(ffp)).await;
    let agency = w.app.signed_in("agency").await;
    let (_, res) = sync(
        &w.app,
        &agency,
        &[op(
            "needs_list_create",
            red_cross,
            json!({ "event_id": event_id(&w.app).await, "priority": "Urgent", "submit": true,
                "lines": [ { "item_id": w.tent, "quantity": 10 } ] }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "applied", "{res}");
    let red_cross_list: i64 = sqlx::query_scalar("SELECT id FROM needs_lists WHERE hub_id = $1")
        .bind(red_cross)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap();
    let manchester_list = list_in(&w, "Submitted").await;

    let ffp_client = w.app.signed_in("ffp").await;
    let (_, body) = server_fn(&w, &ffp_client, "needs_list", red_cross_list).await;
    assert_eq!(
        body["code"], "not_found",
        "another agency's list is not even confirmed: {body}"
    );
    let (_, body) = server_fn(&w, &agency, "needs_list", manchester_list).await;
    assert_eq!(body["code"], "not_found", "{body}");
    let (code, mine) = server_fn(&w, &agency, "needs_list", red_cross_list).await;
    assert_eq!(code, StatusCode::OK, "{mine}");
    assert_eq!(hubs_listed(&w, "agency").await, vec!["Red Cross Kingston"]);
    assert!(hubs_listed(&w, "ffp").await.is_empty());
    // Government stock (the prepare screen's sources) is never shown to an agency.
    let (_, body) = server_fn(&w, &agency, "prepare", red_cross_list).await;
    assert_eq!(body["code"], "forbidden", "{body}");
    assert!(body.get("sources").is_none());
    // The Logistics Manager sees agency lists as requesters.
    assert_eq!(hubs_listed(&w, "lm").await.len(), 2);
}
