//! The shell list from a build directory laid out as `cargo leptos build` leaves it, with the
//! repository's real manifest, icons and start script.
use std::path::Path;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};

use super::*;

fn client() -> ClientFiles {
    ClientFiles {
        js: "/pkg/drims.AbC123.js".into(),
        wasm: "/pkg/drims.DeF456.wasm".into(),
        css: "/pkg/drims.GhI789.css".into(),
    }
}

/// A site root with this repository's `public/` and a fake client build.
fn site(wasm: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let public = Path::new(env!("CARGO_MANIFEST_DIR")).join("../public");
    copy_dir(&public, dir.path());
    std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
    let js = "export default function init() {}\n".repeat(200);
    std::fs::write(dir.path().join("pkg/drims.AbC123.js"), js).unwrap();
    std::fs::write(dir.path().join("pkg/drims.DeF456.wasm"), wasm).unwrap();
    std::fs::write(
        dir.path().join("pkg/drims.GhI789.css"),
        "body { color: #111; }\n".repeat(100),
    )
    .unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn wasm() -> Vec<u8> {
    (0..200_000u32).map(|i| (i % 7) as u8).collect()
}

#[test]
fn the_list_is_every_file_the_shell_references_with_its_hash() {
    let dir = site(&wasm());
    let shell = AppShell::build(dir.path(), client()).expect("complete build");
    let urls: Vec<&str> = shell.precache.iter().map(|e| e.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "/icons/any-192.png",
            "/icons/any-512.png",
            "/icons/maskable-512.png",
            "/manifest.webmanifest",
            "/offline.html",
            "/offline.js",
            "/pkg/drims.AbC123.js",
            "/pkg/drims.DeF456.wasm",
            "/pkg/drims.GhI789.css",
        ]
    );
    let wasm_entry = shell
        .precache
        .iter()
        .find(|e| e.url.ends_with(".wasm"))
        .unwrap();
    assert_eq!(wasm_entry.sha256, hex(&Sha256::digest(wasm())));
    assert_eq!(wasm_entry.bytes, 200_000);
    // The worker carries the list and a cache named by the build.
    let worker = String::from_utf8(shell.files[WORKER_URL].identity.clone()).unwrap();
    assert!(worker.contains(&format!("const BUILD = '{}';", shell.version)));
    assert!(worker.contains(&serde_json::to_string(&shell.precache).unwrap()));
    assert!(worker.contains("`drims-shell-${BUILD}`"));
    // The offline page starts this build's client.
    let page = String::from_utf8(shell.files[OFFLINE_URL].identity.clone()).unwrap();
    assert!(page.contains(r#"data-js="/pkg/drims.AbC123.js" data-wasm="/pkg/drims.DeF456.wasm""#));
    assert!(page.contains(r#"href="/pkg/drims.GhI789.css""#));
}

#[test]
fn a_build_lacking_a_referenced_file_is_refused_with_its_name() {
    let dir = site(&wasm());
    std::fs::remove_file(dir.path().join("icons/maskable-512.png")).unwrap();
    let err = AppShell::build(dir.path(), client())
        .err()
        .expect("refused");
    assert!(err.contains("/icons/maskable-512.png"), "{err}");
    let dir = site(&wasm());
    std::fs::remove_file(dir.path().join("pkg/drims.DeF456.wasm")).unwrap();
    let err = AppShell::build(dir.path(), client())
        .err()
        .expect("refused");
    assert!(err.contains("/pkg/drims.DeF456.wasm"), "{err}");
}

/// A client built with `--split`: the glue imports the split loader (needed to start, so
/// precached), which fetches the online-only pages' WASM files on demand (served compressed and
/// cached for good, never precached: the offline device does not need them).
fn split_site() -> tempfile::TempDir {
    let dir = site(&wasm());
    let glue = "let _,e;import*as n from\"./__wasm_split.SpL1t.js\";import*as t from\"./__wasm_split.SpL1t.js\";\
                export default function init(){return Array.from([])}\n"
        .repeat(50);
    std::fs::write(dir.path().join("pkg/drims.AbC123.js"), glue).unwrap();
    let loader = "import { initSync } from \"./drims.AbC123.js\";\n\
        const a = makeLoad(() => { const src = fetch(new URL(\"./chunk_1.ChU.wasm\", import.meta.url)); }, []);\n\
        const b = makeLoad(() => { const src = fetch(new URL(\"./split_transfers.TrA.wasm\", import.meta.url)); }, [a]);\n"
        .repeat(20);
    std::fs::write(dir.path().join("pkg/__wasm_split.SpL1t.js"), loader).unwrap();
    std::fs::write(dir.path().join("pkg/chunk_1.ChU.wasm"), wasm()).unwrap();
    std::fs::write(
        dir.path().join("pkg/split_transfers.TrA.wasm"),
        &wasm()[..5000],
    )
    .unwrap();
    dir
}

#[test]
fn the_split_loader_is_precached_and_the_online_pages_files_only_served() {
    let dir = split_site();
    let shell = AppShell::build(dir.path(), client()).expect("complete build");
    let urls: Vec<&str> = shell.precache.iter().map(|e| e.url.as_str()).collect();
    assert!(urls.contains(&"/pkg/__wasm_split.SpL1t.js"), "{urls:?}");
    assert!(
        !urls
            .iter()
            .any(|u| u.contains("chunk_") || u.contains("split_")),
        "{urls:?}"
    );
    assert_eq!(urls.len(), 10, "{urls:?}");
    for path in [
        "/pkg/chunk_1.ChU.wasm",
        "/pkg/split_transfers.TrA.wasm",
        "/pkg/__wasm_split.SpL1t.js",
    ] {
        let res = get(&shell, path, "gzip, deflate, br");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "br", "{path}");
        assert_eq!(
            res.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable",
            "{path}"
        );
    }
    // A page's file missing from the build is an error naming it.
    std::fs::remove_file(dir.path().join("pkg/split_transfers.TrA.wasm")).unwrap();
    let err = AppShell::build(dir.path(), client())
        .err()
        .expect("refused");
    assert!(err.contains("/pkg/split_transfers.TrA.wasm"), "{err}");
    std::fs::remove_file(dir.path().join("pkg/__wasm_split.SpL1t.js")).unwrap();
    let err = AppShell::build(dir.path(), client())
        .err()
        .expect("refused");
    assert!(err.contains("/pkg/__wasm_split.SpL1t.js"), "{err}");
}

#[test]
fn the_version_follows_the_content() {
    let a = AppShell::build(site(&wasm()).path(), client()).unwrap();
    let b = AppShell::build(site(&wasm()).path(), client()).unwrap();
    assert_eq!(a.version, b.version);
    let mut other = wasm();
    other[10] ^= 1;
    let c = AppShell::build(site(&other).path(), client()).unwrap();
    assert_ne!(a.version, c.version);
    assert_eq!(a.version.len(), 16);
}

fn get(shell: &AppShell, path: &str, accept: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_str(accept).unwrap(),
    );
    shell.respond(path, &headers, false).expect("a shell file")
}

#[test]
fn compressed_as_the_browser_accepts_hashed_files_cached_for_good() {
    let dir = site(&wasm());
    let shell = AppShell::build(dir.path(), client()).unwrap();
    let wasm_url = "/pkg/drims.DeF456.wasm";
    let res = get(&shell, wasm_url, "gzip, deflate, br, zstd");
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(
        res.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(res.headers()[header::VARY], "Accept-Encoding");
    let res = get(&shell, wasm_url, "gzip, br;q=0");
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    let res = get(&shell, wasm_url, "identity");
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    // Unhashed names are revalidated every time; PNGs are not compressed again.
    let res = get(&shell, "/manifest.webmanifest", "br");
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/manifest+json"
    );
    let res = get(&shell, "/icons/any-512.png", "br");
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    let res = get(&shell, WORKER_URL, "br");
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
    // A revalidation of an unchanged file costs no body.
    let etag = res.headers()[header::ETAG].clone();
    let mut headers = HeaderMap::new();
    headers.insert(header::IF_NONE_MATCH, etag);
    let res = shell.respond(WORKER_URL, &headers, false).unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    // Anything else is not the shell's.
    assert!(shell
        .respond("/api/offline/snapshot", &HeaderMap::new(), false)
        .is_none());
    assert!(shell
        .respond("/inventory", &HeaderMap::new(), false)
        .is_none());
    let (raw, br) = shell.sizes();
    assert!(br < raw, "{br} < {raw}");
}

#[test]
fn hash_file_names_the_clients_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hash.txt");
    std::fs::write(&path, "js: AbC123\nwasm: DeF456\ncss: GhI789\n").unwrap();
    let options = LeptosOptions::builder()
        .output_name("drims")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .hash_files(true)
        .build();
    assert_eq!(ClientFiles::of(&options, Some(&path)).unwrap(), client());
    std::fs::write(&path, "js: AbC123\nwasm: DeF456\n").unwrap();
    let err = ClientFiles::of(&options, Some(&path)).unwrap_err();
    assert!(err.contains("no css file"), "{err}");
}
