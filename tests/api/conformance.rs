//! Clients and verifiers Tenantry did not write, run against a live server: the GraphQL over HTTP
//! working group's audit suite (npm `graphql-http`).
//!
//! They need `node` (20 or newer) and `npm ci --prefix tests/conformance`. Without them a test
//! says it was skipped and passes, as the suite does without PostgreSQL; with `CI` set it fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::{Backend, spawn_app_with};

/// Every audit of `graphql-http`'s `auditServer`, MUST and SHOULD alike, against an anonymous
/// client on a server with the default configuration.
#[tokio::test]
async fn the_graphql_over_http_audit_passes_whole() {
    let Some(dir) = conformance_clients() else {
        return;
    };
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await;
    let url = app.url("/graphql");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("audit.mjs")
            .arg(url)
            .current_dir(dir)
            .output()
            .expect("node could not be started")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "audits that did not pass:\n{}\n{}",
        report
            .lines()
            .filter(|line| !line.starts_with("ok "))
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("audits passed"), "{report}");
}

/// `tests/conformance`, when node and its packages are there; otherwise `None` after saying why
/// (or a panic under CI).
fn conformance_clients() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut missing = Vec::new();
    match node_major_version() {
        Some(major) if major >= 20 => {}
        Some(major) => missing.push(format!("node {major} is too old (20 or newer)")),
        None => missing.push("node is not on PATH (install Node.js 20 or newer)".to_owned()),
    }
    if !dir.join("node_modules/graphql-http").is_dir() {
        missing.push("graphql-http is not installed (npm ci --prefix tests/conformance)".into());
    }
    if missing.is_empty() {
        return Some(dir);
    }
    let what = missing.join("; ");
    if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) {
        panic!("CI is set but the conformance clients cannot run: {what}");
    }
    // Written past the test harness's capture, so it shows in a normal run.
    let _ = writeln!(
        std::io::stderr(),
        "note: the conformance clients were skipped: {what}"
    );
    None
}

fn node_major_version() -> Option<u32> {
    let output = Command::new("node").arg("--version").output().ok()?;
    let version = String::from_utf8(output.stdout).ok()?;
    version
        .trim()
        .strip_prefix('v')?
        .split('.')
        .next()?
        .parse()
        .ok()
}
