//! Passwords: argon2id, hashed and checked off the async runtime so a sign-in never stalls it.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;

/// Shortest and longest password accepted; the longest bounds the hashing work one request can ask.
pub const MIN_LEN: usize = 10;
const MAX_LEN: usize = 256;

/// argon2id cost: memory in KiB and passes. OWASP's baseline is 19 MiB, 2 passes.
#[derive(Clone, Copy, Debug)]
pub struct Cost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for Cost {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
        }
    }
}

fn hasher(cost: Cost) -> Result<Argon2<'static>, AppError> {
    let params =
        Params::new(cost.memory_kib, cost.iterations, 1, None).map_err(AppError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The minimum policy: long enough, not absurdly long, not only spaces.
pub fn check_policy(password: &str) -> Result<(), AppError> {
    let length = password.chars().count();
    if length < MIN_LEN {
        return Err(AppError::invalid(
            "new_password",
            format!("must be at least {MIN_LEN} characters"),
        ));
    }
    if length > MAX_LEN {
        return Err(AppError::invalid(
            "new_password",
            format!("must be at most {MAX_LEN} characters"),
        ));
    }
    if password.trim().is_empty() {
        return Err(AppError::invalid("new_password", "must not be only spaces"));
    }
    Ok(())
}

/// A PHC string (`$argon2id$v=19$…`) with a fresh salt.
pub async fn hash(password: String, cost: Cost) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let hash = hasher(cost)?
            .hash_password(password.as_bytes())
            .map_err(AppError::internal)?;
        Ok(hash.to_string())
    })
    .await
    .map_err(AppError::internal)?
}

/// Whether `password` matches `stored`. With no stored hash (an unknown account, or one with no
/// password) the same work is done against a throw-away hash, so the answer takes as long.
pub async fn verify(
    password: String,
    stored: Option<String>,
    cost: Cost,
) -> Result<bool, AppError> {
    let too_long = password.chars().count() > MAX_LEN;
    tokio::task::spawn_blocking(move || {
        let argon = hasher(cost)?;
        let target = match stored {
            Some(hash) => hash,
            None => argon
                .hash_password(b"no account has this password")
                .map_err(AppError::internal)?
                .to_string(),
        };
        let matches = argon
            .verify_password(password.as_bytes(), target.as_str())
            .is_ok();
        Ok(matches && !too_long)
    })
    .await
    .map_err(AppError::internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: Cost = Cost {
        memory_kib: 64,
        iterations: 1,
    };

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let first = hash("correct horse battery".into(), CHEAP).await.unwrap();
        let second = hash("correct horse battery".into(), CHEAP).await.unwrap();
        assert!(first.starts_with("$argon2id$"));
        assert_ne!(first, second, "salted");
        assert!(
            verify("correct horse battery".into(), Some(first.clone()), CHEAP)
                .await
                .unwrap()
        );
        assert!(
            !verify("wrong horse battery".into(), Some(first), CHEAP)
                .await
                .unwrap()
        );
        assert!(!verify("anything at all".into(), None, CHEAP).await.unwrap());
    }

    #[test]
    fn policy() {
        assert!(check_policy("long enough!").is_ok());
        assert_eq!(
            check_policy("short").unwrap_err().to_string(),
            "new_password: must be at least 10 characters"
        );
        assert!(check_policy(&" ".repeat(12)).is_err());
        assert!(check_policy(&"x".repeat(257)).is_err());
    }
}
