//! Name look-ups for the checks: the system resolver, or a fixed map of records.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RData;

pub use crate::config::StaticDns;

use super::{CheckResult, DomainChecker, challenge_record, result};

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
    /// `[domains.dns_static]` when it is written, else the system's resolver.
    pub fn configured(records: Option<&StaticDns>) -> Self {
        match records {
            Some(records) => DnsSource::Static(Arc::new(RwLock::new(records.clone()))),
            None => DnsSource::System,
        }
    }
}

impl DomainChecker {
    pub(super) async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, String> {
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

    pub(super) async fn ownership(&self, host: &str, token: &str) -> CheckResult {
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
}

fn system_resolver() -> Result<TokioResolver, String> {
    TokioResolver::builder_tokio()
        .and_then(|builder| builder.build())
        .map_err(|e| format!("the DNS resolver is not usable: {e}"))
}
