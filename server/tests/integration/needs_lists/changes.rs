//! Change requests from source hubs, and corrections after completion that keep the ledger
//! and the fulfilment equal.
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_requests_from_a_source_hub_and_their_processing() {
    let w = world().await;
    let id = create(&w, true).await;
    fulfil(
        &w,
        "lo",
        id,
        &[
            (w.tent, w.st_catherine, 20),
            (w.tent, w.kingston, 20),
            (w.soap, w.kingston, 100),
        ],
        true,
    )
    .await
    .unwrap();
    action(&w, "lm", id, "approve", w.requester, "")
        .await
        .unwrap();
    let proposal = [
        (w.tent, w.st_catherine, 10),
        (w.tent, w.kingston, 30),
        (w.soap, w.kingston, 100),
    ];

    // Only a SUB user whose hub is a source may ask.
    let main = change(&w, "main", w.kingston, id, &proposal, "busy", "change")
        .await
        .unwrap_err();
    assert!(
        main.contains("may not request fulfilment changes"),
        "{main}"
    );
    let no_reason = change(&w, "sub", w.st_catherine, id, &proposal, "", "change")
        .await
        .unwrap_err();
    assert!(no_reason.contains("Reason"), "{no_reason}");
    change(
        &w,
        "sub",
        w.st_catherine,
        id,
        &proposal,
        "Only 10 tents left after the flood",
        "change",
    )
    .await
    .unwrap();
    let (cr, status_now) = last_change_request(&w, id).await;
    assert_eq!(status_now, "PENDING");
    let twice = change(&w, "sub", w.st_catherine, id, &proposal, "again", "change")
        .await
        .unwrap_err();
    assert!(twice.contains("already waiting"), "{twice}");

    // The LO may not approve, but may ask for clarification (with a note).
    let lo = decide(&w, "lo", id, cr, "change_approve", "")
        .await
        .unwrap_err();
    assert!(lo.contains("may not approve change requests"), "{lo}");
    let bare = decide(&w, "lo", id, cr, "change_clarify", "")
        .await
        .unwrap_err();
    assert!(bare.contains("Note"), "{bare}");
    decide(
        &w,
        "lo",
        id,
        cr,
        "change_clarify",
        "Can Manchester wait a week?",
    )
    .await
    .unwrap();
    assert_eq!(
        last_change_request(&w, id).await.1,
        "CLARIFICATION_REQUESTED"
    );

    // Asked again, rejected by the LM; asked again, approved by the LM.
    change(
        &w,
        "sub",
        w.st_catherine,
        id,
        &proposal,
        "No, they cannot: 10 is all we have",
        "change",
    )
    .await
    .unwrap();
    let (cr, _) = last_change_request(&w, id).await;
    decide(&w, "lm", id, cr, "change_reject", "Kingston is short too")
        .await
        .unwrap();
    assert_eq!(last_change_request(&w, id).await.1, "REJECTED");
    assert_eq!(status(&w, id).await, "Approved");
    change(
        &w,
        "sub",
        w.st_catherine,
        id,
        &proposal,
        "Kingston has restocked",
        "change",
    )
    .await
    .unwrap();
    let (cr, _) = last_change_request(&w, id).await;
    // Queued offline, the decision waits for a person online.
    let lm = w.app.signed_in("lm").await;
    let (_, res) = sync(
        &w.app,
        &lm,
        &[op(
            "change_request_process",
            w.requester,
            json!({ "change_request_id": cr, "decision": "approve" }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "pending_confirmation", "{res}");
    assert_eq!(last_change_request(&w, id).await.1, "PENDING");
    decide(&w, "lm", id, cr, "change_approve", "")
        .await
        .unwrap();
    assert_eq!(last_change_request(&w, id).await.1, "APPROVED");
    assert_eq!(status(&w, id).await, "Resent for Dispatch");
    let mut expected = proposal.to_vec();
    expected.sort();
    assert_eq!(allocation_rows(&w, id).await, expected);
    // One version: before and after, with the reason.
    let (before, after, reason): (String, String, String) = sqlx::query_as(
        "SELECT before, after, reason FROM fulfilment_versions WHERE needs_list_id = $1",
    )
    .bind(id)
    .fetch_one(&w.app.db().await)
    .await
    .unwrap();
    assert!(
        before.contains("\"quantity\":20") && after.contains("\"quantity\":10"),
        "{before} -> {after}"
    );
    assert_eq!(reason, "Kingston has restocked");

    // Dispatched as changed.
    let st_catherine_before = balance(&w.app, w.st_catherine, w.tent).await;
    action(&w, "main", id, "dispatch", w.kingston, "")
        .await
        .unwrap();
    assert_eq!(
        balance(&w.app, w.st_catherine, w.tent).await,
        st_catherine_before - 10
    );
    assert_eq!(balance(&w.app, w.requester, w.tent).await, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrections_after_completion_keep_ledger_and_fulfilment_equal() {
    let w = world().await;
    let id = list_in(&w, "Dispatched").await;
    let early = change(
        &w,
        "lo",
        w.requester,
        id,
        &[(w.tent, w.kingston, 35), (w.soap, w.kingston, 100)],
        "short",
        "edit",
    )
    .await
    .unwrap_err();
    assert!(early.contains("only when Completed"), "{early}");
    action(&w, "manchester", id, "receive", w.requester, "")
        .await
        .unwrap();
    let (ledger, fulfilment) = ledger_vs_fulfilment(&w, id).await;
    assert_eq!(ledger, fulfilment);

    let edit = |user: &'static str, tent: i64, reason: &'static str| {
        let w = &w;
        async move {
            change(
                w,
                user,
                w.requester,
                id,
                &[(w.tent, w.kingston, tent), (w.soap, w.kingston, 100)],
                reason,
                "edit",
            )
            .await
        }
    };
    let sub = edit("manchester", 35, "short").await.unwrap_err();
    assert!(
        sub.contains("may not edit fulfilments after completion"),
        "{sub}"
    );
    assert!(edit("lo", 35, "").await.unwrap_err().contains("Reason"));
    assert!(edit("lo", 45, "more")
        .await
        .unwrap_err()
        .contains("40 requested"));
    assert!(edit("lo", 40, "same")
        .await
        .unwrap_err()
        .contains("Nothing changed"));

    // Five tents never arrived: the ledger sends them back to Kingston.
    let kingston = balance(&w.app, w.kingston, w.tent).await;
    edit("lo", 35, "5 tents missing on arrival").await.unwrap();
    assert_eq!(balance(&w.app, w.kingston, w.tent).await, kingston + 5);
    assert_eq!(balance(&w.app, w.requester, w.tent).await, 35);
    let (ledger, fulfilment) = ledger_vs_fulfilment(&w, id).await;
    assert_eq!(ledger, fulfilment);
    let mut expected = vec![(w.tent, 35), (w.soap, 100)];
    expected.sort();
    assert_eq!(fulfilment, expected);
    // Found three of them: back up to 38.
    edit("lm", 38, "3 found in the second truck").await.unwrap();
    let (ledger, fulfilment) = ledger_vs_fulfilment(&w, id).await;
    assert_eq!(ledger, fulfilment);
    assert_eq!(balance(&w.app, w.kingston, w.tent).await, kingston + 2);

    // Each changed field is logged with before, after and reason.
    let log: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT field, before, after, reason FROM fulfilment_edit_log WHERE needs_list_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&w.app.db().await)
    .await
    .unwrap();
    assert_eq!(
        log,
        vec![
            (
                "Family tent from Kingston Central Warehouse".into(),
                "40".into(),
                "35".into(),
                "5 tents missing on arrival".into()
            ),
            (
                "Family tent from Kingston Central Warehouse".into(),
                "35".into(),
                "38".into(),
                "3 found in the second truck".into()
            ),
        ]
    );

    // The requester gave the tents out already: a correction taking them back is refused whole.
    let manchester = w.app.signed_in("manchester").await;
    let (_, res) = sync(
        &w.app,
        &manchester,
        &[op(
            "distribution",
            w.requester,
            json!({ "item_id": w.tent, "quantity": 38, "beneficiary": "Mandeville shelter" }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "applied", "{res}");
    let movements_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stock_movements")
        .fetch_one(&w.app.db().await)
        .await
        .unwrap();
    let refused = edit("lo", 30, "8 more missing").await.unwrap_err();
    assert!(refused.contains("Nothing was changed"), "{refused}");
    let movements_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stock_movements")
        .fetch_one(&w.app.db().await)
        .await
        .unwrap();
    assert_eq!(movements_before, movements_after);
    let (ledger, fulfilment) = ledger_vs_fulfilment(&w, id).await;
    assert_eq!(ledger, fulfilment);

    // Queued offline, a correction waits for confirmation.
    let lo = w.app.signed_in("lo").await;
    let (_, res) = sync(
        &w.app,
        &lo,
        &[op(
            "fulfilment_edit",
            w.requester,
            json!({ "needs_list_id": id, "reason": "x",
        "allocations": [ { "item_id": w.tent, "source_hub_id": w.kingston, "quantity": 39 } ] }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "pending_confirmation", "{res}");
    assert_eq!(fulfilment, ledger_vs_fulfilment(&w, id).await.1);
}
