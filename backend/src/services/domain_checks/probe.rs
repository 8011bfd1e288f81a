//! Fetching a well-known file from the tenant's proxy, pinned to the addresses the DNS check
//! found.

use std::net::SocketAddr;
use std::time::Instant;

use super::judge::{Answer, judge};
use super::{CheckResult, DomainChecker, result};

/// The most of a probed body that is read.
const MAX_BODY: usize = 64 * 1024;

impl DomainChecker {
    pub(super) async fn probe(
        &self,
        host: &str,
        sockets: &[SocketAddr],
        file: &str,
    ) -> CheckResult {
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
