//! Security review findings on needs lists (issue 10): 11 (existence and other hubs' stock
//! never leak through refusals), 9 (agency receipts are not corrected by the government), 13
//! (each action form has its own operation id).
use super::*;

/// Finding 11: an operation on a list the user may not see answers exactly like one on a list
/// that does not exist: no number, no hub.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_a_user_may_not_see_answer_like_missing_ones() {
    let w = world().await;
    let draft = list_in(&w, "Draft").await;
    let approved = list_in(&w, "Approved").await;
    let number = number(&w, approved).await;
    let agency_hub = w.app.hub_id("Red Cross Kingston").await;
    let missing = 999_999;
    for (user, hub) in [("agency", agency_hub), ("sub", w.st_catherine)] {
        for (decision, id) in [
            ("submit", draft),
            ("delete", draft),
            ("dispatch", approved),
            ("receive", approved),
        ] {
            if user == "sub" && id == approved {
                continue; // St. Catherine is no source of this list, but see below.
            }
            let real = action(&w, user, id, decision, hub, "").await.unwrap_err();
            let none = action(&w, user, missing, decision, hub, "")
                .await
                .unwrap_err();
            assert_eq!(
                real.replace(&id.to_string(), "N"),
                none.replace(&missing.to_string(), "N"),
                "{user} {decision}"
            );
            assert!(
                !real.contains("NL-") && !real.contains("Manchester"),
                "{real}"
            );
        }
    }
    // A SUB hub that is not a source may not learn of the list through a change request.
    let sub = change(
        &w,
        "sub",
        w.st_catherine,
        approved,
        &[(w.tent, w.kingston, 40)],
        "probe",
        "change",
    )
    .await
    .unwrap_err();
    assert!(!sub.contains(&number), "{sub}");
    assert!(sub.contains("does not exist"), "{sub}");
}

/// Finding 11: a source hub dispatching learns nothing of another source's stock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatching_source_does_not_learn_another_sources_stock() {
    let w = world().await;
    let id = list_in_with(
        &w,
        "Approved",
        &[(w.tent, w.st_catherine, 20), (w.tent, w.kingston, 20)],
    )
    .await;
    // Kingston gives almost everything away before the dispatch.
    let main = w.app.signed_in("main").await;
    let (_, res) = sync(
        &w.app,
        &main,
        &[op(
            "distribution",
            w.kingston,
            json!({ "item_id": w.tent, "quantity": 99_993, "beneficiary": "Shelters" }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "applied", "{res}");
    let refused = action(&w, "sub", id, "dispatch", w.st_catherine, "")
        .await
        .unwrap_err();
    assert!(refused.contains("Nothing was dispatched"), "{refused}");
    assert!(
        !refused.contains('7'),
        "Kingston's 7 tents stay private: {refused}"
    );
    // The LM, who may see every government stock, is told the figure.
    let told = action(&w, "lm", id, "dispatch", w.requester, "")
        .await
        .unwrap_err();
    assert!(told.contains("Only 7"), "{told}");
}

/// Finding 9: a list received by an agency is the agency's record: a correction after
/// completion is refused, moves no agency stock and names no agency quantity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agency_receipts_are_not_corrected_by_the_government() {
    let w = world().await;
    let agency_hub = w.app.hub_id("Red Cross Kingston").await;
    let agency = w.app.signed_in("agency").await;
    let (_, res) = sync(
        &w.app,
        &agency,
        &[op(
            "needs_list_create",
            agency_hub,
            json!({ "event_id": event_id(&w.app).await, "priority": "High", "submit": true,
                    "lines": [ { "item_id": w.tent, "quantity": 40 } ] }),
        )],
    )
    .await;
    let number = res["results"][0]["reference"].as_str().unwrap().to_string();
    let id: i64 = sqlx::query_scalar("SELECT id FROM needs_lists WHERE number = $1")
        .bind(&number)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap();
    change(
        &w,
        "lo",
        agency_hub,
        id,
        &[(w.tent, w.kingston, 40)],
        "",
        "submit",
    )
    .await
    .unwrap();
    action(&w, "lm", id, "approve", agency_hub, "")
        .await
        .unwrap();
    action(&w, "lo", id, "dispatch", agency_hub, "")
        .await
        .unwrap();
    action(&w, "agency", id, "receive", agency_hub, "")
        .await
        .unwrap();
    assert_eq!(balance(&w.app, agency_hub, w.tent).await, 40);
    let movements = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM stock_movements")
            .fetch_one(&w.app.db().await)
            .await
            .unwrap()
    };
    let before = movements().await;
    for (user, tents) in [("lo", 30), ("lm", 45), ("admin", 10)] {
        let refused = change(
            &w,
            user,
            agency_hub,
            id,
            &[(w.tent, w.kingston, tents)],
            "recount",
            "edit",
        )
        .await
        .unwrap_err();
        assert!(refused.contains("agency"), "{refused}");
        assert!(!refused.contains("40"), "no agency quantity: {refused}");
    }
    assert_eq!(movements().await, before, "no stock moved");
    assert_eq!(balance(&w.app, agency_hub, w.tent).await, 40);
    // The page offers no correction the server would refuse; a government hub's completed
    // list still offers it.
    let own = list_in(&w, "Completed").await;
    for user in ["lo", "lm", "admin"] {
        let html = page(&w, user, &format!("/needs-lists/{id}")).await;
        assert!(html.contains(&number), "{user} sees the list");
        assert!(
            !html.contains("Save correction"),
            "{user}: no correction form"
        );
        let html = page(&w, user, &format!("/needs-lists/{own}")).await;
        assert!(
            html.contains("Save correction"),
            "{user}: a government list's form"
        );
    }
}

/// Finding 13: the actions on a list's page each carry their own operation id, so "Reject"
/// after "Approve" is refused instead of replaying the approval's success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_action_form_has_its_own_operation_id() {
    let w = world().await;
    let id = list_in(&w, "Awaiting Approval").await;
    let html = page(&w, "lm", &format!("/needs-lists/{id}")).await;
    let ids: Vec<&str> = html
        .split("name=\"op_id\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    let distinct: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert!(ids.len() >= 2, "{ids:?}");
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
    // Posting both forms from that page: the approval applies, the rejection is refused.
    let lm = w.app.signed_in("lm").await;
    let form_of = |decision: &str| {
        let start = html
            .find(&format!("name=\"decision\" value=\"{decision}\""))
            .unwrap();
        let before = &html[..start];
        let op_id = before
            .rsplit("name=\"op_id\" value=\"")
            .next()
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        vec![
            ("op_id".to_string(), op_id),
            ("hub_id".into(), w.requester.to_string()),
            ("needs_list_id".into(), id.to_string()),
            ("decision".into(), decision.to_string()),
            ("reason".into(), "too late".to_string()),
        ]
    };
    post(&w.app, &lm, "/forms/needs-list-action", &form_of("approve"))
        .await
        .unwrap();
    let rejected = post(&w.app, &lm, "/forms/needs-list-action", &form_of("reject")).await;
    assert!(rejected.is_err(), "{rejected:?}");
    assert_eq!(status(&w, id).await, "Approved");
}
