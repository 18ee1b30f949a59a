//! Findings 4, 5, 7, 8: login CSRF, cross-site form posts, form values kept out of URLs, CSV
//! formula injection.
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{form_token_in, read, spawn};
use crate::sync::{event_id, intake_op, sync};

async fn hub_count(app: &crate::common::TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM hubs")
        .fetch_one(&app.db().await)
        .await
        .unwrap()
}

/// Finding 4: a cross-site page cannot sign a victim in (as the attacker).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_refuses_cross_site_posts() {
    let app = spawn().await;
    let victim = app.client();
    let creds = [
        ("username", "agency"),
        ("password", "drims-demo"),
        ("next", "/"),
    ];
    // Without the token of the victim's own sign-in page (a cross-site form cannot read it).
    let res = victim
        .post(app.url("/login"))
        .form(&creds)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get("set-cookie").is_none());
    // With a token, but sent from another origin or another site.
    let token = app.form_token(&victim).await;
    let mut with_token = creds.to_vec();
    with_token.push(("csrf", &token));
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let res = victim
            .post(app.url("/login"))
            .header(name, value)
            .form(&with_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(res.headers().get("set-cookie").is_none());
    }
    // The JSON sign-in from another origin, too.
    let res = victim
        .post(app.url("/api/session"))
        .header("origin", "https://evil.example")
        .json(&json!({ "username": "agency", "password": "drims-demo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The page's own form works.
    let res = victim
        .post(app.url("/login"))
        .header("origin", app.base.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&with_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/");
}

/// Finding 5: every no-JS form needs this site's origin and the session's form token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_posts_need_this_site_and_the_session_token() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let before = hub_count(&app).await;
    let hub = [("name", "Forged Depot"), ("type", "SUB")];
    let token = app.form_token(&admin).await;
    let other = app.signed_in("lm").await;
    let others_token = app.form_token(&other).await;
    assert_ne!(token, others_token, "tokens are per session");
    let cases: [(&str, &str, &str); 5] = [
        ("", "", ""),
        ("", "", "0000"),
        ("", "", others_token.as_str()),
        ("origin", "https://drims.example.evil", token.as_str()),
        ("sec-fetch-site", "same-site", token.as_str()),
    ];
    for (header, value, csrf) in cases {
        let mut form = hub.to_vec();
        if !csrf.is_empty() {
            form.push(("csrf", csrf));
        }
        let mut req = admin.post(app.url("/forms/hubs")).form(&form);
        if !header.is_empty() {
            req = req.header(header, value);
        }
        let res = req.send().await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{header} {value} {csrf}"
        );
        assert!(res.text().await.unwrap().contains("Reload the page"));
    }
    // Bodiless handlers too (sign-out, mark as read, confirmations).
    for path in [
        "/logout",
        "/forms/notifications/read",
        "/forms/confirmations/1/confirm",
    ] {
        let res = admin.post(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(hub_count(&app).await, before, "nothing was created");
    assert_eq!(
        admin
            .get(app.url("/api/session"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "still signed in"
    );
    // The JSON API refuses other origins as well.
    let res = admin
        .post(app.url("/api/hubs"))
        .header("origin", "https://evil.example")
        .json(&json!({ "name": "Forged Depot", "type": "SUB" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The real form, from the page, works.
    let res = app.post_form(&admin, "/forms/hubs", &hub).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(hub_count(&app).await, before + 1);
    // Every form on the pages carries the token.
    let html = admin
        .get(app.url("/admin/hubs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let forms = html.matches("<form method=\"post\"").count();
    let fields = html
        .matches(&format!("name=\"csrf\" value=\"{token}\""))
        .count();
    assert!(
        forms > 1 && fields == forms,
        "{forms} forms, {fields} tokens"
    );
    assert_eq!(form_token_in(&html), token);
}

/// The offline page (served by the service worker with no network) carries no form token, and
/// a browser restarted since its last page has no form cookie either. Back online, the client
/// reads the token from its session check, which starts the cookie when there is none; the
/// forms then post. The token is this browser's: another's is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_a_page_gets_its_form_token_from_the_session_check() {
    let app = spawn().await;
    // Signed in through the JSON API only: no page, so no form cookie yet.
    let admin = app.signed_in("admin").await;
    let before = hub_count(&app).await;
    let hub = [("name", "Depot After Outage"), ("type", "SUB")];
    let res = admin.get(app.url("/api/session")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.headers()["x-form-token"].to_str().unwrap().to_string();
    assert_eq!(token.len(), 64, "{token}");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("drims_csrf="), "{cookie}");
    assert_eq!(res.headers()["cache-control"], "no-store");
    // Asked again: the same token (the cookie is kept, not started again).
    let again = admin.get(app.url("/api/session")).send().await.unwrap();
    assert_eq!(again.headers()["x-form-token"].to_str().unwrap(), token);
    assert!(again.headers().get("set-cookie").is_none());
    // Another browser's token does not work here.
    let other = app.signed_in("admin").await;
    let res = other.get(app.url("/api/session")).send().await.unwrap();
    let others_token = res.headers()["x-form-token"].to_str().unwrap().to_string();
    assert_ne!(others_token, token);
    let mut forged = hub.to_vec();
    forged.push(("csrf", &others_token));
    let res = admin
        .post(app.url("/forms/hubs"))
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(hub_count(&app).await, before);
    // Its own token does; and the pages it loads later carry the same one.
    let mut form = hub.to_vec();
    form.push(("csrf", &token));
    let res = admin
        .post(app.url("/forms/hubs"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(hub_count(&app).await, before + 1);
    assert_eq!(app.form_token(&admin).await, token);
    // Only the session check gives it out.
    let res = admin.get(app.url("/api/ping")).send().await.unwrap();
    assert!(res.headers().get("x-form-token").is_none());
}

/// Finding 7: a refused form's entries (names, notes) never go into the redirect URL; the
/// next page still shows them, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_forms_keep_names_and_notes_out_of_urls() {
    let app = spawn().await;
    let clerk = app.signed_in("clerk").await;
    let hub = app.hub_id("St. Catherine Parish Depot").await;
    let item = crate::sync::item_id(&app, "Tarpaulin 4x6 m").await;
    let form = [
        ("op_id", uuid::Uuid::new_v4().to_string()),
        ("hub_id", hub.to_string()),
        ("item_id", item.to_string()),
        ("quantity", "999".into()),
        ("beneficiary", "Maria Brown".into()),
        ("notes", "Lives at 12 Hope Road".into()),
    ];
    let res = app.post_form(&clerk, "/forms/distribution", &form).await;
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("error="), "{location}");
    assert!(
        !location.contains("Maria") && !location.contains("Hope"),
        "{location}"
    );
    let page = |path: String| {
        let clerk = clerk.clone();
        let url = app.url(&path);
        async move { clerk.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let html = page(location.clone()).await;
    assert!(html.contains("value=\"Maria Brown\""), "kept for the user");
    assert!(html.contains("Lives at 12 Hope Road"));
    let html = page(location).await;
    assert!(!html.contains("Maria Brown"), "shown once only");
}

/// Finding 8: a cell a spreadsheet would run as a formula is neutralised in every export.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_exports_neutralise_formulas() {
    let app = spawn().await;
    let lm = app.signed_in("lm").await;
    let (status, item) = read(
        lm.post(app.url("/api/items"))
            .json(&json!({
                "name": "=HYPERLINK(\"http://evil.example\",\"Rice\")",
                "category": "@Food",
                "unit": "+case",
                "min_qty": 1
            }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let hub = app.hub_id("Kingston Central Warehouse").await;
    let event = event_id(&app).await;
    let id = item["id"].as_i64().unwrap();
    sync(&app, &lm, &[intake_op(hub, id, event, 5)]).await;
    let csv = lm
        .get(app.url(&format!("/inventory/export.csv?hub={hub}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = csv.lines().find(|l| l.contains("HYPERLINK")).unwrap();
    assert!(
        line.contains(
            ",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Rice\"\")\",'@Food,'+case,5,"
        ),
        "{line}"
    );
    for cell in line.split(',') {
        let cell = cell.trim_start_matches('"');
        assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell} in {line}");
    }
}
