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
    let db = w.app.db().await;
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM needs_lists WHERE hub_id = $1")
        .bind(agency_hub)
        .fetch_one(&db)
        .await
        .unwrap();
    let large = async {
        let (status, _) = sync(&w.app, &agency, &big).await;
        assert_eq!(status, StatusCode::OK);
        std::time::Instant::now()
    };
    let small = async {
        // Sent once the large batch has committed its first chunk (read from the database,
        // not guessed with a sleep: on a loaded machine a fixed wait let the large batch
        // finish first). Nine chunks are left for the small batch to slip in between.
        let started = std::time::Instant::now();
        loop {
            let made: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM needs_lists WHERE hub_id = $1")
                    .bind(agency_hub)
                    .fetch_one(&db)
                    .await
                    .unwrap();
            if made > before {
                break;
            }
            assert!(
                started.elapsed().as_secs() < 60,
                "the large batch never started"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        db.close().await;
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

/// One user's batches run one after the other (a per-user gate): two sent at once do not
/// interleave their chunks, so one user cannot take every other turn at the writer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_users_batches_take_turns() {
    let w = world().await;
    let main = w.app.signed_in("main").await;
    let event = event_id(&w.app).await;
    let batch = || -> Vec<Value> {
        (0..300)
            .map(|_| intake_op(w.kingston, w.soap, event, 1))
            .collect()
    };
    let (x, y) = (batch(), batch());
    let (a, b) = tokio::join!(sync(&w.app, &main, &x), sync(&w.app, &main, &y));
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    let db = w.app.db().await;
    let span = |ops: &[Value]| {
        let ids: Vec<String> = ops
            .iter()
            .map(|o| format!("'{}'", o["id"].as_str().unwrap()))
            .collect();
        let db = db.clone();
        async move {
            sqlx::query_as::<_, (i64, i64)>(&format!(
                "SELECT MIN(id), MAX(id) FROM stock_movements WHERE operation_id IN ({})",
                ids.join(",")
            ))
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    let ((x_first, x_last), (y_first, y_last)) = (span(&x).await, span(&y).await);
    assert!(
        x_last < y_first || y_last < x_first,
        "interleaved: {x_first}..{x_last} and {y_first}..{y_last}"
    );
}
