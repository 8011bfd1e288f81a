//! The checks a custom domain passes before it routes, done as the real edge would see them: the
//! name resolves, a TXT record proves ownership, and the three well-known files come back through
//! the tenant's own proxy as JSON. Every check reports in words, so an admin sees exactly why a
//! domain is not live.

//!
//! [`dns`] looks names up, [`probe`] fetches the well-known files, [`judge`] decides what an
//! address or an answer is worth.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::db;

mod dns;
mod judge;
mod probe;

pub use self::dns::{DnsSource, StaticDns};
use self::judge::is_public;

/// The TXT record that proves a claim: `_tenantry-challenge.<host>`.
pub fn challenge_record(host: &str) -> String {
    format!("_tenantry-challenge.{host}")
}

/// The well-known files every custom domain must serve through its proxy.
pub const PROBES: [&str; 3] = ["apple-app-site-association", "assetlinks.json", "webauthn"];

/// One check's outcome, as stored and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    pub passed: bool,
    /// What was found, in words.
    pub reason: String,
    pub duration_ms: u64,
    pub checked_at: DateTime<Utc>,
}

pub fn all_passed(results: &[CheckResult]) -> bool {
    !results.is_empty() && results.iter().all(|r| r.passed)
}

pub struct DomainChecker {
    dns: DnsSource,
    scheme: String,
    port: Option<u16>,
    allow_private: bool,
    timeout: Duration,
}

impl DomainChecker {
    pub fn new(config: &Config) -> Self {
        Self {
            dns: DnsSource::configured(config.domains.dns_static.as_ref()),
            scheme: config.domains.probe_scheme.clone(),
            port: config.domains.probe_port,
            allow_private: config.domains.probe_allow_private,
            timeout: config.domains.probe_timeout,
        }
    }

    /// The fixed records, when `[domains.dns_static]` is written: shared, so a lab or a test can
    /// change them while the server runs.
    pub fn static_dns(&self) -> Option<std::sync::Arc<std::sync::RwLock<StaticDns>>> {
        match &self.dns {
            DnsSource::Static(records) => Some(records.clone()),
            DnsSource::System => None,
        }
    }

    /// Runs the checks for `host`: DNS first (nothing else can pass without it), then the
    /// ownership record when `token` is given, and the three probes side by side, so a run takes
    /// about one probe timeout at worst.
    pub async fn run(&self, host: &str, token: Option<&str>) -> Vec<CheckResult> {
        let started = Instant::now();
        let addresses = match self.addresses(host).await {
            Ok(addresses) => addresses,
            Err(reason) => return vec![result("dns", false, reason, started)],
        };
        if !self.allow_private && addresses.iter().any(|ip| !is_public(*ip)) {
            // Which address is not said: the answer would map the platform's own network.
            let reason = format!("{host} resolves to a non-public address");
            let mut results = vec![result("dns", false, reason.clone(), started)];
            results.extend(PROBES.map(|file| result(file, false, reason.clone(), Instant::now())));
            return results;
        }
        let listed: Vec<String> = addresses.iter().map(IpAddr::to_string).collect();
        let mut results = vec![result(
            "dns",
            true,
            format!("{host} resolves to {}", listed.join(", ")),
            started,
        )];
        if let Some(token) = token {
            results.push(self.ownership(host, token).await);
        }
        let port = self
            .port
            .unwrap_or(if self.scheme == "https" { 443 } else { 80 });
        let sockets: Vec<SocketAddr> = addresses
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .collect();
        let probes = PROBES.map(|file| self.probe(host, &sockets, file));
        let [a, b, c] = probes;
        let (a, b, c) = tokio::join!(a, b, c);
        results.extend([a, b, c]);
        results
    }
}

fn result(name: &str, passed: bool, reason: String, started: Instant) -> CheckResult {
    CheckResult {
        name: name.to_owned(),
        passed,
        reason,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        checked_at: db::now(),
    }
}
