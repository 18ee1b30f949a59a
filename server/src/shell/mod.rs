//! The installable app shell: the files a device needs to start DRIMS with no network (the
//! content-hashed JS glue, WASM and CSS of this build, the offline page that starts the client,
//! the web app manifest and its icons), listed from the build's own output with a SHA-256
//! each. The list is checked complete (every file the shell references exists), held in memory
//! precompressed (brotli, gzip), and the service worker is generated around it, with a cache
//! named by the build. Nothing in the shell carries user or stock data.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::config::LeptosOptions;
use sha2::{Digest, Sha256};

use crate::state::AppState;

const OFFLINE_PAGE: &str = include_str!("offline.html");
const WORKER: &str = include_str!("service-worker.js");
/// The page the service worker answers a navigation with when the server cannot be reached.
pub const OFFLINE_URL: &str = "/offline.html";
pub const WORKER_URL: &str = "/service-worker.js";
pub const MANIFEST_URL: &str = "/manifest.webmanifest";

/// The content-hashed names of this build's client, as the server-rendered pages link them.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientFiles {
    pub js: String,
    pub wasm: String,
    pub css: String,
}

impl ClientFiles {
    /// The names Leptos renders into every page: with hashed files, from the build's hash file
    /// (`hash.txt` beside the server binary, written by `cargo leptos build`).
    pub fn of(options: &LeptosOptions, hash_file: Option<&Path>) -> Result<Self, String> {
        let pkg = format!("/{}", options.site_pkg_dir.trim_matches('/'));
        let name = options.output_name.to_string();
        if !options.hash_files {
            // As Leptos names them when the build does not hash.
            let wasm = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
                format!("{pkg}/{name}.wasm")
            } else {
                format!("{pkg}/{name}_bg.wasm")
            };
            return Ok(Self {
                js: format!("{pkg}/{name}.js"),
                wasm,
                css: format!("{pkg}/{name}.css"),
            });
        }
        let path = hash_file.ok_or("file hashing is on, but there is no hash file")?;
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "the build's hash file {} cannot be read ({e}): run `cargo leptos build`",
                path.display()
            )
        })?;
        let hash = |kind: &str| {
            text.lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim() == kind)
                .map(|(_, h)| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .ok_or(format!(
                    "the build's hash file {} names no {kind} file",
                    path.display()
                ))
        };
        Ok(Self {
            js: format!("{pkg}/{name}.{}.js", hash("js")?),
            wasm: format!("{pkg}/{name}.{}.wasm", hash("wasm")?),
            css: format!("{pkg}/{name}.{}.css", hash("css")?),
        })
    }
}

/// The hash file beside the running binary, where `cargo leptos build` writes it.
pub fn hash_file_beside_binary(options: &LeptosOptions) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(options.hash_file.as_ref()))
}

/// One file of the shell, ready to send.
struct ShellFile {
    content_type: &'static str,
    /// The name carries the content hash: cached for good. Otherwise revalidated every time.
    immutable: bool,
    /// Hex SHA-256 of the uncompressed bytes: the ETag, and what the service worker checks.
    sha256: String,
    identity: Vec<u8>,
    br: Option<Vec<u8>>,
    gzip: Option<Vec<u8>>,
}

/// One entry of the precache list the service worker receives.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PrecacheEntry {
    pub url: String,
    pub sha256: String,
    pub bytes: usize,
}

pub struct AppShell {
    /// Names this build: the service worker's cache is `drims-shell-<version>`.
    pub version: String,
    pub client: ClientFiles,
    pub precache: Vec<PrecacheEntry>,
    files: BTreeMap<String, ShellFile>,
}

impl AppShell {
    /// Loads the shell of the build in the site root, or `None` when there is no client build
    /// there at all (the server's own tests). A build that lacks a file the shell references is
    /// an error: the server does not start with a shell that cannot work offline.
    pub fn load(options: &LeptosOptions, hash_file: Option<&Path>) -> Result<Option<Self>, String> {
        let root = Path::new(options.site_root.as_ref());
        if !root.join(options.site_pkg_dir.as_ref()).is_dir() {
            return Ok(None);
        }
        let client = ClientFiles::of(options, hash_file)?;
        Self::build(root, client).map(Some)
    }

    /// The shell of the files under `root`, for the client files `client`.
    pub fn build(root: &Path, client: ClientFiles) -> Result<Self, String> {
        let offline_page = OFFLINE_PAGE
            .replace("{css}", &client.css)
            .replace("{js}", &client.js)
            .replace("{wasm}", &client.wasm);
        // What the shell needs: what the offline page references (the client, the stylesheet,
        // the start script, the manifest), what the manifest references (its icons), what the
        // stylesheet references, and what the client's JavaScript imports (the loader of the
        // split-off pages); the service worker answers navigations with the page. The pages'
        // own WASM files the loader fetches on demand (`new URL(...)`) are served too, checked
        // present and compressed, but not precached: only the online-only pages are split off.
        let mut wanted: Vec<(String, bool)> = [OFFLINE_URL, &client.js, &client.wasm, &client.css]
            .into_iter()
            .map(|u| (u.to_string(), true))
            .collect();
        wanted.extend(
            html_references(&offline_page)
                .into_iter()
                .map(|u| (u, true)),
        );
        let mut files = BTreeMap::new();
        files.insert(
            OFFLINE_URL.to_string(),
            ShellFile::load(OFFLINE_URL, offline_page.into_bytes(), None),
        );
        let mut in_precache = std::collections::BTreeSet::from([OFFLINE_URL.to_string()]);
        // Content-hashed: the client's files, and what they reference by (hashed) name.
        let mut immutable: std::collections::BTreeSet<String> =
            [&client.js, &client.wasm, &client.css]
                .into_iter()
                .cloned()
                .collect();
        let mut i = 0;
        while i < wanted.len() {
            let (url, precached) = wanted[i].clone();
            i += 1;
            if precached {
                in_precache.insert(url.clone());
            }
            if files.contains_key(&url) {
                continue;
            }
            let path = root.join(url.trim_start_matches('/'));
            let bytes = std::fs::read(&path).map_err(|e| {
                format!(
                    "the app shell needs {url}, which the build lacks ({}: {e}); \
                     run `cargo leptos build` again",
                    path.display()
                )
            })?;
            let hashed = immutable.contains(&url);
            if url == MANIFEST_URL {
                wanted.extend(manifest_references(&bytes)?.into_iter().map(|u| (u, true)));
            } else if url.ends_with(".css") {
                wanted.extend(
                    css_references(&String::from_utf8_lossy(&bytes))
                        .into_iter()
                        .map(|u| (u, true)),
                );
            } else if url.ends_with(".js") {
                let (imports, fetched) = js_references(&url, &String::from_utf8_lossy(&bytes));
                let found = imports
                    .into_iter()
                    .map(|u| (u, precached))
                    .chain(fetched.into_iter().map(|u| (u, false)));
                for (u, p) in found {
                    if hashed {
                        immutable.insert(u.clone());
                    }
                    wanted.push((u, p));
                }
            }
            // A content-hashed file's compressed forms are kept beside it: compressed once
            // per build (by the build's `check-shell`), not at every start.
            let kept = hashed.then_some(path.as_path());
            files.insert(url.clone(), ShellFile::load(&url, bytes, kept));
        }
        let mut precache: Vec<PrecacheEntry> = files
            .iter()
            .filter(|(url, _)| in_precache.contains(*url))
            .map(|(url, f)| PrecacheEntry {
                url: url.clone(),
                sha256: f.sha256.clone(),
                bytes: f.identity.len(),
            })
            .collect();
        precache.sort_by(|a, b| a.url.cmp(&b.url));
        let mut digest = Sha256::new();
        for e in &precache {
            digest.update(format!("{}\0{}\n", e.url, e.sha256));
        }
        let version = hex(&digest.finalize())[..16].to_string();
        let worker = format!(
            "// Generated by the DRIMS server for build {version}: the files this build's shell\n\
             // needs, each with its SHA-256.\n\
             const BUILD = '{version}';\nconst PRECACHE = {};\nconst OFFLINE_URL = '{OFFLINE_URL}';\n\n{WORKER}",
            serde_json::to_string(&precache).map_err(|e| e.to_string())?
        );
        files.insert(
            WORKER_URL.to_string(),
            ShellFile::load(WORKER_URL, worker.into_bytes(), None),
        );
        Ok(Self {
            version,
            client,
            precache,
            files,
        })
    }

    /// Bytes of the precache, uncompressed and as sent with brotli.
    pub fn sizes(&self) -> (usize, usize) {
        self.precache
            .iter()
            .filter_map(|e| self.files.get(&e.url))
            .fold((0, 0), |(raw, br), f| {
                (
                    raw + f.identity.len(),
                    br + f.br.as_ref().map_or(f.identity.len(), Vec::len),
                )
            })
    }

    /// One line per precached file: URL, bytes raw, brotli and gzip.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for e in &self.precache {
            if let Some(f) = self.files.get(&e.url) {
                let size =
                    |v: &Option<Vec<u8>>| v.as_ref().map_or("-".into(), |b| b.len().to_string());
                out.push_str(&format!(
                    "{:<48} {:>9} raw {:>9} br {:>9} gzip\n",
                    e.url,
                    f.identity.len(),
                    size(&f.br),
                    size(&f.gzip)
                ));
            }
        }
        let (raw, br) = self.sizes();
        out.push_str(&format!(
            "build {}: {} files, {raw} bytes, {br} bytes with brotli\n",
            self.version,
            self.precache.len()
        ));
        out
    }

    fn respond(&self, path: &str, headers: &HeaderMap, head: bool) -> Option<Response> {
        let file = self.files.get(path)?;
        Some(file.response(headers, head))
    }
}

impl ShellFile {
    /// The file at `url`; `kept`: the path of a content-hashed file, whose compressed forms are
    /// read from (or written to) `<path>.br` and `<path>.gz`.
    fn load(url: &str, identity: Vec<u8>, kept: Option<&Path>) -> Self {
        let content_type = content_type(url);
        let (br, gzip) = if content_type.starts_with("image/png") {
            (None, None)
        } else {
            // Both at once: brotli at its best quality takes a while on a debug build's WASM.
            std::thread::scope(|s| {
                let br = s.spawn(|| compressed(&identity, kept, "br", brotli_bytes));
                let gzip = compressed(&identity, kept, "gz", gzip_bytes);
                (br.join().unwrap_or_default(), gzip)
            })
        };
        Self {
            content_type,
            immutable: kept.is_some(),
            sha256: hex(&Sha256::digest(&identity)),
            identity,
            br,
            gzip,
        }
    }

    fn response(&self, headers: &HeaderMap, head: bool) -> Response {
        let etag = format!("\"{}\"", self.sha256);
        let cache = if self.immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let mut res = if headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
        {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let accept = headers
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let (body, encoding) = match (&self.br, &self.gzip) {
                (Some(br), _) if accepts(accept, "br") => (br, Some("br")),
                (_, Some(gz)) if accepts(accept, "gzip") => (gz, Some("gzip")),
                _ => (&self.identity, None),
            };
            let mut res = if head {
                let mut r = Response::new(Body::empty());
                r.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
                r
            } else {
                Response::new(Body::from(body.clone()))
            };
            if let Some(encoding) = encoding {
                res.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
            res
        };
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        res
    }
}

/// Serves the shell's files (from memory, compressed as the browser accepts); everything else
/// goes on to the router.
pub async fn serve(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(shell) = state.shell.as_deref() {
        let head = req.method() == Method::HEAD;
        if head || req.method() == Method::GET {
            if let Some(res) = shell.respond(req.uri().path(), req.headers(), head) {
                return res;
            }
        }
    }
    next.run(req).await
}

/// Whether an `Accept-Encoding` value accepts `coding` (a `q=0` refuses it).
fn accepts(header: &str, coding: &str) -> bool {
    header.split(',').any(|part| {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let refused = it.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        name.eq_ignore_ascii_case(coding) && !refused
    })
}

fn content_type(url: &str) -> &'static str {
    match url.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// The compressed form of `identity`, when it is smaller: read from `<kept>.<ext>` when that
/// exists, else computed (and stored there when possible, through a rename, so a reader never
/// sees half a file).
fn compressed(
    identity: &[u8],
    kept: Option<&Path>,
    ext: &str,
    compress: fn(&[u8]) -> Vec<u8>,
) -> Option<Vec<u8>> {
    let stored = kept.map(|p| PathBuf::from(format!("{}.{ext}", p.display())));
    let from_disk = stored.as_ref().and_then(|p| std::fs::read(p).ok());
    let bytes = from_disk.unwrap_or_else(|| {
        let bytes = compress(identity);
        if let Some(p) = &stored {
            let tmp = PathBuf::from(format!("{}.tmp{}", p.display(), std::process::id()));
            if std::fs::write(&tmp, &bytes).is_ok() && std::fs::rename(&tmp, p).is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
        }
        bytes
    });
    (bytes.len() + 64 < identity.len()).then_some(bytes)
}

/// Above this size the file is a debug build's WASM (a release one is a fraction of it): its
/// compression trades ratio for start-up time. Release files get the best ratio.
const LARGE: usize = 4 << 20;

fn brotli_bytes(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3);
    {
        // Quality 11 (the best), window 2^22: once per build, for every device's download.
        let quality = if data.len() > LARGE { 5 } else { 11 };
        let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, quality, 22);
        let _ = w.write_all(data);
    }
    out
}

fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    let level = if data.len() > LARGE {
        flate2::Compression::default()
    } else {
        flate2::Compression::best()
    };
    let mut w = flate2::write::GzEncoder::new(Vec::new(), level);
    let _ = w.write_all(data);
    w.finish().unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Same-origin paths in `src`, `href` and `data-*` attributes of an HTML page.
fn html_references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("=\"/") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find('"') {
            let url = &rest[..end];
            if !url.starts_with("//") {
                out.push(url.to_string());
            }
            rest = &rest[end..];
        }
    }
    out
}

/// What a JavaScript module references by a relative name: its static imports (`from "./x"`,
/// needed before it runs) and the files it fetches later (`new URL("./x", import.meta.url)`), as
/// paths beside `url`.
fn js_references(url: &str, js: &str) -> (Vec<String>, Vec<String>) {
    let dir = &url[..url.rfind('/').map_or(0, |i| i + 1)];
    let after = |marker: &str| -> Vec<String> {
        js.split(marker)
            .skip(1)
            .filter_map(|rest| {
                let rest = rest.trim_start();
                let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
                let name = rest[1..].split(quote).next()?;
                name.strip_prefix("./").map(|n| format!("{dir}{n}"))
            })
            .collect()
    };
    let mut imports = after("from");
    imports.sort();
    imports.dedup();
    let mut fetched = after("new URL(");
    fetched.sort();
    fetched.dedup();
    (imports, fetched)
}

/// The icons a web app manifest names.
fn manifest_references(bytes: &[u8]) -> Result<Vec<String>, String> {
    let manifest: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("the web app manifest is not valid JSON: {e}"))?;
    Ok(manifest["icons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|icon| icon["src"].as_str())
        .map(str::to_string)
        .collect())
}

/// Same-origin `url(...)` references of a stylesheet.
fn css_references(css: &str) -> Vec<String> {
    css.split("url(")
        .skip(1)
        .filter_map(|s| s.split(')').next())
        .map(|u| u.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
        .filter(|u| u.starts_with('/') && !u.starts_with("//"))
        .collect()
}

#[cfg(test)]
mod tests;
