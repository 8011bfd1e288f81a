//! Passwords: argon2id, hashed and checked off the async runtime, a few at a time, so a sign-in
//! never stalls the runtime and a flood of sign-ins cannot take all the memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use super::secrets;

use crate::error::AppError;

/// Shortest and longest password accepted; the longest bounds the hashing work one request can ask.
pub const MIN_LEN: usize = 10;
const MAX_LEN: usize = 256;

/// argon2id cost: memory in KiB and passes.
#[derive(Clone, Copy, Debug)]
pub struct Cost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for Cost {
    /// The configuration's default (`[passwords]`).
    fn default() -> Self {
        Self::from(&crate::config::Passwords::default())
    }
}

impl From<&crate::config::Passwords> for Cost {
    fn from(settings: &crate::config::Passwords) -> Self {
        Self {
            memory_kib: settings.memory_kib,
            iterations: settings.iterations,
        }
    }
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

/// The one way passwords are hashed and checked.
///
/// Every check costs exactly one argon2 verification, whether or not the account exists or has a
/// password: without a stored hash the input is checked against a dummy hash of a random secret
/// made at start-up, and the answer is `false` whatever the input (nobody knows the secret, and it
/// would not count if they did). At most `concurrency` hashes run at once; a caller that cannot
/// start within `wait` gets [`AppError::Busy`].
///
/// Each running hash needs `memory_kib` of working memory. Allocated afresh on every blocking
/// thread, those blocks stayed in each thread's malloc arena after the hash, so a burst of sign-ins
/// left the process holding over a gigabyte; here they come from a pool of at most `concurrency`
/// buffers, reused, so the memory of password checks is bounded by the concurrency.
pub struct Passwords {
    cost: Cost,
    permits: Semaphore,
    wait: Duration,
    dummy: String,
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    verifications: AtomicU64,
}

/// argon2's output length for new hashes (its default).
const OUTPUT_LEN: usize = 32;

impl Passwords {
    pub fn new(cost: Cost, concurrency: usize, wait: Duration) -> Result<Self, AppError> {
        let memory = Arc::new(Mutex::new(Vec::new()));
        let dummy = hash_with(&memory, &secrets::random_bytes::<32>(), cost)?;
        Ok(Self {
            cost,
            permits: Semaphore::new(concurrency.max(1)),
            wait,
            dummy,
            memory,
            verifications: AtomicU64::new(0),
        })
    }

    /// A PHC string (`$argon2id$v=19$…`) with a fresh salt.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _permit = self.permit().await?;
        let (cost, memory) = (self.cost, self.memory.clone());
        tokio::task::spawn_blocking(move || hash_with(&memory, password.as_bytes(), cost))
            .await
            .map_err(AppError::internal)?
    }

    /// Whether `password` matches `stored`; always `false` without a stored hash, after the same
    /// work as with one.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let _permit = self.permit().await?;
        let too_long = password.chars().count() > MAX_LEN;
        let has_hash = stored.is_some();
        let target = stored.unwrap_or_else(|| self.dummy.clone());
        let memory = self.memory.clone();
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let matches =
            tokio::task::spawn_blocking(move || verify_with(&memory, password.as_bytes(), &target))
                .await
                .map_err(AppError::internal)??;
        Ok(matches && has_hash && !too_long)
    }

    /// How many argon2 verifications this process has run (tests count them per attempt).
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        match tokio::time::timeout(self.wait, self.permits.acquire()).await {
            Ok(permit) => permit.map_err(AppError::internal),
            Err(_) => Err(AppError::Busy {
                what: "sign-ins",
                wait: Duration::from_secs(1),
            }),
        }
    }
}

/// Runs argon2 with working memory from the pool (grown to the size `argon` needs), then puts the
/// memory back.
fn compute(
    memory: &Mutex<Vec<Vec<Block>>>,
    argon: &Argon2<'_>,
    blocks: usize,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), AppError> {
    let mut buffer = memory
        .lock()
        .map_err(|_| AppError::internal("password memory pool poisoned"))?
        .pop()
        .unwrap_or_default();
    buffer.resize(blocks, Block::default());
    let computed = argon.hash_password_into_with_memory(password, salt, out, &mut buffer[..]);
    if let Ok(mut pool) = memory.lock() {
        pool.push(buffer);
    }
    computed.map_err(AppError::internal)
}

fn hash_with(
    memory: &Mutex<Vec<Vec<Block>>>,
    password: &[u8],
    cost: Cost,
) -> Result<String, AppError> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, Some(OUTPUT_LEN))
        .map_err(AppError::internal)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = secrets::random_bytes::<16>();
    let mut out = [0u8; OUTPUT_LEN];
    compute(
        memory,
        &argon,
        params.block_count(),
        password,
        &salt,
        &mut out,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(AppError::internal)?,
        salt: Some(Salt::new(&salt).map_err(AppError::internal)?),
        hash: Some(Output::new(&out).map_err(AppError::internal)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored`, under the parameters `stored` names.
fn verify_with(
    memory: &Mutex<Vec<Vec<Block>>>,
    password: &[u8],
    stored: &str,
) -> Result<bool, AppError> {
    let parsed = PasswordHash::new(stored).map_err(AppError::internal)?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Err(AppError::internal(
            "a stored password hash lacks its salt or output",
        ));
    };
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(AppError::internal)?;
    let version = match parsed.version {
        Some(version) => Version::try_from(version).map_err(AppError::internal)?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(AppError::internal)?;
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    compute(
        memory,
        &argon,
        params.block_count(),
        password,
        salt,
        &mut out,
    )?;
    Ok(secrets::constant_time_eq(&out, expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: Cost = Cost {
        memory_kib: 64,
        iterations: 1,
    };

    fn passwords() -> Passwords {
        Passwords::new(CHEAP, 2, Duration::from_secs(5)).unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let passwords = passwords();
        let first = passwords
            .hash("correct horse battery".into())
            .await
            .unwrap();
        let second = passwords
            .hash("correct horse battery".into())
            .await
            .unwrap();
        assert!(first.starts_with("$argon2id$"));
        assert_ne!(first, second, "salted");
        let check = |text: &str, stored: Option<String>| passwords.verify(text.into(), stored);
        assert!(
            check("correct horse battery", Some(first.clone()))
                .await
                .unwrap()
        );
        assert!(!check("wrong horse battery", Some(first)).await.unwrap());
        assert_eq!(passwords.verifications(), 2);
    }

    #[tokio::test]
    async fn hashes_are_standard_phc_strings() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let passwords = passwords();
        // Ours verify with the reference verifier, and the reference's verify with ours.
        let ours = passwords
            .hash("correct horse battery".into())
            .await
            .unwrap();
        let argon = Argon2::default();
        assert!(
            argon
                .verify_password(b"correct horse battery", ours.as_str())
                .is_ok()
        );
        let theirs = argon.hash_password(b"battery staple").unwrap().to_string();
        assert!(
            passwords
                .verify("battery staple".into(), Some(theirs.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("battery stapler".into(), Some(theirs))
                .await
                .unwrap()
        );
        assert!(
            passwords.memory.lock().unwrap().len() <= 2,
            "buffers are reused"
        );
    }

    #[tokio::test]
    async fn no_stored_hash_never_verifies() {
        let passwords = passwords();
        // The dummy's own secret is random and unknown; even the strings an attacker might guess,
        // and the empty one, fail, each after exactly one verification.
        for guess in ["no account has this password", "", " ", "password"] {
            assert!(!passwords.verify(guess.into(), None).await.unwrap());
        }
        assert_eq!(passwords.verifications(), 4);
        // Were the check to trust a match against the dummy, this would pass: the dummy is a real
        // hash of something, so only `has_hash` keeps the answer false.
        assert!(passwords.dummy.starts_with("$argon2id$"));
    }

    #[tokio::test]
    async fn a_caller_waiting_too_long_is_told_to_come_back() {
        let passwords = Passwords::new(CHEAP, 1, Duration::from_millis(20)).unwrap();
        let held = passwords.permits.acquire().await.unwrap();
        let refused = passwords.verify("anything at all".into(), None).await;
        assert!(matches!(refused, Err(AppError::Busy { .. })), "{refused:?}");
        drop(held);
        assert!(
            !passwords
                .verify("anything at all".into(), None)
                .await
                .unwrap()
        );
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
