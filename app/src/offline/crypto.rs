//! Encryption at rest, shared by the browser (every IndexedDB value, wrapped keys, the export
//! file) and the server (opening an export file): AES-256-GCM from RustCrypto with a fresh
//! random 96-bit nonce per message, stored in front of the ciphertext. Parameters are stated
//! here once; tests in `crypto_test.rs` pin them.
use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;

/// AES-256: 32-byte keys.
pub const KEY_LEN: usize = 32;
/// 96-bit GCM nonces, random per message (NIST SP 800-38D 8.2.2).
pub const NONCE_LEN: usize = 12;
/// GCM tag.
pub const TAG_LEN: usize = 16;
/// PBKDF2-HMAC-SHA256 iterations for keys derived from a password or passphrase (OWASP 2023:
/// 600,000). Stored with every wrapped key and export so it can be raised later.
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// The lowest iteration count any stored parameter may claim (refused below).
pub const PBKDF2_MIN_ITERATIONS: u32 = 600_000;
/// Random salt per user per device (and per export file).
pub const SALT_LEN: usize = 16;

/// Why something could not be opened. Deliberately vague: wrong key, wrong associated data and
/// tampering look the same to an attacker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the data could not be decrypted (wrong key, or it was altered)")]
    Open,
    #[error("a key has the wrong length")]
    KeyLength,
    #[error("random numbers are unavailable")]
    Random,
}

/// A 256-bit AES-GCM key held in memory only. Never serialised; not `Debug`.
#[derive(Clone)]
pub struct SecretKey(Aes256Gcm);

impl SecretKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let key = Key::<Aes256Gcm>::try_from(bytes).map_err(|_| CryptoError::KeyLength)?;
        Ok(Self(Aes256Gcm::new(&key)))
    }

    /// Seals `plaintext` bound to `aad`: `nonce (12) || ciphertext || tag (16)`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = Nonce::generate();
        let sealed = self
            .0
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| CryptoError::Open)?;
        self.0
            .decrypt(&nonce, Payload { msg: body, aad })
            .map_err(|_| CryptoError::Open)
    }
}

/// `n` random bytes from the platform (the OS, or the browser's `crypto.getRandomValues`).
pub fn random_bytes(n: usize) -> Result<Vec<u8>, CryptoError> {
    let mut out = vec![0u8; n];
    getrandom::fill(&mut out).map_err(|_| CryptoError::Random)?;
    Ok(out)
}

/// The associated data of an IndexedDB record: its store and key, so a value moved to another
/// record (or another store) fails to open.
pub fn record_aad(store: &str, key: &str) -> Vec<u8> {
    format!("drims:record:v1\0{store}\0{key}").into_bytes()
}

/// The associated data of a data key wrapped under a password-derived or device key.
pub fn wrap_aad(kind: &str, profile: &str) -> Vec<u8> {
    format!("drims:wrap:v1\0{kind}\0{profile}").into_bytes()
}

/// The associated data of an export file's contents.
pub const EXPORT_AAD: &[u8] = b"drims:export:v1";

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(text: &str) -> Result<Vec<u8>, CryptoError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .map_err(|_| CryptoError::Open)
}

#[cfg(test)]
#[path = "crypto_test.rs"]
mod crypto_test;
