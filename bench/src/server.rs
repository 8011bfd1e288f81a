//! The processes under load: a release `tenantry serve` on a database the benchmark seeded, and
//! the peer. Each listens on a free loopback port and is killed when dropped.

use std::error::Error;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

pub struct Server {
    child: Child,
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    /// `http://127.0.0.1:{port}/metrics` of a Tenantry server.
    metrics: Option<String>,
    /// Peak resident memory (KiB) once the server answered its first request: what starting took.
    pub start_peak_kib: u64,
}

impl Server {
    /// `tenantry serve` with `config` (a TOML file), its log (stderr) in `log`, and `env` set
    /// (`RUST_LOG` for the log-off variant).
    pub async fn tenantry(
        bin_dir: &Path,
        config: &Path,
        log: &Path,
        env: &[(&str, &str)],
    ) -> Result<Self> {
        let (addr, metrics) = (free_port()?, free_port()?);
        let child = Command::new(bin_dir.join("tenantry"))
            .args(["serve", "--bind", &addr.to_string(), "--config"])
            .arg(config)
            .env("TENANTRY_METRICS_BIND", metrics.to_string())
            .env("TENANTRY_MASTER_KEY", crate::master_key())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log)?)
            .spawn()?;
        let mut server = Self {
            child,
            base: format!("http://{addr}"),
            metrics: Some(format!("http://{metrics}/metrics")),
            start_peak_kib: 0,
        };
        server.wait_ready("/healthz").await?;
        server.start_peak_kib = server.memory_kib()?.1;
        Ok(server)
    }

    /// The peer (`bench-peer`); with `database` (its URL and the tenant whose leads it serves),
    /// its database routes too.
    pub async fn peer(bin_dir: &Path, database: Option<(&str, uuid::Uuid)>) -> Result<Self> {
        let addr = free_port()?;
        let mut command = Command::new(bin_dir.join("bench-peer"));
        command.arg(addr.to_string());
        if let Some((url, tenant)) = database {
            command.args([url, &tenant.to_string()]);
        }
        let child = command.stdin(Stdio::null()).spawn()?;
        let mut server = Self {
            child,
            base: format!("http://{addr}"),
            metrics: None,
            start_peak_kib: 0,
        };
        server.wait_ready("/graphql").await?;
        server.start_peak_kib = server.memory_kib()?.1;
        Ok(server)
    }

    /// CPU time the server has used so far (user and system), in seconds.
    pub fn cpu_seconds(&self) -> Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // Fields after the command name (which may hold spaces) close with ')'.
        let after = stat.rsplit_once(')').ok_or("no ')' in /proc/PID/stat")?.1;
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| -> Result<f64> {
            Ok(fields
                .get(i)
                .ok_or("short /proc/PID/stat")?
                .parse::<f64>()?)
        };
        // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the ')'.
        Ok((ticks(11)? + ticks(12)?) / clock_ticks())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_ready(&self, path: &str) -> Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("no answer from {} within 120 s", self.base).into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Resident and peak resident memory, in KiB, from `/proc`.
    pub fn memory_kib(&self) -> Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse().ok())
                .ok_or_else(|| format!("no {name} in /proc/{}/status", self.child.id()))
        };
        Ok((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// SQL statements the server has run so far, (reads, writes).
    pub async fn statements(&self) -> Result<Option<(u64, u64)>> {
        let Some(url) = &self.metrics else {
            return Ok(None);
        };
        let text = reqwest::get(url).await?.error_for_status()?.text().await?;
        let count = |kind: &str| {
            let prefix = format!("tenantry_db_statements_total{{kind=\"{kind}\"}} ");
            text.lines()
                .find_map(|line| line.strip_prefix(&prefix))
                .map_or(Ok(0), |n| n.trim().parse::<u64>())
        };
        Ok(Some((count("read")?, count("write")?)))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Clock ticks a second, the unit of `/proc/PID/stat`'s times.
fn clock_ticks() -> f64 {
    static TICKS: std::sync::LazyLock<f64> = std::sync::LazyLock::new(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    });
    *TICKS
}

/// A loopback address with a port nobody listens on (released just before the server binds it).
fn free_port() -> Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}
