//! How records are written to IndexedDB: JSON sealed with AES-256-GCM under the signed-in
//! user's data key (fresh random nonce per write; the store and record key are the associated
//! data, so a value moved to another record fails to open). This is the one place a record
//! becomes a stored value and back; nothing else writes user data to IndexedDB.
use app::offline::crypto::{record_aad, SecretKey};
use app::offline::engine::StoreError;
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::{JsCast, JsValue};

pub fn encode<T: Serialize>(
    key: &SecretKey,
    store: &str,
    record_key: &str,
    value: &T,
) -> Result<JsValue, StoreError> {
    let plain = serde_json::to_vec(value)
        .map_err(|e| StoreError(format!("could not encode a record: {e}")))?;
    let sealed = key.seal(&record_aad(store, record_key), &plain);
    Ok(js_sys::Uint8Array::from(sealed.as_slice()).into())
}

pub fn decode<T: DeserializeOwned>(
    key: &SecretKey,
    store: &str,
    record_key: &str,
    value: &JsValue,
) -> Result<T, StoreError> {
    let bytes = value
        .dyn_ref::<js_sys::Uint8Array>()
        .map(|a| a.to_vec())
        .ok_or_else(|| StoreError("a stored record is not in the expected format".into()))?;
    let plain = key
        .open(&record_aad(store, record_key), &bytes)
        .map_err(|e| StoreError(format!("could not open a stored record: {e}")))?;
    // `from_str`, as every other JSON the client reads: one copy of each deserializer.
    let text = std::str::from_utf8(&plain)
        .map_err(|e| StoreError(format!("could not read a stored record: {e}")))?;
    serde_json::from_str(text)
        .map_err(|e| StoreError(format!("could not read a stored record: {e}")))
}
