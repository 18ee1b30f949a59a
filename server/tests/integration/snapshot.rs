//! The offline snapshot on a poor link (issue 13, item 8): compressed, a strong ETag naming
//! what the user sees (304 with no body when unchanged), and the needs lists a MAIN/SUB
//! user's hub supplies, with that hub's allocations, never more than the list page shows.
use std::io::Read;

use reqwest::header::{CACHE_CONTROL, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{spawn, TestApp};
use crate::needs_lists::{create, list_in, list_in_with, world};
use crate::sync::{event_id, intake_op, item_id, op, sync};

async fn get(app: &TestApp, client: &Client, if_none_match: Option<&str>) -> reqwest::Response {
    let mut req = client.get(app.url("/api/offline/snapshot"));
    if let Some(tag) = if_none_match {
        req = req.header(IF_NONE_MATCH, tag);
    }
    req.send().await.unwrap()
}

async fn snapshot(app: &TestApp, user: &str) -> Value {
    let res = get(app, &app.signed_in(user).await, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn etag(res: &reqwest::Response) -> String {
    res.headers()[ETAG].to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_are_served_compressed_with_brotli_or_gzip() {
    let app = spawn().await;
    let lm = app.signed_in("lm").await;
    let plain = get(&app, &lm, None).await;
    assert_eq!(plain.headers().get(CONTENT_ENCODING), None);
    let plain: Value = plain.json().await.unwrap();
    for encoding in ["br", "gzip"] {
        let res = lm
            .get(app.url("/api/offline/snapshot"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[CONTENT_ENCODING], encoding);
        let bytes = res.bytes().await.unwrap();
        let mut json = Vec::new();
        match encoding {
            "br" => brotli::Decompressor::new(&bytes[..], 4096)
                .read_to_end(&mut json)
                .unwrap(),
            _ => flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut json)
                .unwrap(),
        };
        assert!(
            bytes.len() * 3 < json.len(),
            "{encoding}: {} of {}",
            bytes.len(),
            json.len()
        );
        let mut json: Value = serde_json::from_slice(&json).unwrap();
        json["generated_at"] = plain["generated_at"].clone();
        assert_eq!(json, plain);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_snapshot_is_304_with_no_body() {
    let app = spawn().await;
    let sub = app.signed_in("sub").await;
    let first = get(&app, &sub, None).await;
    assert_eq!(first.status(), StatusCode::OK);
    let tag = etag(&first);
    assert!(
        tag.starts_with('"') && tag.ends_with('"') && tag.len() == 34,
        "{tag}"
    );
    assert_eq!(first.headers()[CACHE_CONTROL], "no-store");

    for header in [tag.clone(), format!("W/{tag}"), format!("\"other\", {tag}")] {
        let res = sub
            .get(app.url("/api/offline/snapshot"))
            .header(IF_NONE_MATCH, &header)
            .header("accept-encoding", "br, gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{header}");
        assert_eq!(etag(&res), tag);
        assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
        assert_eq!(res.headers().get(CONTENT_ENCODING), None);
        assert!(res.bytes().await.unwrap().is_empty(), "no body");
    }

    // A change the user cannot see (stock at another hub) leaves the tag alone...
    let kingston = app.hub_id("Kingston Central Warehouse").await;
    let sub_hub = app.hub_id("St. Catherine Parish Depot").await;
    let item = item_id(&app, "Blanket").await;
    let event = event_id(&app).await;
    let main = app.signed_in("main").await;
    sync(&app, &main, &[intake_op(kingston, item, event, 9)]).await;
    let res = get(&app, &sub, Some(&tag)).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    // ...an intake at the user's hub changes it.
    let (_, res) = sync(&app, &sub, &[intake_op(sub_hub, item, event, 7)]).await;
    assert_eq!(res["results"][0]["status"], "applied");
    let res = get(&app, &sub, Some(&tag)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let new_tag = etag(&res);
    assert_ne!(new_tag, tag);
    let body: Value = res.json().await.unwrap();
    assert!(body["hubs"][0]["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["item_id"] == item && l["quantity"] == 7));
    assert_eq!(
        get(&app, &sub, Some(&new_tag)).await.status(),
        StatusCode::NOT_MODIFIED
    );
}

/// The user is in the tag: the clerk at the same hub sees the same stock, yet the sub-hub
/// user's tag never validates the clerk's snapshot (nor any other user's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_etag_never_validates() {
    let app = spawn().await;
    let mut tags = Vec::new();
    for user in crate::common::DEMO_USERS {
        let client = app.signed_in(user).await;
        let tag = etag(&get(&app, &client, None).await);
        assert_eq!(
            get(&app, &client, Some(&tag)).await.status(),
            StatusCode::NOT_MODIFIED,
            "{user}"
        );
        tags.push((user, client, tag));
    }
    for (user, client, _) in &tags {
        for (other, _, tag) in &tags {
            if user != other {
                let res = get(&app, client, Some(tag)).await;
                assert_eq!(res.status(), StatusCode::OK, "{other}'s tag for {user}");
            }
        }
    }
}

fn lists(snap: &Value) -> Vec<&Value> {
    snap["needs_lists"].as_array().unwrap().iter().collect()
}

fn find(snap: &Value, id: i64) -> Option<&Value> {
    lists(snap).into_iter().find(|l| l["id"] == id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_hubs_snapshot_has_the_lists_it_supplies_with_its_allocations() {
    let w = world().await;
    // Kingston supplies the first list alone; the second from Kingston and St. Catherine.
    let from_kingston = list_in(&w, "Approved").await;
    let shared = list_in_with(
        &w,
        "Approved",
        &[(w.tent, w.kingston, 30), (w.tent, w.st_catherine, 10)],
    )
    .await;
    let unallocated = create(&w, true).await;

    let main = snapshot(&w.app, "main").await;
    let list = find(&main, from_kingston).expect("Kingston's user has the list it supplies");
    assert_eq!(list["status"], "Approved");
    assert_eq!(list["lines"].as_array().unwrap().len(), 2);
    let mut allocated = vec![
        json!({ "item_id": w.tent, "quantity": 40 }),
        json!({ "item_id": w.soap, "quantity": 100 }),
    ];
    allocated.sort_by_key(|a| a["item_id"].as_i64());
    assert_eq!(
        list["supply"],
        json!({ "requester": "Manchester Parish Depot", "requester_type": "SUB",
                "allocations": allocated })
    );
    assert_eq!(
        find(&main, shared).unwrap()["supply"]["allocations"],
        json!([{ "item_id": w.tent, "quantity": 30 }]),
        "Kingston's allocations only"
    );
    assert!(
        find(&main, unallocated).is_none(),
        "not supplied by Kingston"
    );

    let sub = snapshot(&w.app, "sub").await;
    assert!(
        find(&sub, from_kingston).is_none(),
        "St. Catherine is no source"
    );
    assert_eq!(
        find(&sub, shared).unwrap()["supply"]["allocations"],
        json!([{ "item_id": w.tent, "quantity": 10 }])
    );
    // The same at the clerk's desk (a source hub's clerk may dispatch too).
    let clerk = snapshot(&w.app, "clerk").await;
    assert_eq!(
        find(&clerk, shared).unwrap()["supply"],
        find(&sub, shared).unwrap()["supply"]
    );

    // The requester gets its own lists, without a supply part.
    let manchester = snapshot(&w.app, "manchester").await;
    for id in [from_kingston, shared, unallocated] {
        let list = find(&manchester, id).expect("own list");
        assert!(list.get("supply").is_none(), "{list}");
    }

    // From what the snapshot holds, the dispatch can be queued (it waits for a person online).
    let main_client = w.app.signed_in("main").await;
    let hub = main["user"]["hub_id"].as_i64().unwrap();
    let (_, res) = sync(
        &w.app,
        &main_client,
        &[op(
            "needs_list_dispatch",
            hub,
            json!({ "needs_list_id": list["id"] }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "pending_confirmation", "{res}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agency_snapshot_holds_its_own_lists_only() {
    let w = world().await;
    let supplied = list_in(&w, "Approved").await;
    let agency_hub = w.app.hub_id("Red Cross Kingston").await;
    let agency = w.app.signed_in("agency").await;
    let (_, res) = sync(
        &w.app,
        &agency,
        &[op(
            "needs_list_create",
            agency_hub,
            json!({ "event_id": event_id(&w.app).await, "priority": "High", "submit": true,
                    "lines": [ { "item_id": w.tent, "quantity": 5 } ] }),
        )],
    )
    .await;
    assert_eq!(res["results"][0]["status"], "applied", "{res}");
    let manchester = list_in_with(&w, "Approved", &[(w.tent, w.kingston, 1)]).await;
    let snap = snapshot(&w.app, "agency").await;
    let lists = lists(&snap);
    assert_eq!(lists.len(), 1, "{lists:?}");
    assert_eq!(lists[0]["hub_id"], agency_hub);
    assert!(lists[0].get("supply").is_none());
    assert!(find(&snap, supplied).is_none() && find(&snap, manchester).is_none());
    // Nor does a government user's snapshot grow supply parts it has no hub for.
    let lm = snapshot(&w.app, "lm").await;
    assert!(lists_have_no_supply(&lm));
}

fn lists_have_no_supply(snap: &Value) -> bool {
    lists(snap).iter().all(|l| l.get("supply").is_none())
}
