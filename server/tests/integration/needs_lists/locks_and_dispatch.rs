//! The editing lock under contention, dispatch all or nothing, and what sync alone may not
//! finalise.
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editing_lock_goes_to_one_of_two_and_blocks_the_other() {
    let w = world().await;
    let id = list_in(&w, "Submitted").await;
    let (lo, lm) = (w.app.signed_in("lo").await, w.app.signed_in("lm").await);
    // Both open the prepare screen at the same moment: exactly one holds the lock.
    let (a, b) = tokio::join!(
        server_fn(&w, &lo, "renew_lock", id),
        server_fn(&w, &lm, "renew_lock", id)
    );
    let winners = [&a, &b].iter().filter(|r| r.0 == StatusCode::OK).count();
    assert_eq!(winners, 1, "{a:?} {b:?}");
    let (winner, loser, loser_client) = if a.0 == StatusCode::OK {
        ("lo", "lm", &lm)
    } else {
        ("lm", "lo", &lo)
    };
    let holder = if winner == "lo" {
        "Olive Officer"
    } else {
        "Leon Manager"
    };
    let refused = if a.0 == StatusCode::OK { &b } else { &a };
    assert_eq!(refused.1["code"], "conflict", "{refused:?}");
    assert!(
        refused.1["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{holder} is preparing")),
        "{refused:?}"
    );

    // The other sees the prepare screen read-only, with the holder named, and cannot save.
    let (code, view) = server_fn(&w, loser_client, "prepare", id).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        view["locked_out"].as_str().unwrap().contains(holder),
        "{view}"
    );
    let save = fulfil(&w, loser, id, &[(w.tent, w.kingston, 5)], false)
        .await
        .unwrap_err();
    assert!(
        save.contains(&format!("{holder} is preparing needs list")),
        "{save}"
    );
    assert_eq!(status(&w, id).await, "Submitted");

    // The holder saves (keeps the lock), then submits (releases it).
    fulfil(&w, winner, id, &[(w.tent, w.kingston, 5)], false)
        .await
        .unwrap();
    assert!(server_fn(&w, loser_client, "renew_lock", id).await.0 != StatusCode::OK);
    fulfil(&w, winner, id, &[(w.tent, w.kingston, 5)], true)
        .await
        .unwrap();
    assert_eq!(status(&w, id).await, "Awaiting Approval");
    let locked: Option<i64> = sqlx::query_scalar("SELECT locked_by FROM needs_lists WHERE id = $1")
        .bind(id)
        .fetch_one(&w.app.db().await)
        .await
        .unwrap();
    assert_eq!(locked, None);

    // An expired lock is free for the next person.
    let other = list_in(&w, "Submitted").await;
    assert_eq!(
        server_fn(&w, &lo, "renew_lock", other).await.0,
        StatusCode::OK
    );
    sqlx::query("UPDATE needs_lists SET locked_at = '2026-01-01T00:00:00.000Z' WHERE id = $1")
        .bind(other)
        .execute(&w.app.db().await)
        .await
        .unwrap();
    assert_eq!(
        server_fn(&w, &lm, "renew_lock", other).await.0,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_that_fails_midway_writes_nothing() {
    let w = world().await;
    let id = create(&w, true).await;
    // Tents from Kingston first, then from St. Catherine.
    fulfil(
        &w,
        "lo",
        id,
        &[(w.tent, w.kingston, 20), (w.tent, w.st_catherine, 20)],
        true,
    )
    .await
    .unwrap();
    action(&w, "lm", id, "approve", w.requester, "")
        .await
        .unwrap();
    // Meanwhile St. Catherine gives out most of its tents.
    let sub = w.app.signed_in("sub").await;
    let (_, res) = sync(
        &w.app,
        &sub,
        &[op(
            "distribution",
            w.st_catherine,
            json!({ "item_id": w.tent, "quantity": balance(&w.app, w.st_catherine, w.tent).await - 5, "beneficiary": "Shelter" }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "applied", "{res}");
    let movements = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM stock_movements")
            .fetch_one(&w.app.db().await)
            .await
            .unwrap()
    };
    let before = (
        movements().await,
        balance(&w.app, w.kingston, w.tent).await,
        balance(&w.app, w.requester, w.tent).await,
    );
    let refused = action(&w, "lo", id, "dispatch", w.requester, "")
        .await
        .unwrap_err();
    assert!(
        refused.contains("Only 5") && refused.contains("Nothing was dispatched"),
        "{refused}"
    );
    let after = (
        movements().await,
        balance(&w.app, w.kingston, w.tent).await,
        balance(&w.app, w.requester, w.tent).await,
    );
    assert_eq!(
        before, after,
        "the Kingston OUT and IN written before the failure were rolled back"
    );
    assert_eq!(status(&w, id).await, "Approved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_and_dispatches_queued_offline_wait_for_confirmation_online() {
    let w = world().await;
    let id = list_in(&w, "Awaiting Approval").await;
    let lm = w.app.signed_in("lm").await;
    let approve = op(
        "needs_list_approve",
        w.requester,
        json!({ "needs_list_id": id }),
    );
    let (_, res) = sync(&w.app, &lm, std::slice::from_ref(&approve)).await;
    assert_eq!(res["results"][0]["status"], "pending_confirmation", "{res}");
    assert_eq!(status(&w, id).await, "Awaiting Approval", "nothing changed");
    // The same operation again: still one pending record.
    sync(&w.app, &lm, &[approve]).await;
    let pending: Vec<i64> = sqlx::query_scalar("SELECT id FROM pending_confirmations WHERE kind = 'needs_list_approve' AND status = 'pending'")
        .fetch_all(&w.app.db().await).await.unwrap();
    assert_eq!(pending.len(), 1);
    // Someone who may not approve cannot even queue it.
    let lo = w.app.signed_in("lo").await;
    let (_, res) = sync(
        &w.app,
        &lo,
        &[op(
            "needs_list_approve",
            w.requester,
            json!({ "needs_list_id": id }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "rejected", "{res}");
    // Confirmed online, it takes effect.
    let res = w
        .app
        .post_form(
            &lm,
            &format!("/forms/confirmations/{}/confirm", pending[0]),
            &[("", ""); 0],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(status(&w, id).await, "Approved");

    // A dispatch queued offline moves no stock until confirmed.
    let before = balance(&w.app, w.kingston, w.tent).await;
    let main = w.app.signed_in("main").await;
    let (_, res) = sync(
        &w.app,
        &main,
        &[op(
            "needs_list_dispatch",
            w.kingston,
            json!({ "needs_list_id": id }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "pending_confirmation", "{res}");
    assert_eq!(balance(&w.app, w.kingston, w.tent).await, before);
    assert_eq!(status(&w, id).await, "Approved");
    // A needs-list submit is the requester's own act: applied through sync.
    let draft = list_in(&w, "Draft").await;
    let manchester = w.app.signed_in("manchester").await;
    let (_, res) = sync(
        &w.app,
        &manchester,
        &[op(
            "needs_list_submit",
            w.requester,
            json!({ "needs_list_id": draft }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "applied", "{res}");
    assert_eq!(status(&w, draft).await, "Submitted");
}
