//! How records are written to IndexedDB: JSON text today. This is the one place that turns a
//! record into a stored value and back, so encryption at rest (AES-GCM under the user's data
//! key) wraps exactly here.
use app::offline::engine::StoreError;
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::JsValue;

pub fn encode<T: Serialize>(value: &T) -> Result<JsValue, StoreError> {
    serde_json::to_string(value)
        .map(|s| JsValue::from_str(&s))
        .map_err(|e| StoreError(format!("could not encode a record: {e}")))
}

pub fn decode<T: DeserializeOwned>(value: &JsValue) -> Result<T, StoreError> {
    let text = value
        .as_string()
        .ok_or_else(|| StoreError("a stored record is not in the expected format".into()))?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError(format!("could not read a stored record: {e}")))
}
