//! Password sign-in under attack: what a burst of logins for unknown addresses costs the server in
//! memory, and whether a known address answers in the same time as an unknown one. The server
//! runs with its default argon2 cost and hashing limit.

use std::time::{Duration, Instant};

use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use tenantry::auth::password::{Cost, Passwords};
use tenantry::config::Config;
use tenantry::entities::account::{self, AccountStatus, Role};
use tenantry::services::{accounts, demo};
use tenantry::tenancy::context::PlatformContext;

use crate::server::Server;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Logins sent at once in each burst, bursts, and serial samples of each address.
pub const CONCURRENT: usize = 30;
const BURSTS: usize = 3;
pub const SAMPLES: usize = 25;
const KNOWN: &str = "known@acme.example";

pub struct SignInFigures {
    /// Peak resident memory (KiB) before the bursts and after them.
    pub peak_before_kib: u64,
    pub peak_after_kib: u64,
    /// Median answer of a burst of `CONCURRENT` (the slowest login of each burst, median).
    pub burst_ms: f64,
    /// Median answer of a wrong password for a known address and for an unknown one, serially.
    pub known_ms: f64,
    pub unknown_ms: f64,
}

/// Gives the demo tenant an account with a password, before its server starts.
pub async fn seed_known(config: Config) -> Result<()> {
    let db = tenantry::db::connect(&config).await?;
    let acme = PlatformContext::process()
        .tenant_by_slug(&db, demo::DEMO_SLUG)
        .await?;
    let account = accounts::create(&db, &acme, KNOWN, Role::User, AccountStatus::Active).await?;
    let passwords = Passwords::new(Cost::default(), 1, Duration::from_secs(60))?;
    let hash = passwords.hash("the right passphrase".into()).await?;
    let mut model: account::ActiveModel = account.into();
    model.password_hash = Set(Some(hash));
    model.update(&db).await?;
    db.close().await?;
    Ok(())
}

pub async fn measure(server: &Server) -> Result<SignInFigures> {
    let client = reqwest::Client::new();
    let url = format!("{}/auth/password/login", server.base);
    let login = |email: String| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let started = Instant::now();
            let status = client
                .post(&url)
                .header("host", "acme-rides.localhost")
                .json(&serde_json::json!({ "email": email, "password": "a wrong passphrase" }))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .status();
            if status != reqwest::StatusCode::UNAUTHORIZED {
                return Err(format!("a wrong password answered {status}"));
            }
            Ok(started.elapsed())
        }
    };
    // Warm-up: the first hash of a process pays for its allocations.
    login("warm@example.net".into()).await?;
    let (_, peak_before_kib) = server.memory_kib()?;
    let mut bursts = Vec::new();
    for burst in 0..BURSTS {
        let logins: Vec<_> = (0..CONCURRENT)
            .map(|i| tokio::spawn(login(format!("stranger{burst}-{i}@example.net"))))
            .collect();
        let mut slowest = Duration::ZERO;
        for login in logins {
            slowest = slowest.max(login.await??);
        }
        bursts.push(slowest);
    }
    let (_, peak_after_kib) = server.memory_kib()?;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    // Alternating, so a drift of the machine touches both alike.
    for i in 0..SAMPLES {
        known.push(login(KNOWN.into()).await?);
        unknown.push(login(format!("nobody{i}@acme.example")).await?);
    }
    Ok(SignInFigures {
        peak_before_kib,
        peak_after_kib,
        burst_ms: median_ms(&mut bursts),
        known_ms: median_ms(&mut known),
        unknown_ms: median_ms(&mut unknown),
    })
}

fn median_ms(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}
