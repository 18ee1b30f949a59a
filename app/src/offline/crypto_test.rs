use std::collections::HashSet;

use super::*;

fn key() -> SecretKey {
    SecretKey::from_bytes(&random_bytes(KEY_LEN).unwrap()).unwrap()
}

#[test]
fn round_trip_with_its_associated_data() {
    let k = key();
    let aad = record_aad("pending_operations", "p1:abc");
    let sealed = k.seal(&aad, b"Kingston depot: 40 tarpaulins");
    assert_eq!(sealed.len(), NONCE_LEN + 29 + TAG_LEN);
    assert!(!sealed.windows(8).any(|w| w == b"Kingston"));
    assert_eq!(
        k.open(&aad, &sealed).unwrap(),
        b"Kingston depot: 40 tarpaulins"
    );
}

#[test]
fn tampered_wrong_key_or_wrong_place_does_not_open() {
    let k = key();
    let aad = record_aad("pending_operations", "p1:abc");
    let sealed = k.seal(&aad, b"secret");
    for i in 0..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 0x01;
        assert_eq!(k.open(&aad, &bad), Err(CryptoError::Open), "byte {i}");
    }
    assert_eq!(key().open(&aad, &sealed), Err(CryptoError::Open));
    // Moved to another key, or another store: refused.
    assert_eq!(
        k.open(&record_aad("pending_operations", "p1:abd"), &sealed),
        Err(CryptoError::Open)
    );
    assert_eq!(
        k.open(&record_aad("sync_issues", "p1:abc"), &sealed),
        Err(CryptoError::Open)
    );
    assert_eq!(k.open(&aad, &sealed[..20]), Err(CryptoError::Open));
    assert_eq!(k.open(&aad, &[]), Err(CryptoError::Open));
}

#[test]
fn one_hundred_thousand_encryptions_never_repeat_a_nonce() {
    let k = key();
    let mut seen = HashSet::with_capacity(100_000);
    for _ in 0..100_000 {
        let sealed = k.seal(b"", b"x");
        let nonce: [u8; NONCE_LEN] = sealed[..NONCE_LEN].try_into().unwrap();
        assert!(seen.insert(nonce), "a nonce repeated");
    }
    assert_eq!(seen.len(), 100_000);
}

#[test]
fn keys_must_be_256_bits() {
    assert!(SecretKey::from_bytes(&[0u8; 16]).is_err());
    assert!(SecretKey::from_bytes(&[0u8; 33]).is_err());
    assert!(SecretKey::from_bytes(&[0u8; 32]).is_ok());
}

#[test]
fn base64_round_trip() {
    let bytes = random_bytes(45).unwrap();
    assert_eq!(unb64(&b64(&bytes)).unwrap(), bytes);
    assert!(unb64("not base64!").is_err());
}

// The stated parameters, checked when the crate compiles.
const _: () = assert!(PBKDF2_ITERATIONS >= 600_000 && PBKDF2_MIN_ITERATIONS >= 600_000);
const _: () = assert!(SALT_LEN == 16 && NONCE_LEN * 8 == 96 && KEY_LEN * 8 == 256);
