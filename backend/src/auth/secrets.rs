//! Small primitives for high-entropy secrets: making them, storing them, comparing them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// `prefix` + 32 random bytes, base64url: 256 bits, shown once and stored only as a hash.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes
}

/// A uniformly random six-digit code.
pub fn six_digit_code() -> String {
    loop {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).expect("the operating system's random source is available");
        let value = u32::from_be_bytes(bytes);
        // Rejection sampling: values past the last whole million would favour low codes.
        if value < u32::MAX - u32::MAX % 1_000_000 {
            return format!("{:06}", value % 1_000_000);
        }
    }
}

/// SHA-256, hex: how high-entropy secrets are stored (no password hashing needed for 256 bits).
pub fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// Compares two secrets (or their hashes) in time that depends on their length only.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_codes_and_comparisons() {
        let token = random_token("brt_");
        assert!(token.starts_with("brt_") && token.len() == 4 + 43);
        assert_ne!(random_token("x"), random_token("x"));
        let code = six_digit_code();
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert_eq!(sha256_hex(&[b"a", b"bc"]), sha256_hex(&[b"abc"]));
    }
}
