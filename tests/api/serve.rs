//! `tenantry serve` as an operator runs it: the demo data, JSON logs with request ids, and a clean
//! stop on SIGTERM.

use std::process::Stdio;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::helpers::{Backend, TestDatabase, db_tests};

/// `tenantry serve --demo` in `workdir`, logging at `info`, with none of the environment's own
/// base domain or configuration file.
fn demo_server(workdir: &std::path::Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tenantry-cli"));
    command
        .args(["serve", "--demo"])
        .env("RUST_LOG", "info")
        .env_remove("TENANTRY_BASE_DOMAIN")
        .env_remove("TENANTRY_CONFIG")
        .current_dir(workdir)
        .kill_on_drop(true);
    command
}

db_tests!(demo_server_logs_json_and_stops_on_sigterm);

async fn demo_server_logs_json_and_stops_on_sigterm(backend: Backend) {
    let database = TestDatabase::create(&backend).await;
    let workdir = tempfile::tempdir().unwrap();
    let mut server = demo_server(workdir.path())
        .args(["--bind", "127.0.0.1:0", "--log-format", "json"])
        .env("DATABASE_URL", &database.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");

    // The demo prints one URL per app of tenant acme; the port is in them.
    let mut stdout = BufReader::new(server.stdout.take().unwrap()).lines();
    let (mut rides_url, mut admin_key) = (None, None);
    while let Some(line) = stdout.next_line().await.unwrap() {
        let last = line.split_whitespace().last().map(str::to_owned);
        if line.contains("acme-rides.localhost") {
            rides_url = last;
        } else if line.trim_start().starts_with("acme admin") {
            admin_key = last;
            break;
        }
    }
    let admin_key = admin_key.expect("the demo prints an admin key");
    // What the demo keeps on disk (its master key, the keys it printed) is for no one else.
    let mode = |path: std::path::PathBuf| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode(workdir.path().join("data")), 0o700);
    assert_eq!(mode(workdir.path().join("data/master.key")), 0o600);
    let rides_url = rides_url.expect("the demo prints the passenger app's URL");
    let port: u16 = rides_url
        .split(':')
        .nth(2)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .expect("a port in the URL");

    let response = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/api/branding"))
        .header("host", "acme-rides.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["display_name"], "Acme Rides");

    let viewer: Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .header("x-api-key", &admin_key)
        .json(&serde_json::json!({ "query": "{ viewer { role tenant { slug } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        viewer["data"]["viewer"],
        serde_json::json!({ "role": "ADMIN", "tenant": { "slug": "acme" } })
    );

    let pid = server.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server.wait().await.unwrap();
    assert!(status.success(), "stopped cleanly on SIGTERM: {status:?}");

    let mut logs = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    let lines: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let finished = lines
        .iter()
        .find(|line| line["fields"]["message"] == "request finished")
        .unwrap_or_else(|| panic!("no request was logged:\n{logs}"));
    assert_eq!(finished["span"]["request_id"], request_id.as_str());
    assert_eq!(finished["span"]["tenant"], "acme");
    assert!(
        lines
            .iter()
            .any(|line| line["fields"]["message"] == "shutting down: finishing requests in flight")
    );
}

/// A log nobody reads (a full pipe, a stalled disk) must not hold requests up: the server drops
/// lines past `log.buffered_lines` and counts them, and every request is still answered.
#[tokio::test]
async fn a_stalled_log_never_holds_a_request() {
    let workdir = tempfile::tempdir().unwrap();
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (port, metrics_port) = (free_port(), free_port());
    let mut server = demo_server(workdir.path())
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .args(["--metrics-bind", &format!("127.0.0.1:{metrics_port}")])
        .env("TENANTRY_LOG__BUFFERED_LINES", "16")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        // A pipe that is never read: once its buffer is full, every write to it would block.
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never answered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // Far more lines than the pipe and the buffers hold; each request must still be answered.
    for _ in 0..3000 {
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            client.get(format!("{base}/healthz")).send(),
        )
        .await
        .expect("a request waited on the log")
        .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let metrics = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dropped: u64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("tenantry_log_lines_dropped_total "))
        .unwrap_or_else(|| panic!("no dropped-lines counter:\n{metrics}"))
        .trim()
        .parse()
        .unwrap();
    assert!(dropped > 0, "lines past the buffer are dropped and counted");
    server.kill().await.unwrap();
}

/// Written to a file or a pipe, the text log is one line a request: when (UTC, to the
/// microsecond), the level, the request's span with its id and tenant, and what it answered.
#[tokio::test]
async fn a_piped_text_log_has_a_line_a_request_with_its_span() {
    let workdir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = demo_server(workdir.path())
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let client = reqwest::Client::new();
    let mut answered = None;
    for _ in 0..300 {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/api/branding"))
            .header("host", "acme-rides.localhost")
            .send()
            .await
        {
            answered = Some(response);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let response = answered.expect("the server answers");
    assert_eq!(response.status(), StatusCode::OK);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    // Paths are anyone's: a line separator, a right-to-left override or 10 KiB of path must not
    // reach the log as they are.
    for path in [
        "/a\u{2028}2026-12-03T18:50:00.000000Z\u{a0}\u{a0}INFO\u{a0}forged\u{202E}x\u{85}y"
            .to_owned(),
        format!("/{}", "b".repeat(10_000)),
    ] {
        use tokio::io::AsyncWriteExt;
        let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: acme-rides.localhost\r\nConnection: close\r\n\r\n"
        );
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        socket.read_to_end(&mut answer).await.unwrap();
        assert!(
            answer.starts_with(b"HTTP/1.1 404"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }
    let pid = server.id().expect("running").to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(server.wait().await.unwrap().success());
    let mut logs = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();

    let line = logs
        .lines()
        .find(|line| line.contains("request finished"))
        .unwrap_or_else(|| panic!("no request was logged:\n{logs}"));
    let (time, rest) = line.split_once(' ').unwrap();
    let time = chrono::DateTime::parse_from_rfc3339(time)
        .unwrap_or_else(|e| panic!("{time}: {e}"))
        .with_timezone(&chrono::Utc);
    assert!(
        time.to_rfc3339().ends_with("+00:00") && line.as_bytes()[26] == b'Z',
        "{line}"
    );
    let age = chrono::Utc::now() - time;
    assert!(
        age >= chrono::TimeDelta::zero() && age < chrono::TimeDelta::minutes(5),
        "{line}"
    );
    let expected = format!(
        " INFO request{{request_id={request_id} method=GET path=/api/branding tenant=\"acme\"}}: \
         tenantry::http: request finished status=200 latency_ms="
    );
    assert!(rest.starts_with(&expected), "{line}\nexpected: {expected}");
    let latency: f64 = rest[expected.len()..].parse().unwrap();
    assert!(latency > 0.0 && latency < 60_000.0, "{line}");
    assert!(!line.contains('\u{1b}'), "no colours in a file: {line}");
    assert!(
        logs.contains(
            "path=/a%E2%80%A82026-12-03T18:50:00.000000Z%C2%A0%C2%A0INFO%C2%A0forged%E2%80%AEx%C2%85y}"
        ),
        "{logs}"
    );
    assert!(!logs.contains(['\u{2028}', '\u{202E}', '\u{85}']), "{logs}");
    let long = logs
        .lines()
        .find(|line| line.contains("path=/bbbb"))
        .unwrap_or_else(|| panic!("the long path was not logged:\n{logs}"));
    assert!(long.len() < 1_000 && long.contains("bbb…}"), "{long}");
}
