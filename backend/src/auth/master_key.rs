//! The master key: 32 random bytes that encrypt, at rest, every secret the server must read back
//! (the private halves of the JWT signing keys). Whoever reads the database alone cannot mint a
//! token. AES-256-GCM (aws-lc-rs), a fresh 96-bit nonce per secret, and the secret's name (a key
//! id) as associated data, so a sealed value moved to another row does not open.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::secrets;
use crate::config::Secrets;
use crate::error::AppError;

/// What a sealed value starts with; anything else is a value stored before encryption.
const SEALED: &str = "v1:";

/// The key bytes; the cipher is rebuilt from them where needed (aws-lc-rs keys are not `Clone`).
#[derive(Clone)]
pub struct MasterKey(KeyBytes);

#[derive(Clone)]
struct KeyBytes([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl PartialEq for MasterKey {
    fn eq(&self, other: &Self) -> bool {
        secrets::constant_time_eq(&self.0.0, &other.0.0)
    }
}

impl MasterKey {
    /// A key from its base64 text (standard or URL-safe alphabet, padded or not).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| "the master key is not base64".to_owned())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            format!("the master key must be 32 bytes, not {}", bytes.len())
        })?;
        Ok(Self(KeyBytes(bytes)))
    }

    /// The configured key: `secrets.master_key` (`TENANTRY_MASTER_KEY`), or the file
    /// `secrets.master_key_file` names; both given must hold the same key.
    pub fn configured(secrets: &Secrets) -> Result<Option<Self>, String> {
        let given = secrets
            .master_key
            .as_ref()
            .map(|text| Self::parse(text.expose()).map_err(|e| format!("TENANTRY_MASTER_KEY: {e}")))
            .transpose()?;
        let from_file = secrets
            .master_key_file
            .as_ref()
            .map(|path| {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    format!("cannot read the master key file {}: {e}", path.display())
                })?;
                Self::parse(&text).map_err(|e| format!("master key file {}: {e}", path.display()))
            })
            .transpose()?;
        match (given, from_file) {
            (Some(given), Some(file)) if given != file => Err(
                "TENANTRY_MASTER_KEY and the master key file hold different keys; set one"
                    .to_owned(),
            ),
            (Some(key), _) | (None, Some(key)) => Ok(Some(key)),
            (None, None) => Ok(None),
        }
    }

    /// A fresh key, as base64 text.
    pub fn generate() -> String {
        STANDARD.encode(secrets::random_bytes::<32>())
    }

    fn cipher(&self) -> LessSafeKey {
        let key = UnboundKey::new(&AES_256_GCM, &self.0.0).expect("a 32-byte AES-256 key");
        LessSafeKey::new(key)
    }

    /// `plaintext` sealed under this key, bound to `name`: `v1:` and base64url(nonce ‖ ciphertext).
    pub fn seal(&self, name: &str, plaintext: &[u8]) -> Result<String, AppError> {
        let nonce_bytes = secrets::random_bytes::<NONCE_LEN>();
        let mut sealed = plaintext.to_vec();
        self.cipher()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(name.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| AppError::internal("cannot encrypt a secret"))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// The plaintext of a value [`MasterKey::seal`] made for `name`; an error when it was sealed
    /// under another key, for another name, or altered.
    pub fn open(&self, name: &str, sealed: &str) -> Result<Vec<u8>, AppError> {
        let wrong = || {
            AppError::internal(format!(
                "the secret '{name}' does not open with this master key (encrypted under another \
                 master key, or altered)"
            ))
        };
        let encoded = sealed.strip_prefix(SEALED).ok_or_else(wrong)?;
        let mut bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| wrong())?;
        if bytes.len() < NONCE_LEN {
            return Err(wrong());
        }
        let mut body = bytes.split_off(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = bytes.try_into().map_err(|_| wrong())?;
        let plain = self
            .cipher()
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(name.as_bytes()),
                &mut body,
            )
            .map_err(|_| wrong())?;
        Ok(plain.to_vec())
    }
}

/// Whether a stored value was sealed (as opposed to stored before encryption existed).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> MasterKey {
        MasterKey::parse(&MasterKey::generate()).unwrap()
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_name() {
        let (one, two) = (key(), key());
        let sealed = one.seal("kid-1", b"secret bytes").unwrap();
        assert!(is_sealed(&sealed));
        assert_eq!(one.open("kid-1", &sealed).unwrap(), b"secret bytes");
        assert!(one.open("kid-2", &sealed).is_err(), "bound to its name");
        assert!(two.open("kid-1", &sealed).is_err(), "bound to its key");
        assert_ne!(
            sealed,
            one.seal("kid-1", b"secret bytes").unwrap(),
            "fresh nonce"
        );
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(one.open("kid-1", &altered).is_err(), "altered");
        assert!(one.open("kid-1", "plain text").is_err());
    }

    #[test]
    fn keys_are_32_bytes_of_base64() {
        assert!(MasterKey::parse(&MasterKey::generate()).is_ok());
        assert!(
            MasterKey::parse("c2hvcnQ=")
                .unwrap_err()
                .contains("32 bytes")
        );
        assert!(MasterKey::parse("not base64!").is_err());
        assert_eq!(format!("{:?}", key()), "MasterKey(…)", "never printed");
    }
}
