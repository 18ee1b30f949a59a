//! Stock pages over HTTP as a browser without JavaScript sees them: forms, inventory, CSV,
//! dashboards, history — and agency isolation on each.
use reqwest::{Client, StatusCode};

use crate::common::{spawn, TestApp};
use crate::sync::{balance, event_id, intake_op, item_id, movements, sync};

async fn page(app: &TestApp, client: &Client, path: &str) -> String {
    let res = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

/// Posts a form and returns the redirect target.
async fn post_form(app: &TestApp, client: &Client, path: &str, form: &[(&str, String)]) -> String {
    let res = app.post_form(client, path, form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
    res.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_then_distribution_through_the_no_js_forms() {
    let app = spawn().await;
    let clerk = app.signed_in("clerk").await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let item = item_id(&app, "Tarpaulin 4x6 m").await;
    let event = event_id(&app).await;

    let html = page(&app, &clerk, "/intake").await;
    assert!(html.contains("Stock in at St. Catherine Parish Depot"));
    let op_id = html.split("name=\"op_id\" value=\"").nth(1).unwrap()[..36].to_string();
    let intake = [
        ("op_id", op_id.clone()),
        ("hub_id", hub.to_string()),
        ("item_id", item.to_string()),
        ("quantity", "30".into()),
        ("event_id", event.to_string()),
        ("donor", "USAID".into()),
    ];
    let location = post_form(&app, &clerk, "/forms/intake", &intake).await;
    assert!(
        location.contains("notice=Received+30+each+of+Tarpaulin"),
        "{location}"
    );
    // The same page submitted again (reload, double click) is the same operation: applied once.
    post_form(&app, &clerk, "/forms/intake", &intake).await;
    assert_eq!(balance(&app, hub, item).await, 30);
    assert_eq!(movements(&app).await, 1);

    let html = page(&app, &clerk, "/distribution").await;
    assert!(
        html.contains("Tarpaulin 4x6 m — 30 each available"),
        "available stock is shown"
    );
    let op_id = html.split("name=\"op_id\" value=\"").nth(1).unwrap()[..36].to_string();
    let mut dist = vec![
        ("op_id", op_id),
        ("hub_id", hub.to_string()),
        ("item_id", item.to_string()),
        ("quantity", "45".into()),
        ("beneficiary", "Spanish Town shelter".into()),
    ];
    let location = post_form(&app, &clerk, "/forms/distribution", &dist).await;
    assert!(
        location.contains("error=Only+30+each+of+Tarpaulin+4x6+m+in+stock"),
        "{location}"
    );
    assert!(
        !location.contains("Spanish"),
        "names stay out of the URL: {location}"
    );
    let html = page(&app, &clerk, &location).await;
    assert!(html.contains(
        "Only 30 each of Tarpaulin 4x6 m in stock at St. Catherine Parish Depot; 45 requested."
    ));
    assert!(
        html.contains("value=\"Spanish Town shelter\""),
        "entry kept"
    );
    dist[3] = ("quantity", "12".into());
    let location = post_form(&app, &clerk, "/forms/distribution", &dist).await;
    assert!(location.contains("notice=Distributed+12"), "{location}");
    assert_eq!(balance(&app, hub, item).await, 18);

    let html = page(&app, &clerk, "/inventory").await;
    assert!(html.contains("18 each"), "inventory shows the new balance");
    let html = page(&app, &clerk, "/").await;
    assert!(
        html.contains("Intakes today") && html.contains("1 (30 units)"),
        "clerk dashboard counts today's intake"
    );
    assert!(html.contains("Distributions today") && html.contains("1 (12 units)"));
    let html = page(&app, &clerk, "/history").await;
    assert!(html.contains("Spanish Town shelter") && html.contains("USAID"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_form_input_gets_a_specific_message() {
    let app = spawn().await;
    let clerk = app.signed_in("clerk").await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![
                ("op_id", uuid::Uuid::new_v4().to_string()),
                ("hub_id", hub.to_string()),
                ("item_id", "1".into()),
                ("quantity", "".into()),
                ("event_id", "1".into()),
            ],
            "Quantity+is+required.",
        ),
        (
            vec![
                ("op_id", uuid::Uuid::new_v4().to_string()),
                ("hub_id", hub.to_string()),
                ("item_id", "1".into()),
                ("quantity", "0".into()),
                ("event_id", "1".into()),
            ],
            "Quantity+must+be+at+least+1.",
        ),
        (
            vec![
                ("op_id", "stale".into()),
                ("hub_id", hub.to_string()),
                ("item_id", "1".into()),
                ("quantity", "3".into()),
                ("event_id", "1".into()),
            ],
            "reload+the+page",
        ),
        (
            vec![
                ("op_id", uuid::Uuid::new_v4().to_string()),
                ("hub_id", hub.to_string()),
                ("item_id", "1".into()),
                ("quantity", "three".into()),
                ("event_id", "1".into()),
            ],
            "could+not+be+read",
        ),
    ];
    for (form, expected) in cases {
        let location = post_form(&app, &clerk, "/forms/intake", &form).await;
        assert!(location.contains(expected), "{location}");
    }
    assert_eq!(movements(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_search_filter_and_csv() {
    let app = spawn().await;
    let lm = app.signed_in("lm").await;
    let hub = app.hub_id("Kingston Central Warehouse").await;
    let event = event_id(&app).await;
    let rice = item_id(&app, "Rice 5 kg").await;
    sync(&app, &lm, &[intake_op(hub, rice, event, 120)]).await;

    let html = page(&app, &lm, &format!("/inventory?hub={hub}&q=rice")).await;
    assert!(
        html.contains("Rice 5 kg") && !html.contains("Canned beans"),
        "search narrows the list"
    );
    assert!(html.contains("120 case"));
    let html = page(&app, &lm, &format!("/inventory?hub={hub}&category=Medical")).await;
    assert!(html.contains("First aid kit") && !html.contains("Rice 5 kg"));
    assert!(
        html.contains("Low stock"),
        "items under their minimum are flagged"
    );

    let res = lm
        .get(app.url(&format!("/inventory/export.csv?hub={hub}&q=rice")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "SKU,Item,Category,Unit,Quantity,Min qty,Low stock,Last movement"
    );
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].contains(",Rice 5 kg,Food,case,120,50,no,"),
        "{}",
        lines[1]
    );
}

/// The agency's 4321 shown as a figure (not as four hex digits inside a random token, nonce
/// or operation id, which pages carry too).
fn shows_4321(html: &str) -> bool {
    html.contains(">4321") || html.contains("4321 ") || html.contains("4,321")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agency_stock_stays_with_the_agency_on_every_page() {
    let app = spawn().await;
    let agency = app.signed_in("agency").await;
    let agency_hub = app.hub_id("Red Cross Kingston").await;
    let other_agency = app.hub_id("Food for the Poor Spanish Town").await;
    let gov_hub = app.hub_id("Kingston Central Warehouse").await;
    let event = event_id(&app).await;
    let item = item_id(&app, "Blanket").await;
    sync(&app, &agency, &[intake_op(agency_hub, item, event, 4321)]).await;
    sync(
        &app,
        &app.signed_in("main").await,
        &[intake_op(gov_hub, item, event, 999)],
    )
    .await;

    // The agency sees its own stock and nothing else.
    assert!(page(&app, &agency, "/inventory")
        .await
        .contains("4321 each"));
    assert!(page(&app, &agency, "/").await.contains("4321"));
    for path in [
        format!("/inventory?hub={gov_hub}"),
        format!("/inventory?hub={other_agency}"),
        format!("/history?hub={gov_hub}"),
    ] {
        let html = page(&app, &agency, &path).await;
        assert!(
            html.contains("role=\"alert\"") && !html.contains("999 each"),
            "{path}"
        );
    }
    assert!(!page(&app, &agency, "/history")
        .await
        .contains("Kingston Central Warehouse"));
    let res = agency
        .get(app.url(&format!("/inventory/export.csv?hub={gov_hub}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!page(&app, &agency, "/intake")
        .await
        .contains("Kingston Central Warehouse"));

    // Government never sees agency stock: pages, totals, exports, history, dashboards.
    for user in ["admin", "lm", "lo", "auditor", "main", "sub", "clerk"] {
        let client = app.signed_in(user).await;
        for path in ["/", "/inventory", "/history", "/intake", "/distribution"] {
            let html = page(&app, &client, path).await;
            assert!(!shows_4321(&html), "{user} {path} shows agency stock");
        }
        let html = page(&app, &client, &format!("/inventory?hub={agency_hub}")).await;
        assert!(
            html.contains("role=\"alert\"") && !shows_4321(&html),
            "{user} agency inventory refused"
        );
        let res = client
            .get(app.url(&format!("/inventory/export.csv?hub={agency_hub}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{user} agency CSV refused"
        );
    }
    let lm = app.signed_in("lm").await;
    let html = page(&app, &lm, "/").await;
    assert!(
        html.contains("Government stock (units)") && html.contains(">999<"),
        "LM total counts government stock only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_gets_its_dashboard_with_real_figures() {
    let app = spawn().await;
    let main = app.signed_in("main").await;
    let hub = app.hub_id("Kingston Central Warehouse").await;
    let event = event_id(&app).await;
    let item = item_id(&app, "Shovel").await;
    sync(&app, &main, &[intake_op(hub, item, event, 7)]).await;
    let expectations = [
        (
            "lm",
            vec![
                "Logistics overview",
                "Government stock by category",
                "<svg",
                "Tools",
                "Kingston Central Warehouse",
            ],
        ),
        (
            "lo",
            vec!["Logistics officer", "Lists Submitted", "Lists you prepared"],
        ),
        (
            "main",
            vec![
                "Kingston Central Warehouse dashboard",
                "Stock on hand (units)",
                "Low-stock items",
            ],
        ),
        (
            "sub",
            vec!["St. Catherine Parish Depot dashboard", "Recent movements"],
        ),
        (
            "agency",
            vec!["Red Cross Kingston dashboard", "Receipts, last 30 days"],
        ),
        ("clerk", vec!["Intakes today", "Item lines in stock"]),
        (
            "auditor",
            vec![
                "Monitoring and evaluation",
                "Completed within 14 days",
                "Movements, last 30 days",
            ],
        ),
        (
            "admin",
            vec![
                "Administration",
                "Active users by role",
                "Devices by mode",
                "test-laptop",
            ],
        ),
    ];
    for (user, needles) in expectations {
        let html = page(&app, &app.signed_in(user).await, "/").await;
        for needle in needles {
            assert!(html.contains(needle), "{user} dashboard lacks {needle}");
        }
    }
    let html = page(&app, &main, "/").await;
    assert!(
        html.contains("Stock on hand (units)</dt><dd>7<"),
        "own stock total"
    );
    assert!(
        !html.contains("Shovel"),
        "7 shovels are not below the minimum of 5, so not listed as low"
    );
    assert!(
        html.contains("Adult clothing pack"),
        "never-stocked items with a minimum are low"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn needs_list_through_the_no_js_form() {
    let app = spawn().await;
    let clerk = app.signed_in("clerk").await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let blankets = item_id(&app, "Blanket").await;
    let water = item_id(&app, "Bottled water 24x500 ml").await;
    let event = event_id(&app).await;

    let html = page(&app, &clerk, "/needs-lists/new").await;
    assert!(html.contains("Supplies requested by St. Catherine Parish Depot"));
    let op_id = html.split("name=\"op_id\" value=\"").nth(1).unwrap()[..36].to_string();
    let mut form = vec![
        ("op_id", op_id),
        ("hub_id", hub.to_string()),
        ("event_id", event.to_string()),
        ("priority", "Urgent".into()),
        ("submit", "true".into()),
        ("item_id_1", blankets.to_string()),
        ("quantity_1", "120".into()),
        ("justification_1", "Two shelters".into()),
        ("item_id_2", String::new()),
        ("quantity_2", String::new()),
        ("item_id_3", water.to_string()),
        ("quantity_3", String::new()),
    ];
    // A line with an item but no quantity: named, and everything entered comes back.
    let location = post_form(&app, &clerk, "/forms/needs-list", &form).await;
    assert!(
        location.contains("error=Line+3%3A+enter+a+quantity."),
        "{location}"
    );
    assert!(!location.contains("Two+shelters"), "{location}");
    let html = page(&app, &clerk, &location).await;
    assert!(
        html.contains("Two shelters"),
        "everything entered comes back"
    );
    form.retain(|(k, _)| *k != "quantity_3");
    form.push(("quantity_3", "40".into()));
    let location = post_form(&app, &clerk, "/forms/needs-list", &form).await;
    assert!(location.contains("notice=Needs+list+NL-"), "{location}");
    assert!(location.contains("saved+as+Submitted"), "{location}");
    // Submitted twice (reload): one list.
    post_form(&app, &clerk, "/forms/needs-list", &form).await;
    let db = app.db().await;
    let lists: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, priority, status FROM needs_lists WHERE hub_id = $1")
            .bind(hub)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(
        (lists[0].1.as_str(), lists[0].2.as_str()),
        ("Urgent", "Submitted")
    );
    let lines: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT item_id, quantity FROM needs_list_lines WHERE needs_list_id = $1 ORDER BY item_id",
    )
    .bind(lists[0].0)
    .fetch_all(&db)
    .await
    .unwrap();
    let mut expected = vec![(blankets, 120), (water, 40)];
    expected.sort();
    assert_eq!(lines, expected);

    // A MAIN hub user makes no needs lists: the page says why.
    let main = app.signed_in("main").await;
    let html = page(&app, &main, "/needs-lists/new").await;
    assert!(
        !html.contains("/forms/needs-list"),
        "no form for a MAIN hub user"
    );
    assert!(
        html.contains("Your role (Main Hub User) may not create or edit needs lists."),
        "the reason is shown"
    );
}

/// The inventory page's data as the browser asks for it on a client-side navigation with no
/// filter: the query's fields are all empty, so the form body is empty. It was refused with
/// 500 "missing field `query`" (the page then said it was offline).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_data_with_no_filter_is_answered() {
    let app = spawn().await;
    let clerk = app.signed_in("clerk").await;
    let res = clerk
        .post(app.url("/api/fn/inventory"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    let (status, body) = crate::common::read(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["hub"]["name"], "St. Catherine Parish Depot", "{body}");
    assert!(
        body["lines"].as_array().is_some_and(|l| !l.is_empty()),
        "{body}"
    );
}
