//! "Sign-ins and logouts beside a key": wrk drives `viewer` with a tenant's secret key, once alone
//! and once while people of the same tenant sign in with a password and sign out again, `RATE`
//! pairs a second. Each sign-out ends a session, which must drop that session from the caches and
//! nothing else: the key keeps being answered from memory, so its throughput stays close to what
//! it is alone. The password hashes of this scenario are made cheap (argon2id at 256 KiB, one
//! pass), so what it measures is the sessions' writes and cache events, not the hashing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use tenantry::auth::password::{Cost, Passwords};
use tenantry::config::Config;
use tenantry::entities::account::{self, AccountStatus, Role};
use tenantry::services::{accounts, demo};
use tenantry::tenancy::context::PlatformContext;

use crate::load::{self, Load, Shape};
use crate::seed::Seeded;
use crate::server::Server;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Sign-in and sign-out pairs a second.
pub const RATE: u64 = 50;
const PEOPLE: usize = 20;
const PASSWORD: &str = "a passphrase for the bench";
const VIEWER: &str = r#"{"query":"{ viewer { tenant { slug } role } }"}"#;
/// What the scenario's server adds to its configuration: hashes that cost next to nothing.
pub const CHEAP_HASHING: &str = "[passwords]\nmemory_kib = 256\niterations = 1\n";

pub struct ChurnFigures {
    /// The key's `viewer` requests a second, alone and beside the sign-ins and sign-outs.
    pub alone: f64,
    pub beside: f64,
    /// Pairs completed, and pairs where a step answered anything but success.
    pub pairs: usize,
    pub failed: usize,
}

impl ChurnFigures {
    pub fn ratio(&self) -> f64 {
        self.beside / self.alone
    }
}

/// Gives the demo tenant `PEOPLE` accounts with a (cheaply hashed) password, before its server
/// starts.
pub async fn seed_people(config: Config) -> Result<()> {
    let db = tenantry::db::connect(&config).await?;
    let acme = PlatformContext::process()
        .tenant_by_slug(&db, demo::DEMO_SLUG)
        .await?;
    let cost = Cost {
        memory_kib: 256,
        iterations: 1,
    };
    let passwords = Passwords::new(cost, 1, Duration::from_secs(60))?;
    let hash = passwords.hash(PASSWORD.into()).await?;
    for person in 0..PEOPLE {
        let email = format!("person{person}@acme.example");
        let account =
            accounts::create(&db, &acme, &email, Role::User, AccountStatus::Active).await?;
        let mut model: account::ActiveModel = account.into();
        model.password_hash = Set(Some(hash.clone()));
        model.update(&db).await?;
    }
    db.close().await?;
    Ok(())
}

pub async fn measure(
    wrk: &std::path::Path,
    scratch: &std::path::Path,
    server: &Server,
    seeded: &Seeded,
    load: Load,
) -> Result<ChurnFigures> {
    let shape = Shape::post_json("/graphql", VIEWER.into()).header("X-Api-Key", &seeded.secret_key);
    let warm_up = Load {
        duration: Duration::from_secs(2),
        ..load
    };
    load::run(wrk, scratch, &server.base, &shape, warm_up)?;
    let alone = load::run(wrk, scratch, &server.base, &shape, load)?;

    let stop = Arc::new(AtomicBool::new(false));
    let (pairs, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let churn = tokio::spawn(churn(
        server.base.clone(),
        stop.clone(),
        pairs.clone(),
        failed.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (wrk, scratch, base) = (wrk.to_owned(), scratch.to_owned(), server.base.clone());
    let beside = tokio::task::spawn_blocking(move || {
        load::run(&wrk, &scratch, &base, &shape, load).map_err(|e| e.to_string())
    })
    .await??;
    stop.store(true, Ordering::Release);
    churn.await?;
    for figures in [&alone, &beside] {
        if figures.status_errors > 0 || figures.socket_errors > 0 {
            return Err(format!(
                "the key's requests saw {} error answers and {} socket errors",
                figures.status_errors, figures.socket_errors
            )
            .into());
        }
    }
    Ok(ChurnFigures {
        alone: alone.per_second(),
        beside: beside.per_second(),
        pairs: pairs.load(Ordering::Acquire),
        failed: failed.load(Ordering::Acquire),
    })
}

/// Signs a person in and out `RATE` times a second until `stop`, each pair on its own task.
async fn churn(
    base: String,
    stop: Arc<AtomicBool>,
    pairs: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
) {
    let client = reqwest::Client::new();
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
    let mut tasks = tokio::task::JoinSet::new();
    let mut person = 0;
    while !stop.load(Ordering::Acquire) {
        ticker.tick().await;
        person = (person + 1) % PEOPLE;
        let (client, base) = (client.clone(), base.clone());
        let (pairs, failed) = (pairs.clone(), failed.clone());
        tasks.spawn(async move {
            match pair(&client, &base, person).await {
                Ok(()) => pairs.fetch_add(1, Ordering::AcqRel),
                Err(_) => failed.fetch_add(1, Ordering::AcqRel),
            };
        });
    }
    while tasks.join_next().await.is_some() {}
}

async fn pair(client: &reqwest::Client, base: &str, person: usize) -> Result<()> {
    let signed_in = client
        .post(format!("{base}/auth/password/login"))
        .header("host", "acme-rides.localhost")
        .json(&serde_json::json!({
            "email": format!("person{person}@acme.example"),
            "password": PASSWORD,
        }))
        .send()
        .await?;
    if !signed_in.status().is_success() {
        return Err(format!("sign-in answered {}", signed_in.status()).into());
    }
    let tokens: serde_json::Value = signed_in.json().await?;
    let token = tokens["access_token"].as_str().ok_or("no access token")?;
    let signed_out = client
        .post(format!("{base}/auth/logout"))
        .header("host", "acme-rides.localhost")
        .bearer_auth(token)
        .send()
        .await?;
    if signed_out.status() != reqwest::StatusCode::NO_CONTENT {
        return Err(format!("sign-out answered {}", signed_out.status()).into());
    }
    Ok(())
}
