//! Bids sealed at rest (issue 19): before the opening no account and no copy of the database
//! can read a bid's content, because nothing the server keeps can decrypt it.
//!
//! - When the tender is set, the round gets an X25519 key pair. Its public half is stored; its
//!   secret half is stored only encrypted (ChaCha20-Poly1305) under a key derived (HKDF-SHA256)
//!   from the **opening key**: 160 random bits shown once to the housing bureau, as 32
//!   characters of base32 in groups of four, to keep like a sealed envelope until the opening.
//! - A bid is encrypted to the round's public key (an ephemeral X25519 key, HKDF-SHA256,
//!   ChaCha20-Poly1305), bound by its associated data to its round, company and reference, so
//!   a ciphertext cannot be moved to another row. Its **commitment** — SHA-256 of a random salt
//!   and the content — is stored beside it and given to the bidder with the salt as its
//!   receipt.
//! - At the opening the housing bureau enters the opening key; the round's secret is unwrapped,
//!   every bid is decrypted and checked against its commitment, and the secret is released
//!   (stored with the opening), after which the bids read as open.
//!
//! Pure functions: every random byte is passed in by the caller.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the opening key is not 32 characters of base32 (A–Z, 2–7)")]
    MalformedKey,
    #[error("the opening key does not open this round's bids")]
    WrongKey,
    #[error("a sealed bid does not open with the round's key")]
    Broken,
}

/// The round's key pair: (public half, secret half).
pub fn round_keys(secret: [u8; 32]) -> ([u8; 32], [u8; 32]) {
    let s = StaticSecret::from(secret);
    (PublicKey::from(&s).to_bytes(), s.to_bytes())
}

fn hkdf(ikm: &[u8], salt: &[u8], info: &[u8]) -> [u8; 32] {
    let mut okm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, &mut okm)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    okm
}

fn encrypt(key: &[u8; 32], nonce: &[u8; 12], msg: &[u8], aad: &[u8]) -> Vec<u8> {
    ChaCha20Poly1305::new(&Key::from(*key))
        .encrypt(&Nonce::from(*nonce), Payload { msg, aad })
        .expect("ChaCha20-Poly1305 encrypts any message")
}

fn decrypt(key: &[u8; 32], nonce: &[u8], ct: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    ChaCha20Poly1305::new(&Key::from(*key))
        .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad })
        .ok()
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The opening key as people write it: 20 bytes as 32 base32 characters, `XXXX-XXXX-…`.
pub fn opening_key_text(key: &[u8; 20]) -> String {
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = String::new();
    for b in key {
        bits = (bits << 8) | u64::from(*b);
        n += 8;
        while n >= 5 {
            n -= 5;
            out.push(BASE32[((bits >> n) & 31) as usize] as char);
        }
    }
    out.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect::<Vec<_>>()
        .join("-")
}

/// Reads an opening key as typed: case, spaces and dashes do not matter.
pub fn parse_opening_key(text: &str) -> Result<[u8; 20], SealError> {
    let chars: Vec<u8> = text
        .bytes()
        .filter(|c| !matches!(c, b'-' | b' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != 32 {
        return Err(SealError::MalformedKey);
    }
    let mut out = [0u8; 20];
    let (mut bits, mut n, mut i) = (0u64, 0, 0);
    for c in chars {
        let v = BASE32
            .iter()
            .position(|x| *x == c)
            .ok_or(SealError::MalformedKey)?;
        bits = (bits << 5) | v as u64;
        n += 5;
        if n >= 8 {
            n -= 8;
            out[i] = (bits >> n) as u8;
            i += 1;
        }
    }
    Ok(out)
}

fn wrap_key(opening_key: &[u8; 20], round_id: i64) -> [u8; 32] {
    hkdf(
        opening_key,
        b"anju opening key v1",
        format!("round {round_id}").as_bytes(),
    )
}

/// The round's secret half encrypted under its opening key: hex of nonce ‖ ciphertext.
pub fn wrap_secret(
    secret: &[u8; 32],
    opening_key: &[u8; 20],
    round_id: i64,
    nonce: [u8; 12],
) -> String {
    let aad = format!("anju round {round_id} secret");
    let ct = encrypt(
        &wrap_key(opening_key, round_id),
        &nonce,
        secret,
        aad.as_bytes(),
    );
    hex::encode([nonce.as_slice(), &ct].concat())
}

/// The round's secret half, given its opening key.
pub fn unwrap_secret(
    wrapped: &str,
    opening_key: &[u8; 20],
    round_id: i64,
) -> Result<[u8; 32], SealError> {
    let raw = hex::decode(wrapped).map_err(|_| SealError::WrongKey)?;
    if raw.len() < 12 {
        return Err(SealError::WrongKey);
    }
    let aad = format!("anju round {round_id} secret");
    let plain = decrypt(
        &wrap_key(opening_key, round_id),
        &raw[..12],
        &raw[12..],
        aad.as_bytes(),
    )
    .ok_or(SealError::WrongKey)?;
    plain.try_into().map_err(|_| SealError::WrongKey)
}

/// A sealed bid as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub v: u8,
    /// The ephemeral public key (hex).
    pub epk: String,
    pub nonce: String,
    pub ct: String,
}

/// What a sealed bid is bound to: its round, company and public reference.
pub fn bid_aad(round_id: i64, org: &str, public_ref: &str) -> Vec<u8> {
    format!("anju bid v1|round {round_id}|org {org}|ref {public_ref}").into_bytes()
}

fn bid_key(shared: &[u8; 32], epk: &[u8; 32], round_public: &[u8; 32]) -> [u8; 32] {
    hkdf(
        shared,
        &[epk.as_slice(), round_public].concat(),
        b"anju bid seal v1",
    )
}

/// Encrypts `plain` to the round's public key with an ephemeral secret and a nonce.
pub fn seal(
    round_public: &[u8; 32],
    plain: &[u8],
    aad: &[u8],
    ephemeral: [u8; 32],
    nonce: [u8; 12],
) -> Sealed {
    let e = StaticSecret::from(ephemeral);
    let epk = PublicKey::from(&e).to_bytes();
    let shared = e.diffie_hellman(&PublicKey::from(*round_public)).to_bytes();
    let ct = encrypt(&bid_key(&shared, &epk, round_public), &nonce, plain, aad);
    Sealed {
        v: 1,
        epk: hex::encode(epk),
        nonce: hex::encode(nonce),
        ct: hex::encode(ct),
    }
}

/// Decrypts a sealed bid with the round's released secret.
pub fn open(round_secret: &[u8; 32], s: &Sealed, aad: &[u8]) -> Result<Vec<u8>, SealError> {
    let epk: [u8; 32] = hex::decode(&s.epk)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(SealError::Broken)?;
    let nonce = hex::decode(&s.nonce).map_err(|_| SealError::Broken)?;
    let ct = hex::decode(&s.ct).map_err(|_| SealError::Broken)?;
    let secret = StaticSecret::from(*round_secret);
    let public = PublicKey::from(&secret).to_bytes();
    let shared = secret.diffie_hellman(&PublicKey::from(epk)).to_bytes();
    decrypt(&bid_key(&shared, &epk, &public), &nonce, &ct, aad).ok_or(SealError::Broken)
}

/// The commitment a bidder keeps: SHA-256 of the salt and the content, hex.
pub fn commitment(salt: &[u8], content: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(content);
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_bid_opens_only_with_the_rounds_secret_and_in_its_own_row() {
        let (public, secret) = round_keys([7; 32]);
        let aad = bid_aad(3, "甲公司", "ab12");
        let s = seal(&public, b"{\"price\":\"3800\"}", &aad, [9; 32], [1; 12]);
        assert!(!s.ct.contains("3800"));
        assert_eq!(open(&secret, &s, &aad).unwrap(), b"{\"price\":\"3800\"}");
        // Another round's secret, or the same ciphertext moved to another company's row: no.
        let (_, other) = round_keys([8; 32]);
        assert_eq!(open(&other, &s, &aad), Err(SealError::Broken));
        assert_eq!(
            open(&secret, &s, &bid_aad(3, "乙公司", "ab12")),
            Err(SealError::Broken)
        );
    }

    #[test]
    fn the_rounds_secret_unwraps_only_with_its_opening_key() {
        let key = [42u8; 20];
        let w = wrap_secret(&[5; 32], &key, 9, [3; 12]);
        assert_eq!(unwrap_secret(&w, &key, 9), Ok([5; 32]));
        assert_eq!(unwrap_secret(&w, &[41; 20], 9), Err(SealError::WrongKey));
        assert_eq!(unwrap_secret(&w, &key, 10), Err(SealError::WrongKey));
        let text = opening_key_text(&key);
        assert_eq!(text.len(), 39, "{text}");
        assert_eq!(parse_opening_key(&text.to_lowercase()), Ok(key));
        assert_eq!(parse_opening_key(&text.replace('-', " ")), Ok(key));
        assert_eq!(parse_opening_key("ABC"), Err(SealError::MalformedKey));
        assert_eq!(
            parse_opening_key(&"1".repeat(32)),
            Err(SealError::MalformedKey)
        );
    }

    #[test]
    fn a_commitment_changes_with_any_byte_of_the_content() {
        assert_ne!(commitment(b"s", b"3800"), commitment(b"s", b"3801"));
        assert_ne!(commitment(b"s", b"3800"), commitment(b"t", b"3800"));
        assert_eq!(commitment(b"s", b"3800").len(), 64);
    }
}
