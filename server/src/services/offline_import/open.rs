//! Opening an export file: its parameters are checked, the passphrase derives the key
//! (PBKDF2-HMAC-SHA256, off the async threads), AES-256-GCM opens the contents.
use app::domain::ValidationError;
use app::offline::access::{DeviceRef, ExportContents, ExportFile, EXPORT_FORMAT, EXPORT_KDF};
use app::offline::crypto::{
    unb64, SecretKey, EXPORT_AAD, KEY_LEN, PBKDF2_MIN_ITERATIONS, SALT_LEN,
};
use sha2::Sha256;

use crate::auth::device;
use crate::error::{AppError, AppResult};

/// The most a file may claim (about 10 s of derivation here): more is refused, not attempted.
pub const MAX_ITERATIONS: u32 = 10_000_000;
pub const MAX_OPERATIONS: usize = 10_000;
const MAX_PASSPHRASE: usize = 1024;

fn bad_file(message: impl Into<String>) -> AppError {
    AppError::Invalid(ValidationError::new("file", message))
}

fn wrong_passphrase() -> AppError {
    AppError::Invalid(ValidationError::new(
        "passphrase",
        "The passphrase does not open this file.",
    ))
}

pub async fn open(file: ExportFile, passphrase: String) -> AppResult<ExportContents> {
    if file.format != EXPORT_FORMAT {
        return Err(bad_file(
            "This is not a DRIMS export of pending operations.",
        ));
    }
    if file.version != 1 {
        return Err(bad_file(format!(
            "This export file has version {}; this server reads version 1.",
            file.version
        )));
    }
    if file.kdf != EXPORT_KDF {
        return Err(bad_file(format!(
            "This export file's key derivation ({}) is not supported.",
            file.kdf
        )));
    }
    if !(PBKDF2_MIN_ITERATIONS..=MAX_ITERATIONS).contains(&file.iterations) {
        return Err(bad_file(format!(
            "This export file's iteration count must be {PBKDF2_MIN_ITERATIONS} to {MAX_ITERATIONS}."
        )));
    }
    let salt = unb64(&file.salt)
        .ok()
        .filter(|s| s.len() == SALT_LEN)
        .ok_or_else(|| bad_file(format!("This export file's salt is not {SALT_LEN} bytes.")))?;
    let sealed = unb64(&file.ciphertext)
        .map_err(|_| bad_file("This export file's contents are damaged."))?;
    if passphrase.is_empty() {
        return Err(ValidationError::new("passphrase", "Passphrase is required.").into());
    }
    if passphrase.chars().count() > MAX_PASSPHRASE {
        return Err(wrong_passphrase());
    }
    let iterations = file.iterations;
    let plain = tokio::task::spawn_blocking(move || {
        let mut key = [0u8; KEY_LEN];
        pbkdf2::pbkdf2_hmac::<Sha256>(passphrase.as_bytes(), &salt, iterations, &mut key);
        let opened = SecretKey::from_bytes(&key).map(|k| k.open(EXPORT_AAD, &sealed));
        key.fill(0);
        opened
    })
    .await
    .map_err(|e| AppError::Internal(format!("key derivation failed: {e}")))?
    .map_err(|e| AppError::Internal(format!("export key: {e}")))?
    .map_err(|_| wrong_passphrase())?;
    let contents: ExportContents = serde_json::from_slice(&plain).map_err(|e| {
        bad_file(format!(
            "The file opened but its contents could not be read: {e}."
        ))
    })?;
    if contents.operations.len() > MAX_OPERATIONS {
        return Err(bad_file(format!(
            "This file holds {} operations; at most {MAX_OPERATIONS} are imported at once.",
            contents.operations.len()
        )));
    }
    device::parse(Some(&DeviceRef {
        id: contents.device_id.clone(),
        name: None,
    }))
    .map_err(|_| bad_file("This export file names an invalid device."))?;
    Ok(contents)
}
