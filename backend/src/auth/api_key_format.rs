//! The shape of an API key: `btk_` (secret) or `bpk_` (public), 32 random bytes in base62, and a
//! checksum, so a typo or a secret scanner can recognise a real key without asking the database.
//!
//! `btk_` + 43 base62 characters (the random bytes, fixed width) + 6 base62 characters (the first
//! four bytes of SHA-256 over prefix and body): 53 characters in all.

use sha2::{Digest, Sha256};

use crate::entities::api_key::KeyKind;

pub const SECRET_PREFIX: &str = "btk_";
pub const PUBLIC_PREFIX: &str = "bpk_";
const RANDOM_BYTES: usize = 32;
/// ⌈32 · 8 / log2(62)⌉ = 43 characters hold any 32 bytes.
const BODY_LEN: usize = 43;
const CHECKSUM_LEN: usize = 6;
const KEY_LEN: usize = 4 + BODY_LEN + CHECKSUM_LEN;
/// What is kept and shown to tell keys apart: the prefix and the first eight characters.
const DISPLAY_LEN: usize = 12;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("API key must start with btk_ or bpk_")]
    Prefix,
    #[error("API key is malformed")]
    Malformed,
    #[error("API key checksum does not match (a typo?)")]
    Checksum,
}

/// A new key of `kind`, from the operating system's random source.
pub fn generate(kind: KeyKind) -> String {
    let mut random = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut random).expect("the operating system's random source is available");
    let prefix = prefix(kind);
    let body = base62(&random, BODY_LEN);
    let checksum = checksum(prefix, &body);
    let checksum = std::str::from_utf8(&checksum).expect("base62 digits are ASCII");
    format!("{prefix}{body}{checksum}")
}

/// The kind of a well-formed key with a correct checksum. No database is asked.
pub fn parse(key: &str) -> Result<KeyKind, KeyFormatError> {
    let kind = if key.starts_with(SECRET_PREFIX) {
        KeyKind::Secret
    } else if key.starts_with(PUBLIC_PREFIX) {
        KeyKind::Public
    } else {
        return Err(KeyFormatError::Prefix);
    };
    if key.len() != KEY_LEN || !key[4..].bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(KeyFormatError::Malformed);
    }
    let (body, sum) = key[4..].split_at(BODY_LEN);
    if checksum(prefix(kind), body) != sum.as_bytes() {
        return Err(KeyFormatError::Checksum);
    }
    Ok(kind)
}

/// The only form of a key that is stored: SHA-256, hex. Keys carry 256 random bits, so a fast hash
/// is enough (no password hashing needed) and lets a key be found by its hash.
pub fn hash(key: &str) -> String {
    super::secrets::sha256_hex(&[key.as_bytes()])
}

pub fn display_prefix(key: &str) -> String {
    key.chars().take(DISPLAY_LEN).collect()
}

fn prefix(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Secret => SECRET_PREFIX,
        KeyKind::Public => PUBLIC_PREFIX,
    }
}

/// The first four bytes of the digest in base62, six characters (62⁶ > 2³²): written into an
/// array, as every request with a key checks one.
fn checksum(prefix: &str, body: &str) -> [u8; CHECKSUM_LEN] {
    let digest = Sha256::new()
        .chain_update(prefix.as_bytes())
        .chain_update(body.as_bytes())
        .finalize();
    let mut number = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    let mut digits = [b'0'; CHECKSUM_LEN];
    for digit in digits.iter_mut().rev() {
        *digit = ALPHABET[(number % 62) as usize];
        number /= 62;
    }
    digits
}

/// Big-endian bytes as base62, left-padded with `0` to `width` characters.
fn base62(bytes: &[u8], width: usize) -> String {
    let mut number = bytes.to_vec();
    let mut digits = Vec::with_capacity(width);
    while number.iter().any(|&b| b != 0) {
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 62) as u8;
            remainder = value % 62;
        }
        digits.push(ALPHABET[remainder as usize]);
    }
    digits.resize(width.max(digits.len()), b'0');
    digits.reverse();
    String::from_utf8(digits).expect("base62 digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_keys_parse_as_their_kind() {
        let secret = generate(KeyKind::Secret);
        let public = generate(KeyKind::Public);
        assert_eq!(secret.len(), KEY_LEN);
        assert_eq!(parse(&secret), Ok(KeyKind::Secret));
        assert_eq!(parse(&public), Ok(KeyKind::Public));
        assert_ne!(generate(KeyKind::Secret), secret);
        assert_eq!(display_prefix(&secret), secret[..12]);
    }

    #[test]
    fn damaged_keys_are_recognised_without_a_lookup() {
        let key = generate(KeyKind::Secret);
        assert_eq!(
            parse(&key.replacen("btk_", "xtk_", 1)),
            Err(KeyFormatError::Prefix)
        );
        assert_eq!(parse(&key[..key.len() - 1]), Err(KeyFormatError::Malformed));
        assert_eq!(parse(&format!("{key}0")), Err(KeyFormatError::Malformed));
        assert_eq!(
            parse(&key.replacen('_', "_-", 1)[..KEY_LEN]),
            Err(KeyFormatError::Malformed)
        );
        // A secret key's body relabelled as public fails its checksum.
        assert_eq!(
            parse(&key.replacen("btk_", "bpk_", 1)),
            Err(KeyFormatError::Checksum)
        );
    }

    #[test]
    fn base62_is_fixed_width_and_big_endian() {
        assert_eq!(base62(&[0], 3), "000");
        assert_eq!(base62(&[61], 1), "z");
        assert_eq!(base62(&[62], 2), "10");
        assert_eq!(base62(&[1, 0], 2), "48");
        assert_eq!(base62(&[0xff; 32], BODY_LEN).len(), BODY_LEN);
    }

    proptest! {
        /// The checksum is the documented one (base62 of the digest's first four bytes, six
        /// characters), so keys issued before still verify.
        #[test]
        fn the_checksum_is_base62_of_the_digests_first_four_bytes(body in "[0-9A-Za-z]{43}") {
            let digest = Sha256::new()
                .chain_update(SECRET_PREFIX.as_bytes())
                .chain_update(body.as_bytes())
                .finalize();
            let expected = base62(&digest[..4], CHECKSUM_LEN);
            let checksum = checksum(SECRET_PREFIX, &body);
            prop_assert_eq!(checksum.as_slice(), expected.as_bytes());
        }

        /// Any single changed character of a key is caught by the format or the checksum.
        #[test]
        fn one_typo_is_caught(position in 4usize..KEY_LEN, replacement in "[0-9A-Za-z]") {
            let key = generate(KeyKind::Public);
            let mut typo = key.clone().into_bytes();
            typo[position] = replacement.as_bytes()[0];
            let typo = String::from_utf8(typo).unwrap();
            prop_assume!(typo != key);
            // A 32-bit checksum misses one change in about four billion.
            prop_assert!(parse(&typo).is_err());
        }
    }
}
