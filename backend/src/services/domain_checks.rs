//! The checks a custom domain passes before it routes, done as the real edge would see them: the
//! name resolves, a TXT record proves ownership, and the three well-known files come back through
//! the tenant's own proxy as JSON. Every check reports in words, so an admin sees exactly why a
//! domain is not live.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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
            // A proxy from the environment would resolve the name itself and skip the pinning.
            .no_proxy()
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

/// IPv4 blocks of the IANA IPv4 Special-Purpose Address Registry that are not globally reachable
/// (plus multicast and the whole of 192.0.0.0/24, two of whose anycast addresses are reachable but
/// never a tenant's proxy). <https://www.iana.org/assignments/iana-ipv4-special-registry/>
const NON_PUBLIC_V4: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
];

/// IPv6 blocks of the IANA IPv6 Special-Purpose Address Registry that are not globally reachable,
/// plus the deprecated site-local block and multicast. Forms that embed an IPv4 address (mapped,
/// compatible, NAT64, 6to4) are judged by that address first; Teredo lies in 2001::/23.
/// <https://www.iana.org/assignments/iana-ipv6-special-registry/>
const NON_PUBLIC_V6: &[&str] = &[
    "::/128",
    "::1/128",
    "64:ff9b:1::/48",
    "100::/64",
    "100:0:0:1::/64",
    "2001::/23",
    "2001:db8::/32",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
];

/// Addresses inside 2001::/23 that the registry marks globally reachable.
const PUBLIC_IN_2001_23: &[&str] = &[
    "2001:1::1/128",
    "2001:1::2/128",
    "2001:3::/32",
    "2001:4:112::/48",
    "2001:20::/28",
    "2001:30::/28",
];

fn within(ip: IpAddr, nets: &[&str]) -> bool {
    nets.iter()
        .filter_map(|net| net.parse::<ipnet::IpNet>().ok())
        .any(|net| net.contains(&ip))
}

/// The IPv4 address an IPv6 address carries in a form that routes to it: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`, RFC 2765), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    match s {
        [0, 0, 0, 0, 0, 0xffff, high, low] => Some(v4(high, low)),
        [0, 0, 0, 0, 0xffff, 0, high, low] => Some(v4(high, low)),
        // `::` and `::1` are their own entries, not IPv4 addresses.
        [0, 0, 0, 0, 0, 0, high, low] if (high, low) > (0, 1) => Some(v4(high, low)),
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => Some(v4(high, low)),
        [0x2002, high, low, ..] => Some(v4(high, low)),
        _ => None,
    }
}

/// Whether the platform may connect to `ip` on a tenant's behalf: only the public internet, never
/// its own network or anything the special-purpose registries hold back.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => !within(ip, NON_PUBLIC_V4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public(IpAddr::V4(v4));
            }
            !within(ip, NON_PUBLIC_V6) || within(ip, PUBLIC_IN_2001_23)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_probed() {
        // (address, public?) — one row per registry entry and embedded form.
        let table = [
            ("93.184.216.34", true),
            ("8.8.8.8", true),
            ("2606:4700::1111", true),
            ("2001:4860:4860::8888", true),
            ("0.1.2.3", false),
            ("10.1.2.3", false),
            ("100.64.0.1", false),
            ("127.0.0.1", false),
            ("169.254.169.254", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("172.32.0.1", true),
            ("192.0.0.8", false),
            ("192.0.0.170", false),
            ("192.0.2.1", false),
            ("192.88.99.1", false),
            ("192.168.1.1", false),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("198.51.100.1", false),
            ("203.0.113.1", false),
            ("224.0.0.1", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("::", false),
            ("::1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("::ffff:0:7f00:1", false),
            ("::ffff:0:a9fe:a9fe", false),
            ("::ffff:0:808:808", true),
            ("::127.0.0.1", false),
            ("::8.8.8.8", true),
            ("64:ff9b::7f00:1", false),
            ("64:ff9b::a00:1", false),
            ("64:ff9b::808:808", true),
            ("64:ff9b:1::1", false),
            ("100::1", false),
            ("2001::1", false),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", false),
            ("2001:2::1", false),
            ("2001:db8::1", false),
            ("2001:20::1", true),
            ("2002:7f00:1::", false),
            ("2002:c0a8:101::", false),
            ("2002:808:808::", true),
            ("3fff::1", false),
            ("5f00::1", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
        ];
        for (ip, public) in table {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
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
