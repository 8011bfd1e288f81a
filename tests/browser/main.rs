//! The web console's browser tests, run by `cargo test` like the rest of the suite.
//!
//! The tests themselves are JavaScript (`tests/browser/console.test.mjs`): Playwright drives the
//! console in headless Chromium against the real server, under Node's test runner. This launcher
//! exists so that `cargo test --workspace` runs them too, against the `tenantry-cli` binary cargo
//! has just built, instead of leaving them to a separate command nobody runs.
//!
//! They need `node` (20 or newer) on `PATH`, Chromium (`CHROMIUM`, default `/usr/bin/chromium`)
//! and `npm ci --prefix tests/browser` (`just browser-deps` does both). Without them the test
//! says it was skipped and passes, as the suite does without PostgreSQL; with `CI` set it fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn console_in_headless_chromium() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    let missing = missing_prerequisites(&dir);
    if !missing.is_empty() {
        let what = missing.join("; ");
        if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) {
            panic!("CI is set but the browser tests cannot run: {what}");
        }
        // Written past the test harness's capture, so it shows in a normal run.
        let _ = writeln!(
            std::io::stderr(),
            "note: the browser tests were skipped: {what}"
        );
        return;
    }

    let status = Command::new("node")
        .args(["--test", "--test-reporter=spec", "console.test.mjs"])
        .current_dir(&dir)
        .env("TENANTRY_BIN", env!("CARGO_BIN_EXE_tenantry-cli"))
        .status()
        .expect("node could not be started");
    assert!(
        status.success(),
        "the browser tests failed ({status}); screenshots are in target/browser-screenshots/, \
         and TEST_LOG=1 shows the server's logs"
    );
}

/// What stops the browser tests from running here, each with what to install.
fn missing_prerequisites(dir: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    match node_major_version() {
        Some(major) if major >= 20 => {}
        Some(major) => missing.push(format!(
            "node {major} is too old, Node.js 20 or newer is needed"
        )),
        None => missing.push("node is not on PATH (install Node.js 20 or newer)".into()),
    }
    let chromium = std::env::var_os("CHROMIUM")
        .filter(|path| !path.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if !chromium.is_file() {
        missing.push(format!(
            "no Chromium at {} (apt-get install chromium, or set CHROMIUM to a Chromium binary)",
            chromium.display()
        ));
    }
    for package in ["playwright-core", "axe-core"] {
        if !dir.join("node_modules").join(package).is_dir() {
            missing.push(format!(
                "{package} is not installed (npm ci --prefix tests/browser)"
            ));
        }
    }
    missing
}

/// The major version `node --version` prints (`v20.11.1` → 20), or `None` without a working node.
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
