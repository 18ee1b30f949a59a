//! Server-rendered pages and no-JS forms: what a browser without JavaScript gets.
use reqwest::StatusCode;

use crate::common::spawn;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_pages_redirect_to_sign_in() {
    let app = spawn().await;
    let res = app
        .client()
        .get(app.url("/admin/hubs"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?next=%2Fadmin%2Fhubs");
    let res = app.client().get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains(">Username</label>") && html.contains(">Password</label>"));
    assert!(html.contains(">Sign in</button>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_form_works_without_javascript() {
    let app = spawn().await;
    let client = app.client();
    let res = app
        .post_form(
            &client,
            "/login",
            &[
                ("username", "admin"),
                ("password", "wrong"),
                ("next", "/admin/users"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/login?error=Incorrect+username+or+password."),
        "{location}"
    );
    assert!(
        !location.contains("username=admin"),
        "what was entered stays out of the URL: {location}"
    );
    let page = client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Incorrect username or password."));
    assert!(page.contains("value=\"admin\""), "entered username is kept");

    let res = app
        .post_form(
            &client,
            "/login",
            &[
                ("username", "admin"),
                ("password", "drims-demo"),
                ("next", "/admin/users"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/admin/users");
    let page = client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Carl Clerk"),
        "users table is rendered on the server"
    );

    let res = app.post_form(&client, "/logout", &[("", ""); 0]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed out again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_never_redirects_off_site() {
    let app = spawn().await;
    let res = app
        .post_form(
            &app.client(),
            "/login",
            &[
                ("username", "lo"),
                ("password", "drims-demo"),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn navigation_follows_the_role() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let html = admin
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for link in [
        "href=\"/admin/users\"",
        "href=\"/admin/hubs\"",
        "href=\"/admin/items\"",
    ] {
        assert!(html.contains(link), "admin nav has {link}");
    }
    let clerk = app.signed_in("clerk").await;
    let html = clerk
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("href=\"/admin/items\""));
    assert!(!html.contains("href=\"/admin/users\"") && !html.contains("href=\"/admin/hubs\""));
    assert!(html.contains("Inventory Clerk · St. Catherine Parish Depot"));
    // Typing the address does not help: the server refuses the data.
    let html = clerk
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("may not manage users"),
        "forbidden message shown"
    );
    assert!(!html.contains("Ada Administrator"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_forms_work_without_javascript_and_keep_input_on_error() {
    let app = spawn().await;
    let admin = app.signed_in("admin").await;
    let res = app
        .post_form(
            &admin,
            "/forms/hubs",
            &[("name", "Portland Depot"), ("type", "SUB")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/admin/hubs?notice="), "{location}");
    let html = admin
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Hub &#x27;Portland Depot&#x27; created.")
            || html.contains("Hub 'Portland Depot' created."),
        "notice shown"
    );
    assert!(html.contains("Portland Depot</td>"));

    let res = app
        .post_form(
            &admin,
            "/forms/items",
            &[
                ("name", "Lantern"),
                ("category", "Shelter"),
                ("unit", ""),
                ("min_qty", "3"),
            ],
        )
        .await;
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("error=Unit+is+required."), "{location}");
    let html = admin
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("value=\"Lantern\""), "entered name kept");
    assert!(html.contains("Unit is required."));
}
