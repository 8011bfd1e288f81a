//! The README's walk-through, run as printed: every block fenced as ```` ```sh tested ````, in the
//! order the README has them, in one `bash`, in an empty directory where `tenantry serve --demo`
//! runs on a free port. A `# → fragment` line under a command is an answer that command must
//! print (a plain substring, so an example may show only part of a long answer), and every command
//! must succeed.
//!
//! Needs `bash` and `curl` on `PATH`; without them the test says it was skipped, unless `CI` is set.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::helpers::{cannot_run, free_port, which};

const README: &str = include_str!("../../README.md");
const FENCE: &str = "```sh tested";
/// Printed before and after each command, so its output can be told from its neighbours'.
const MARK: &str = "@@readme";

/// One command of a tested block: its lines as printed, and the fragments its answer must hold.
#[derive(Debug, PartialEq)]
struct Step {
    line: usize,
    command: String,
    expected: Vec<String>,
}

/// The commands of the README's tested blocks, in order.
fn steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_block = false;
    let mut continued = false;
    for (index, line) in readme.lines().enumerate() {
        let trimmed = line.trim();
        if !in_block {
            in_block = trimmed == FENCE;
            continue;
        }
        if trimmed.starts_with("```") {
            in_block = false;
            continued = false;
            continue;
        }
        if continued {
            let step = steps.last_mut().expect("a command to continue");
            step.command.push('\n');
            step.command.push_str(line);
        } else if let Some(fragment) = trimmed.strip_prefix("# →") {
            let step = steps
                .last_mut()
                .unwrap_or_else(|| panic!("README line {}: `# →` under no command", index + 1));
            step.expected.push(fragment.trim().to_owned());
        } else if !trimmed.is_empty() && !trimmed.starts_with('#') {
            steps.push(Step {
                line: index + 1,
                command: line.to_owned(),
                expected: Vec::new(),
            });
        }
        continued = !trimmed.starts_with('#') && trimmed.ends_with('\\');
    }
    steps
}

#[test]
fn tested_blocks_are_split_into_commands_and_answers() {
    let readme = "text\n```sh\nnot run\n```\n```sh tested\n# a comment\nsource x\n\ncurl a \\\n  -d b\n# → one\n# → two\necho c   # trailing\n```\n";
    assert_eq!(
        steps(readme),
        vec![
            Step {
                line: 7,
                command: "source x".into(),
                expected: vec![],
            },
            Step {
                line: 9,
                command: "curl a \\\n  -d b".into(),
                expected: vec!["one".into(), "two".into()],
            },
            Step {
                line: 13,
                command: "echo c   # trailing".into(),
                expected: vec![],
            },
        ]
    );
}

#[tokio::test]
async fn the_readme_walk_through_runs_as_printed() {
    let missing: Vec<&str> = ["bash", "curl"]
        .into_iter()
        .filter(|tool| which(tool).is_none())
        .collect();
    if !missing.is_empty() {
        let why = format!("{} not on PATH", missing.join(" and "));
        cannot_run("the README's walk-through", &why);
        return;
    }
    let steps = steps(README);
    assert!(
        steps.len() > 20,
        "the README has {} tested commands; its walk-through blocks lost their `{FENCE}` fence?",
        steps.len()
    );

    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_tenantry-cli"), bin.join("tenantry")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();

    let port = free_port();
    let server_log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let mut server = tokio::process::Command::new(bin.join("tenantry"))
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .env_clear()
        .env("PATH", &path)
        .env("HOME", &home)
        .env("RUST_LOG", "warn")
        .current_dir(dir.path())
        .stdout(server_log.try_clone().unwrap())
        .stderr(server_log)
        .kill_on_drop(true)
        .spawn()
        .expect("the demo server starts");
    let demo_env = dir.path().join("data/demo.env");
    let started = Instant::now();
    while !demo_env.exists() {
        if started.elapsed() > Duration::from_secs(60) || server.try_wait().unwrap().is_some() {
            panic!(
                "the demo server did not write data/demo.env:\n{}",
                read(&dir.path().join("server.log"))
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut script = String::new();
    for (index, step) in steps.iter().enumerate() {
        script.push_str(&format!("printf '\\n{MARK} {index} start\\n'\n"));
        script.push_str(&step.command);
        script.push_str(&format!("\nprintf '\\n{MARK} {index} exit %d\\n' \"$?\"\n"));
    }
    let shell = tokio::process::Command::new("bash")
        .args(["-c", &format!("exec 2>&1\n{script}")])
        .env_clear()
        .env("PATH", &path)
        .env("HOME", &home)
        .env("PORT", port.to_string())
        .env("LC_ALL", "C.UTF-8")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(300), shell)
        .await
        .expect("the walk-through finishes within five minutes")
        .expect("bash runs");
    let output = String::from_utf8_lossy(&output.stdout).into_owned();
    let _ = server.start_kill();

    let mut failures = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let start = format!("{MARK} {index} start\n");
        let Some(begin) = output.find(&start).map(|at| at + start.len()) else {
            failures.push(format!("README line {}: never ran", step.line));
            continue;
        };
        let exit = format!("\n{MARK} {index} exit ");
        let Some(end) = output[begin..].find(&exit).map(|at| begin + at) else {
            failures.push(format!("README line {}: did not finish", step.line));
            continue;
        };
        let answer = &output[begin..end];
        let code = output[end + exit.len()..]
            .lines()
            .next()
            .unwrap_or_default();
        let missing: Vec<&String> = step
            .expected
            .iter()
            .filter(|fragment| !answer.contains(fragment.as_str()))
            .collect();
        if code != "0" || !missing.is_empty() {
            failures.push(format!(
                "README line {}: `{}` exited {code}{}\n--- it printed ---\n{}",
                step.line,
                step.command,
                missing
                    .iter()
                    .map(|fragment| format!("\n  missing: {fragment}"))
                    .collect::<String>(),
                answer.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} README commands failed:\n\n{}\n\n--- the demo server's log ---\n{}",
        failures.len(),
        steps.len(),
        failures.join("\n\n"),
        read(&dir.path().join("server.log"))
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
