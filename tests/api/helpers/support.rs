//! Waiting for a condition, test vectors, Redis for the tests that need it.

use std::io::Write;
use std::sync::Once;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Polls `check` until it returns `true`, failing after a generous ceiling.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let ceiling = Duration::from_secs(20);
    let start = Instant::now();
    while start.elapsed() < ceiling {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not seen within {ceiling:?}");
}

/// Reads one of the test-vector files in `tests/testdata/`.
pub fn vectors(file: &str) -> Vec<Value> {
    let path = format!("{}/testdata/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let rows: Vec<Value> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert!(!rows.is_empty(), "{path} holds no vectors");
    rows
}

/// The shared Redis of the test environment (`TENANTRY_TEST_REDIS_URL`); `None`, after saying once
/// that the Redis tests are skipped, where there is none.
pub fn shared_redis() -> Option<String> {
    static SKIPPED: Once = Once::new();
    match std::env::var("TENANTRY_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            SKIPPED.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "note: TENANTRY_TEST_REDIS_URL is not set; the Redis tests were skipped"
                );
            });
            None
        }
    }
}

/// A loopback port nobody listens on (free when asked; taken again by whoever binds it first).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private `redis-server` on a free port, for a test that takes Redis away; killed when dropped.
pub struct RedisServer {
    pub url: String,
    process: tokio::process::Child,
}

impl RedisServer {
    pub async fn kill(&mut self) {
        self.process.kill().await.expect("redis-server stops");
    }
}

/// Starts a [`RedisServer`] where the test environment has Redis (see [`shared_redis`]).
pub async fn redis_server() -> Option<RedisServer> {
    shared_redis()?;
    let port = free_port();
    let process = tokio::process::Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server starts (is Redis installed?)");
    eventually("redis-server accepts connections", || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await;
    Some(RedisServer {
        url: format!("redis://127.0.0.1:{port}"),
        process,
    })
}

/// Where `tool` is on `PATH`, if it is.
pub fn which(tool: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(tool))
        .find(|path| path.is_file())
}

/// A test that cannot run here because `why`: under `CI` that is a failure; otherwise it says so
/// (past the test harness's capture, so it shows in a normal run) and is skipped.
pub fn cannot_run(test: &str, why: &str) {
    if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) {
        panic!("CI is set but {test} cannot run: {why}");
    }
    let _ = writeln!(std::io::stderr(), "note: {test} was skipped: {why}");
}
