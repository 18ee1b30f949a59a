//! Finding 6: security headers on every response, no-store on data, `__Host-` cookie over HTTPS.
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{spawn, spawn_with};

/// Finding 6: CSP (scripts and WASM from self, inline scripts only with this response's
/// nonce), framing, sniffing and referrer policies, and no caching of anything with data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let app = spawn().await;
    let lm = app.signed_in("lm").await;
    let hub = app.hub_id("Kingston Central Warehouse").await;
    for path in [
        "/".to_string(),
        "/login".into(),
        "/inventory".into(),
        format!("/inventory/export.csv?hub={hub}"),
        "/api/session".into(),
        "/api/offline/snapshot".into(),
        "/no-such-page".into(),
    ] {
        let res = lm.get(app.url(&path)).send().await.unwrap();
        let h = res.headers().clone();
        let csp = h["content-security-policy"].to_str().unwrap().to_string();
        for part in [
            "default-src 'self'",
            "'wasm-unsafe-eval'",
            "connect-src 'self'",
            "worker-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "plain http");
        if path == "/" {
            // Every inline script Leptos writes carries the nonce the policy allows.
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .and_then(|r| r.split('\'').next())
                .unwrap()
                .to_string();
            let html = res.text().await.unwrap();
            let scripts = html.matches("<script").count();
            let with_nonce = html
                .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count()
                + html.matches(&format!("<script nonce=\"{nonce}\"")).count();
            assert!(scripts > 0, "the page hydrates");
            assert_eq!(scripts, with_nonce, "every inline script has the nonce");
        }
    }
    // Two responses never share a nonce.
    let a = lm.get(app.url("/")).send().await.unwrap();
    let b = lm.get(app.url("/")).send().await.unwrap();
    assert_ne!(
        a.headers()["content-security-policy"],
        b.headers()["content-security-policy"]
    );
}

/// Finding 6: over HTTPS the session cookie is `__Host-` prefixed and Secure, HSTS is sent,
/// and a plain `drims_session` cookie (which a sibling subdomain could plant) is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_cookie_is_host_prefixed_and_hsts_is_sent() {
    let app = spawn_with(|c| c.secure_cookie = true).await;
    let res = app
        .client()
        .post(app.url("/api/session"))
        .json(&json!({ "username": "auditor", "password": "drims-demo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-drims_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
    let token = cookie
        .trim_start_matches("__Host-drims_session=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let me = |cookie: String| {
        let client = app.client();
        let url = app.url("/api/session");
        async move {
            client
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        me(format!("__Host-drims_session={token}")).await,
        StatusCode::OK
    );
    assert_eq!(
        me(format!("drims_session={token}")).await,
        StatusCode::UNAUTHORIZED
    );
}
