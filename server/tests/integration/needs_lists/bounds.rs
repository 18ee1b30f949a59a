//! Finding 15 (issue 10): the work a request does is bounded and lists are filtered in SQL.
use super::*;

/// 600 newer agency drafts no longer hide a hub's own lists (they were cut at 500 before the
/// permission filter ran).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_drafts_elsewhere_do_not_hide_a_hubs_lists() {
    let w = world().await;
    let own = create(&w, true).await;
    let agency_hub = w.app.hub_id("Red Cross Kingston").await;
    let agency = w.app.signed_in("agency").await;
    let event = event_id(&w.app).await;
    let drafts: Vec<Value> = (0..600)
        .map(|_| {
            op(
                "needs_list_create",
                agency_hub,
                json!({ "event_id": event, "priority": "Low", "submit": false,
                        "lines": [ { "item_id": w.tent, "quantity": 1 } ] }),
            )
        })
        .collect();
    let (status, _) = sync(&w.app, &agency, &drafts).await;
    assert_eq!(status, StatusCode::OK);
    let manchester = w.app.signed_in("manchester").await;
    for queue in ["all", "incoming", "drafts"] {
        let (_, v) = read(
            manchester
                .post(w.app.url("/api/fn/needs_lists"))
                .form(&[("queue", queue)])
                .send()
                .await
                .unwrap(),
        )
        .await;
        let ids: Vec<i64> = v["lists"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids.contains(&own), queue == "all", "{queue}: {ids:?}");
    }
}

/// A large batch no longer holds the writer for its whole length: another user's small batch,
/// sent while it runs, is answered first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_batch_does_not_hold_everyone_else_up() {
    let w = world().await;
    let agency = w.app.signed_in("agency").await;
    let agency_hub = w.app.hub_id("Red Cross Kingston").await;
    let sub = w.app.signed_in("sub").await;
    let event = event_id(&w.app).await;
    let big: Vec<Value> = (0..1000)
        .map(|_| {
            op(
                "needs_list_create",
                agency_hub,
                json!({ "event_id": event, "priority": "Low", "submit": false,
                        "lines": [ { "item_id": w.tent, "quantity": 1 }, { "item_id": w.soap, "quantity": 2 } ] }),
            )
        })
        .collect();
    let large = async {
        let (status, _) = sync(&w.app, &agency, &big).await;
        assert_eq!(status, StatusCode::OK);
        std::time::Instant::now()
    };
    let small = async {
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        let (status, body) =
            sync(&w.app, &sub, &[intake_op(w.st_catherine, w.soap, event, 1)]).await;
        assert_eq!(body["results"][0]["status"], "applied", "{body}");
        assert_eq!(status, StatusCode::OK);
        std::time::Instant::now()
    };
    let (large_done, small_done) = tokio::join!(large, small);
    assert!(
        small_done < large_done,
        "the small batch waited for the whole large one"
    );
}
