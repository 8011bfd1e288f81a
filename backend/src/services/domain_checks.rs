//! The checks a custom domain passes before it routes, done as the real edge would see them: the
//! name resolves, a TXT record proves ownership, and the three well-known files come back through
//! the tenant's own proxy as JSON. Every check reports in words, so an admin sees exactly why a
//! domain is not live.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RData;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::db;

/// The TXT record that proves a claim: `_tenantry-challenge.<host>`.
pub fn challenge_record(host: &str) -> String {
    format!("_tenantry-challenge.{host}")
}

/// The well-known files every custom domain must serve through its proxy.
pub const PROBES: [&str; 3] = ["apple-app-site-association", "assetlinks.json", "webauthn"];
/// The most of a probed body that is read.
const MAX_BODY: usize = 64 * 1024;

/// Where names are looked up.
#[derive(Clone, Default)]
pub enum DnsSource {
    /// The system's resolver configuration (`/etc/resolv.conf`).
    #[default]
    System,
    /// A fixed map of records, shared so tests can change it while a server runs.
    Static(Arc<RwLock<StaticDns>>),
}

impl DnsSource {
    pub fn fixed(records: StaticDns) -> Self {
        DnsSource::Static(Arc::new(RwLock::new(records)))
    }
}

/// A and TXT records by name, like curl's `--resolve` for the whole check.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticDns {
    #[serde(default)]
    pub a: HashMap<String, Vec<IpAddr>>,
    #[serde(default)]
    pub txt: HashMap<String, Vec<String>>,
}

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
            dns: config.dns.clone(),
            scheme: config.probe_scheme.clone(),
            port: config.probe_port,
            allow_private: config.probe_allow_private,
            timeout: config.domain_probe_timeout,
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
        if let Some(refused) = addresses
            .iter()
            .find(|ip| !self.allow_private && !is_public(**ip))
        {
            let reason = format!("{host} resolves to {refused}, which is not a public address");
            results.extend(PROBES.map(|file| result(file, false, reason.clone(), Instant::now())));
            return results;
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

    async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        let not_found = || format!("{host} does not resolve (no A, AAAA or CNAME record)");
        let found = match &self.dns {
            DnsSource::Static(records) => records
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .a
                .get(host)
                .cloned()
                .unwrap_or_default(),
            DnsSource::System => {
                let resolver = system_resolver()?;
                match resolver.lookup_ip(format!("{host}.")).await {
                    Ok(lookup) => lookup.iter().collect(),
                    Err(_) => Vec::new(),
                }
            }
        };
        if found.is_empty() {
            Err(not_found())
        } else {
            Ok(found)
        }
    }

    async fn ownership(&self, host: &str, token: &str) -> CheckResult {
        let started = Instant::now();
        let name = challenge_record(host);
        let values = match &self.dns {
            DnsSource::Static(records) => records
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .txt
                .get(&name)
                .cloned()
                .unwrap_or_default(),
            DnsSource::System => match system_resolver() {
                Ok(resolver) => match resolver.txt_lookup(format!("{name}.")).await {
                    Ok(lookup) => lookup
                        .answers()
                        .iter()
                        .filter_map(|record| match &record.data {
                            RData::TXT(txt) => Some(txt.to_string()),
                            _ => None,
                        })
                        .collect(),
                    Err(_) => Vec::new(),
                },
                Err(reason) => return result("ownership", false, reason, started),
            },
        };
        if values.is_empty() {
            return result(
                "ownership",
                false,
                format!("TXT record {name} not found"),
                started,
            );
        }
        if values.iter().any(|value| value.trim() == token) {
            result(
                "ownership",
                true,
                format!("TXT record {name} holds the token"),
                started,
            )
        } else {
            result(
                "ownership",
                false,
                format!("TXT record {name} does not hold this domain's token"),
                started,
            )
        }
    }

    async fn probe(&self, host: &str, sockets: &[SocketAddr], file: &str) -> CheckResult {
        let started = Instant::now();
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        let url = format!("{}://{host}{port}/.well-known/{file}", self.scheme);
        // Pinned to the addresses just checked: a second DNS answer cannot point elsewhere.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .resolve_to_addrs(host, sockets)
            .build();
        let client = match client {
            Ok(client) => client,
            Err(err) => return result(file, false, format!("{file}: {err}"), started),
        };
        let seconds = self.timeout.as_secs_f64();
        let fetched = tokio::time::timeout(self.timeout, fetch(&client, &url)).await;
        let outcome = match fetched {
            Err(_) => Err(format!("{file} did not answer within {seconds} s")),
            Ok(Err(err)) if err.is_timeout() => {
                Err(format!("{file} did not answer within {seconds} s"))
            }
            Ok(Err(err)) if err.is_connect() => Err(format!("{file}: cannot connect to {host}")),
            Ok(Err(err)) => Err(format!("{file}: {err}")),
            Ok(Ok(answer)) => judge(file, answer),
        };
        match outcome {
            Ok(reason) => result(file, true, reason, started),
            Err(reason) => result(file, false, reason, started),
        }
    }
}

struct Answer {
    status: reqwest::StatusCode,
    content_type: Option<String>,
    body: Vec<u8>,
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<Answer, reqwest::Error> {
    let mut response = client.get(url).send().await?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    while body.len() < MAX_BODY {
        match response.chunk().await? {
            Some(chunk) => body.extend_from_slice(&chunk),
            None => break,
        }
    }
    Ok(Answer {
        status,
        content_type,
        body,
    })
}

/// 2xx, `application/json`, and a body that starts like JSON.
fn judge(file: &str, answer: Answer) -> Result<String, String> {
    if !answer.status.is_success() {
        return Err(format!("{file} answered {}", answer.status.as_u16()));
    }
    let essence = answer.content_type.as_deref().map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    match essence.as_deref() {
        Some("application/json") => {}
        Some(other) => return Err(format!("{file} answered {other}")),
        None => return Err(format!("{file} answered with no Content-Type")),
    }
    match answer.body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => Ok(format!("{file} answered JSON")),
        Some(other) => Err(format!(
            "{file} is not JSON (it starts with {:?})",
            char::from(*other)
        )),
        None => Err(format!("{file} answered an empty body")),
    }
}

fn system_resolver() -> Result<TokioResolver, String> {
    TokioResolver::builder_tokio()
        .and_then(|builder| builder.build())
        .map_err(|e| format!("the DNS resolver is not usable: {e}"))
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

/// Whether the platform may connect to `ip` on a tenant's behalf: never to its own network.
fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_probed() {
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "198.18.0.1",
            "192.0.2.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn probes_need_success_json_type_and_a_json_body() {
        let answer = |status: u16, ct: Option<&str>, body: &str| Answer {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            content_type: ct.map(str::to_owned),
            body: body.as_bytes().to_vec(),
        };
        let json = Some("application/json; charset=utf-8");
        assert!(judge("f", answer(200, json, " \n{\"a\":1}")).is_ok());
        assert!(judge("f", answer(200, json, "[]")).is_ok());
        assert_eq!(
            judge("f", answer(404, json, "{}")),
            Err("f answered 404".into())
        );
        assert_eq!(
            judge("f", answer(200, Some("text/html"), "{}")),
            Err("f answered text/html".into())
        );
        assert_eq!(
            judge("f", answer(200, None, "{}")),
            Err("f answered with no Content-Type".into())
        );
        assert_eq!(
            judge("f", answer(200, json, "<html>")),
            Err("f is not JSON (it starts with '<')".into())
        );
        assert_eq!(
            judge("f", answer(200, json, "  ")),
            Err("f answered an empty body".into())
        );
    }
}
