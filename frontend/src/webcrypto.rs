//! Password-based key derivation through the browser's WebCrypto: PBKDF2-HMAC-SHA256, 256 bits.
//! The derived bytes live in memory only, long enough to open or wrap one data key.
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn subtle() -> Result<web_sys::SubtleCrypto, String> {
    let window = web_sys::window().ok_or("no window")?;
    let crypto = window
        .crypto()
        .map_err(|_| "this browser has no WebCrypto".to_string())?;
    Ok(crypto.subtle())
}

fn js_err(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "WebCrypto failed".into())
}

/// PBKDF2-HMAC-SHA256 of `secret` with `salt`, `iterations` rounds: a 256-bit key.
pub async fn pbkdf2_sha256(secret: &str, salt: &[u8], iterations: u32) -> Result<Vec<u8>, String> {
    let subtle = subtle()?;
    let usages = js_sys::Array::of1(&"deriveBits".into());
    let raw = js_sys::Uint8Array::from(secret.as_bytes());
    let base = JsFuture::from(
        subtle
            .import_key_with_str("raw", &raw, "PBKDF2", false, &usages)
            .map_err(js_err)?,
    )
    .await
    .map_err(js_err)?;
    let params = js_sys::Object::new();
    for (k, v) in [
        ("name", JsValue::from_str("PBKDF2")),
        ("hash", JsValue::from_str("SHA-256")),
        ("salt", js_sys::Uint8Array::from(salt).into()),
        ("iterations", JsValue::from_f64(iterations as f64)),
    ] {
        js_sys::Reflect::set(&params, &k.into(), &v).map_err(js_err)?;
    }
    let bits = JsFuture::from(
        subtle
            .derive_bits_with_object(&params, base.unchecked_ref(), 256)
            .map_err(js_err)?,
    )
    .await
    .map_err(js_err)?;
    Ok(js_sys::Uint8Array::new(&bits).to_vec())
}
