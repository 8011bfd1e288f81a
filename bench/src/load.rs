//! The load: `wrk` in its own process, one request shape per scenario, written as a Lua script
//! whose `done` hook prints the figures as one JSON line.

use std::error::Error;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// What every request of a scenario looks like.
#[derive(Clone)]
pub struct Shape {
    pub method: &'static str,
    pub path: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
    /// A fresh random host on every request (the unknown-host flood) instead of a fixed one.
    pub random_host: bool,
    /// A fresh random client address on every request, as a trusted proxy reports it in
    /// `X-Forwarded-For` (a flood from many clients).
    pub random_client: bool,
}

impl Shape {
    pub fn get(path: &'static str) -> Self {
        Self {
            method: "GET",
            path,
            headers: Vec::new(),
            body: None,
            random_host: false,
            random_client: false,
        }
    }

    pub fn post_json(path: &'static str, body: String) -> Self {
        Self {
            method: "POST",
            body: Some(body),
            ..Self::get(path)
        }
        .header("Content-Type", "application/json")
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn random_hosts(mut self) -> Self {
        self.random_host = true;
        self
    }

    pub fn random_clients(mut self) -> Self {
        self.random_client = true;
        self
    }

    /// The same request, once, through reqwest: (status, body).
    pub async fn send_once(&self, base: &str) -> Result<(u16, String)> {
        let client = reqwest::Client::new();
        let mut request = client.request(self.method.parse()?, format!("{base}{}", self.path));
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        if self.random_host {
            request = request.header("Host", "never-provisioned.example");
        }
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        let response = request.send().await?;
        Ok((response.status().as_u16(), response.text().await?))
    }

    fn script(&self) -> String {
        let mut lua = format!("wrk.method = {}\n", lua_string(self.method));
        if let Some(body) = &self.body {
            lua += &format!("wrk.body = {}\n", lua_string(body));
        }
        for (name, value) in &self.headers {
            lua += &format!(
                "wrk.headers[{}] = {}\n",
                lua_string(name),
                lua_string(value)
            );
        }
        if self.random_host {
            lua += RANDOM_HOST;
        }
        if self.random_client {
            lua += RANDOM_CLIENT;
        }
        lua + REPORT
    }
}

/// A new host per request, never one that was provisioned.
const RANDOM_HOST: &str = r#"
math.randomseed(os.time())
request = function()
  wrk.headers["Host"] = string.format("h%d.unknown-%d.example", math.random(1, 2000000000), math.random(1, 2000000000))
  return wrk.format()
end
"#;

/// A new client address per request, as the edge proxy would report it.
const RANDOM_CLIENT: &str = r#"
math.randomseed(os.time())
request = function()
  wrk.headers["X-Forwarded-For"] = string.format("%d.%d.%d.%d", math.random(1, 223), math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format()
end
"#;

const REPORT: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"status_errors":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"#;

fn lua_string(text: &str) -> String {
    let mut out = String::from("\"");
    for byte in text.bytes() {
        match byte {
            b'"' | b'\\' => out.extend(['\\', byte as char]),
            0x20..=0x7e => out.push(byte as char),
            other => out += &format!("\\{other:03}"),
        }
    }
    out + "\""
}

/// How hard and how long wrk pushes.
#[derive(Clone, Copy)]
pub struct Load {
    pub threads: u32,
    pub connections: u32,
    pub duration: Duration,
}

/// What wrk measured.
#[derive(Debug, Deserialize)]
pub struct Figures {
    pub requests: u64,
    duration_us: u64,
    p50_us: u64,
    p99_us: u64,
    /// Answers with a status of 400 or more.
    pub status_errors: u64,
    /// Connect, read, write errors and timeouts.
    pub socket_errors: u64,
}

impl Figures {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }

    pub fn p50_ms(&self) -> f64 {
        self.p50_us as f64 / 1000.0
    }

    pub fn p99_ms(&self) -> f64 {
        self.p99_us as f64 / 1000.0
    }
}

/// Runs wrk with `shape` against `base` for `load.duration`.
pub fn run(wrk: &Path, scratch: &Path, base: &str, shape: &Shape, load: Load) -> Result<Figures> {
    let script = scratch.join("scenario.lua");
    std::fs::write(&script, shape.script())?;
    let output = Command::new(wrk)
        .arg(format!("--threads={}", load.threads))
        .arg(format!("--connections={}", load.connections))
        .arg(format!("--duration={}s", load.duration.as_secs().max(1)))
        .arg("--timeout=10s")
        .arg("--script")
        .arg(&script)
        .arg(format!("{base}{}", shape.path))
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "wrk failed ({}): {stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BENCH "))
        .ok_or_else(|| format!("wrk printed no figures: {stdout}"))?;
    Ok(serde_json::from_str(line)?)
}

#[cfg(test)]
mod tests {
    use super::lua_string;

    #[test]
    fn lua_strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(lua_string(r#"{"a":"b\c"}"#), r#""{\"a\":\"b\\c\"}""#);
        assert_eq!(lua_string("a\nb"), r#""a\010b""#);
    }
}
