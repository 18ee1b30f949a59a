//! "Export pending operations": the profile's unsynced work (outbox and Sync Issues) as a file
//! encrypted under a passphrase: PBKDF2-HMAC-SHA256 (600,000 iterations, 16-byte salt, through
//! WebCrypto) -> AES-256-GCM, associated data `drims:export:v1`. The server opens it on import.
use app::offline::access::{ExportContents, ExportFile, EXPORT_FORMAT, EXPORT_KDF};
use app::offline::client::SignInForm;
use app::offline::crypto::{b64, random_bytes, SecretKey, EXPORT_AAD, PBKDF2_ITERATIONS, SALT_LEN};
use wasm_bindgen::JsCast;

use crate::profile::{self, AccessRecord, ACCESS};
use crate::runner::Runner;
use crate::webcrypto::pbkdf2_sha256;

pub async fn export(
    r: &Runner,
    passphrase: String,
    credentials: Option<SignInForm>,
) -> Result<usize, String> {
    let unlocked = match &credentials {
        Some(c) => {
            profile::open_profile(&r.store, &r.device_id, &c.username, &c.password)
                .await
                .map_err(|e| e.message())?
                .0
        }
        None => r
            .store
            .unlocked()
            .ok_or("Sign in on this device first: its data is locked.")?,
    };
    let access: AccessRecord = r
        .store
        .meta_get_with(&unlocked, ACCESS)
        .await
        .map_err(|e| e.0)?
        .ok_or("This device's profile is incomplete: nothing to export.")?;
    let (pending, issues) = r.store.records_of(&unlocked).await.map_err(|e| e.0)?;
    let mut operations: Vec<_> = pending.into_iter().map(|p| p.op).collect();
    operations.extend(issues.into_iter().map(|i| i.op));
    if operations.is_empty() {
        return Err(
            "Nothing to export: every operation recorded here has reached the server.".into(),
        );
    }
    let count = operations.len();
    let contents = ExportContents {
        device_id: r.device_id.clone(),
        user_id: access.user.id,
        username: access.user.username.clone(),
        grant: access.grant.clone(),
        exported_at: chrono::Utc::now().to_rfc3339(),
        operations,
    };
    let plain = serde_json::to_vec(&contents).map_err(|e| e.to_string())?;
    let salt = random_bytes(SALT_LEN).map_err(|e| e.to_string())?;
    let key = SecretKey::from_bytes(&pbkdf2_sha256(&passphrase, &salt, PBKDF2_ITERATIONS).await?)
        .map_err(|e| e.to_string())?;
    let file = ExportFile {
        format: EXPORT_FORMAT.into(),
        version: 1,
        kdf: EXPORT_KDF.into(),
        iterations: PBKDF2_ITERATIONS,
        salt: b64(&salt),
        ciphertext: b64(&key.seal(EXPORT_AAD, &plain)),
    };
    let text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    let name = format!(
        "drims-pending-{}.json",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    );
    download(&text, &name)?;
    Ok(count)
}

/// Saves `text` as a file through the browser's download.
fn download(text: &str, name: &str) -> Result<(), String> {
    let fail = |_| "The file could not be written.".to_string();
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let link: web_sys::HtmlAnchorElement =
        document
            .create_element("a")
            .map_err(fail)?
            .dyn_into()
            .map_err(|_| "The file could not be written.".to_string())?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Released once the download has surely started.
    let release = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    let _ = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(release.unchecked_ref(), 30_000);
    Ok(())
}
