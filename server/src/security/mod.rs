//! Protection every request passes through: the cross-site request guard (Origin /
//! Sec-Fetch-Site and the form token) and the security headers on every response.
pub mod cookies;
pub mod csrf;
pub mod device_guard;
pub mod headers;

/// `n` random bytes as lowercase hex (tokens, nonces).
pub fn random_hex(n: usize) -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    crate::auth::session::hex(&bytes)
}
