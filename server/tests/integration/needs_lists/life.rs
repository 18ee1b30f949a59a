//! One list through its whole life, the numbers under concurrency, the no-JS pages and the
//! dashboards' queues.
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_life_with_checks_at_every_step() {
    let w = world().await;
    let id = list_in(&w, "Draft").await;
    assert_eq!(
        edit(&w, "manchester", id).await.unwrap(),
        format!("Needs list {} saved as Draft.", number(&w, id).await)
    );
    let lines: Vec<(i64, i64)> =
        sqlx::query_as("SELECT item_id, quantity FROM needs_list_lines WHERE needs_list_id = $1")
            .bind(id)
            .fetch_all(&w.app.db().await)
            .await
            .unwrap();
    assert_eq!(lines, vec![(w.tent, 45)], "the edit replaced the lines");
    action(&w, "manchester", id, "submit", w.requester, "")
        .await
        .unwrap();
    assert_eq!(
        action(&w, "manchester", id, "delete", w.requester, "")
            .await
            .unwrap_err(),
        format!(
            "Needs list {} is Submitted; it can be deleted only when Draft.",
            number(&w, id).await
        )
    );

    // Allocation rules: within stock, within what was requested, government hubs only.
    let too_much = fulfil(&w, "lo", id, &[(w.tent, w.st_catherine, 1001)], false)
        .await
        .unwrap_err();
    assert!(too_much.contains("Only 1000"), "{too_much}");
    let over = fulfil(
        &w,
        "lo",
        id,
        &[(w.tent, w.st_catherine, 30), (w.tent, w.kingston, 20)],
        false,
    )
    .await
    .unwrap_err();
    assert!(over.contains("45 requested"), "{over}");
    let red_cross = w.app.hub_id("Red Cross Kingston").await;
    let agency = fulfil(&w, "lo", id, &[(w.tent, red_cross, 1)], false)
        .await
        .unwrap_err();
    assert!(agency.contains("agency hub"), "{agency}");
    let not_on_list = fulfil(&w, "lo", id, &[(w.soap, w.kingston, 1)], false)
        .await
        .unwrap_err();
    assert!(not_on_list.contains("not on needs list"), "{not_on_list}");
    let empty_submit = fulfil(&w, "lo", id, &[], true).await.unwrap_err();
    assert!(empty_submit.contains("at least one"), "{empty_submit}");

    fulfil(
        &w,
        "lo",
        id,
        &[(w.tent, w.st_catherine, 25), (w.tent, w.kingston, 20)],
        false,
    )
    .await
    .unwrap();
    assert_eq!(status(&w, id).await, "Fulfilment Prepared");
    fulfil(
        &w,
        "lo",
        id,
        &[(w.tent, w.st_catherine, 25), (w.tent, w.kingston, 20)],
        true,
    )
    .await
    .unwrap();
    assert_eq!(status(&w, id).await, "Awaiting Approval");

    // Reject needs a reason, and clears the allocations.
    let no_reason = action(&w, "lm", id, "reject", w.requester, "")
        .await
        .unwrap_err();
    assert!(no_reason.contains("Reason"), "{no_reason}");
    action(&w, "lm", id, "reject", w.requester, "Use Kingston only")
        .await
        .unwrap();
    assert_eq!(status(&w, id).await, "Submitted");
    assert_eq!(allocations(&w, id).await, 0);

    fulfil(&w, "lo", id, &[(w.tent, w.kingston, 45)], true)
        .await
        .unwrap();
    action(&w, "lm", id, "approve", w.requester, "")
        .await
        .unwrap();
    // The requester's hub is not a source: its users may not dispatch.
    let sub = action(&w, "manchester", id, "dispatch", w.requester, "")
        .await
        .unwrap_err();
    assert!(
        sub.contains("only when your hub is one of its sources"),
        "{sub}"
    );
    let before = (
        balance(&w.app, w.kingston, w.tent).await,
        balance(&w.app, w.requester, w.tent).await,
    );
    action(&w, "main", id, "dispatch", w.kingston, "")
        .await
        .unwrap();
    let after = (
        balance(&w.app, w.kingston, w.tent).await,
        balance(&w.app, w.requester, w.tent).await,
    );
    assert_eq!(after, (before.0 - 45, before.1 + 45));
    let link = format!("dispatch:{}", number(&w, id).await);
    let linked: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT hub_id, direction, quantity FROM stock_movements WHERE link_id = $1 ORDER BY direction",
    )
    .bind(&link).fetch_all(&w.app.db().await).await.unwrap();
    assert_eq!(
        linked,
        vec![
            (w.requester, "IN".into(), 45),
            (w.kingston, "OUT".into(), 45)
        ]
    );

    action(&w, "manchester", id, "receive", w.requester, "")
        .await
        .unwrap();
    assert_eq!(status(&w, id).await, "Completed");

    // The timeline has every step, with who.
    let client = w.app.signed_in("manchester").await;
    let (code, detail) = read(
        client
            .post(w.app.url("/api/fn/needs_list"))
            .form(&[("id", id.to_string())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{detail}");
    let steps: Vec<String> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t["action"].as_str().unwrap(),
                t["by"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            "created manchester user",
            "needs_list_update manchester user",
            "needs_list_submit manchester user",
            "fulfilment_save Olive Officer",
            "fulfilment_submit Olive Officer",
            "needs_list_reject Leon Manager",
            "fulfilment_submit Olive Officer",
            "needs_list_approve Leon Manager",
            "needs_list_dispatch Marcus Main",
            "needs_list_receive manchester user",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_stay_unique_when_lists_arrive_at_once() {
    let w = world().await;
    let event = event_id(&w.app).await;
    // Four devices, ten lists each, all sent at the same moment.
    let mut clients = Vec::new();
    for user in ["manchester", "sub", "clerk", "agency"] {
        clients.push((user, w.app.signed_in(user).await));
    }
    let red_cross = w.app.hub_id("Red Cross Kingston").await;
    let sends = clients.iter().map(|(user, client)| {
        let hub = match *user {
            "manchester" => w.requester,
            "agency" => red_cross,
            _ => w.st_catherine,
        };
        let ops: Vec<Value> = (0..10)
            .map(|_| {
                op(
                    "needs_list_create",
                    hub,
                    json!({ "event_id": event, "priority": "Low", "submit": false,
                            "lines": [ { "item_id": w.tent, "quantity": 1 } ] }),
                )
            })
            .collect();
        let app = &w.app;
        async move {
            let mut refs = Vec::new();
            for op in ops {
                let (_, res) = sync(app, client, &[op]).await;
                refs.push(res["results"][0]["reference"].as_str().unwrap().to_string());
            }
            refs
        }
    });
    let mut numbers: Vec<String> = futures::future::join_all(sends)
        .await
        .into_iter()
        .flatten()
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=40).map(|n| format!("NL-{n:06}")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_render_without_javascript() {
    let w = world().await;
    let id = list_in(&w, "Submitted").await;
    let number = number(&w, id).await;
    // The LO's queue and the list with its action.
    let queue = page(&w, "lo", "/needs-lists?queue=prepare").await;
    assert!(queue.contains(&number), "the prepare queue lists it");
    let detail = page(&w, "lo", &format!("/needs-lists/{id}")).await;
    assert!(detail.contains("Prepare fulfilment") && detail.contains("Timeline"));
    // Opening the prepare screen takes the lock; the form offers Kingston's stock.
    let prepare = page(&w, "lo", &format!("/needs-lists/{id}/prepare")).await;
    assert!(
        prepare.contains("You hold this list&#x27;s editing lock")
            || prepare.contains("You hold this list's editing lock"),
        "{prepare}"
    );
    assert!(prepare.contains(&format!("name=\"alloc_{}_{}\"", w.tent, w.kingston)));
    assert!(
        !prepare.contains(&format!("alloc_{}_{}", w.tent, w.requester)),
        "never the requester itself"
    );
    // The LM, meanwhile, sees who holds it and a disabled form.
    let other = page(&w, "lm", &format!("/needs-lists/{id}/prepare")).await;
    assert!(
        other.contains("Olive Officer is preparing needs list"),
        "{other}"
    );
    assert!(other.contains("disabled"));
    let detail = page(&w, "lm", &format!("/needs-lists/{id}")).await;
    assert!(detail.contains("Olive Officer is preparing this list until"));
    // The requester's Draft edit form is filled with the list.
    let draft = list_in(&w, "Draft").await;
    let edit = page(&w, "manchester", &format!("/needs-lists/{draft}/edit")).await;
    assert!(
        edit.contains(&format!("name=\"needs_list_id\" value=\"{draft}\"")),
        "{edit}"
    );
    assert!(
        edit.contains("value=\"40\""),
        "the line's quantity is filled in"
    );
    // Nobody else's Draft is editable.
    let client = w.app.signed_in("lm").await;
    let res = client
        .get(w.app.url(&format!("/needs-lists/{draft}/edit")))
        .send()
        .await
        .unwrap();
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("only a Draft can be edited, by its hub"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_count_the_queues() {
    let w = world().await;
    list_in(&w, "Submitted").await;
    list_in(&w, "Awaiting Approval").await;
    let approved = list_in(&w, "Approved").await;
    let dispatched = list_in(&w, "Dispatched").await;
    let lm = dashboard(&w, "lm").await;
    assert_eq!(stat(&lm, "Lists Submitted"), "1");
    assert_eq!(stat(&lm, "Lists Fulfilment Prepared"), "0");
    assert_eq!(stat(&lm, "Lists Awaiting Approval"), "1");
    assert_eq!(stat(&lm, "Approvals, last 30 days"), "2");
    let lo = dashboard(&w, "lo").await;
    assert_eq!(stat(&lo, "Lists you prepared"), "3");
    assert_eq!(stat(&dashboard(&w, "lm").await, "Lists Submitted"), "1");
    // Kingston is the source of the approved list; St. Catherine of none.
    let main = dashboard(&w, "main").await;
    assert_eq!(stat(&main, "Lists ready to dispatch"), "1");
    assert!(main.to_string().contains(&number(&w, approved).await));
    assert_eq!(
        stat(&dashboard(&w, "sub").await, "Lists ready to dispatch"),
        "0"
    );
    // The requester sees both on their way.
    let requester = dashboard(&w, "manchester").await.to_string();
    assert!(requester.contains(&format!("{} · Approved", number(&w, approved).await)));
    assert!(requester.contains(&format!("{} · Dispatched", number(&w, dispatched).await)));
    // The auditor: approved vs completed.
    action(&w, "manchester", dispatched, "receive", w.requester, "")
        .await
        .unwrap();
    let auditor = dashboard(&w, "auditor").await;
    assert_eq!(stat(&auditor, "Completed within 14 days"), "100%");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_people_concerned_are_notified() {
    let w = world().await;
    let id = list_in(&w, "Dispatched").await;
    let n = number(&w, id).await;
    let has = |notes: &[String], text: &str| notes.iter().any(|m| m.contains(text));
    let lo = notes_for(&w, "lo").await;
    assert!(has(&lo, &format!("Needs list {n} was submitted")), "{lo:?}");
    let lm = notes_for(&w, "lm").await;
    assert!(
        has(
            &lm,
            &format!("fulfilment of needs list {n} waits for your approval")
        ),
        "{lm:?}"
    );
    assert!(
        !has(&lm, "was approved for dispatch"),
        "nobody is told of their own act: {lm:?}"
    );
    let main = notes_for(&w, "main").await;
    assert!(
        has(&main, &format!("Needs list {n} was approved for dispatch")),
        "{main:?}"
    );
    let requester = notes_for(&w, "manchester").await;
    assert!(
        has(&requester, &format!("Needs list {n} was dispatched to you")),
        "{requester:?}"
    );
    // Agencies hear nothing of other hubs' lists.
    assert!(notes_for(&w, "agency").await.is_empty());
    // Marking read.
    let client = w.app.signed_in("manchester").await;
    let res = w
        .app
        .post_form(&client, "/forms/notifications/read", &[("", ""); 0])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, v) = read(
        client
            .post(w.app.url("/api/fn/notifications"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["unread"], 0);
    let html = client
        .get(w.app.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("Needs list {n} was dispatched to you")));
}
