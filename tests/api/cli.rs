//! The `tenantry` command line, run as a separate process against the database a running server
//! uses: what it changes reaches the server without a restart.

use std::process::Output;

use reqwest::StatusCode;
use serde_json::Value;

use serde_json::json;

use crate::helpers::{Backend, Credential, TestApp, assert_error, db_tests, eventually, spawn_app};

db_tests!(
    changes_made_by_the_cli_reach_a_running_server,
    cli_errors_are_one_line_and_a_failure,
    listings_show_tenants_and_domains,
    operators_and_keys_are_bootstrapped_from_the_cli,
);

/// Runs the CLI with the test's database; `TENANTRY_*` settings of the outer environment are
/// cleared so they cannot leak in.
pub(crate) async fn cli(app: &TestApp, args: &[&str]) -> Output {
    let binary = env!("CARGO_BIN_EXE_tenantry-cli");
    let mut command = tokio::process::Command::new(binary);
    command
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("TENANTRY_MASTER_KEY", &app.master_key)
        .env_remove("TENANTRY_BASE_DOMAIN")
        .env_remove("TENANTRY_CONFIG")
        .env_remove("TENANTRY_TRUSTED_PROXIES")
        .env_remove("RUST_LOG")
        .current_dir(std::env::temp_dir());
    command.output().await.expect("the CLI runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn status_of(app: &TestApp, host: &str) -> StatusCode {
    app.get_branding(host).await.status()
}

async fn changes_made_by_the_cli_reach_a_running_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let rides = "globex-rides.localhost";
    // Cached as unknown before the tenant exists: the negative entry must be dropped too.
    assert_eq!(status_of(&app, rides).await, StatusCode::NOT_FOUND);

    let created = cli(
        &app,
        &["tenant", "create", "--slug", "globex", "--name", "Globex"],
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stdout(&created).contains(rides));
    eventually("new tenant routes", || async {
        status_of(&app, rides).await == StatusCode::OK
    })
    .await;

    let suspended = cli(&app, &["tenant", "suspend", "--slug", "globex"]).await;
    assert!(suspended.status.success(), "{}", stderr(&suspended));
    eventually("suspension honoured", || async {
        status_of(&app, rides).await == StatusCode::NOT_FOUND
    })
    .await;
    assert_error(
        app.get_branding(rides).await,
        StatusCode::NOT_FOUND,
        "Tenant not found",
    )
    .await;

    let activated = cli(&app, &["tenant", "activate", "--slug", "globex"]).await;
    assert!(activated.status.success(), "{}", stderr(&activated));
    eventually("reactivation honoured", || async {
        status_of(&app, rides).await == StatusCode::OK
    })
    .await;

    let added = cli(
        &app,
        &[
            "domain",
            "add",
            "--tenant",
            "globex",
            "--app",
            "TAXI_PASSENGER",
            "--host",
            "Rides.Globex.Example",
        ],
    )
    .await;
    assert!(added.status.success(), "{}", stderr(&added));
    eventually("custom domain routes", || async {
        status_of(&app, "rides.globex.example").await == StatusCode::OK
    })
    .await;
    let body: Value = app
        .get_branding("rides.globex.example")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (body["tenant_slug"].as_str(), body["app"].as_str()),
        (Some("globex"), Some("TAXI_PASSENGER"))
    );
}

async fn cli_errors_are_one_line_and_a_failure(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme").await;
    let cases: [(&[&str], &str); 7] = [
        (
            &["tenant", "create", "--slug", "www", "--name", "W"],
            "slug: 'www' is reserved",
        ),
        (
            &["tenant", "create", "--slug", "Acme!", "--name", "A"],
            "slug: may contain only lower-case letters, digits and hyphens",
        ),
        (
            &["tenant", "create", "--slug", "acme", "--name", "Again"],
            "slug: 'acme' is already taken",
        ),
        (
            &[
                "tenant", "create", "--slug", "fresh", "--name", "F", "--apps", "NOPE",
            ],
            "apps: unknown app 'NOPE'",
        ),
        (
            &["tenant", "suspend", "--slug", "nobody"],
            "tenant 'nobody' not found",
        ),
        (
            &[
                "domain",
                "add",
                "--tenant",
                "acme",
                "--app",
                "TAXI_PASSENGER",
                "--host",
                "a..b",
            ],
            "host: 'a..b' is not a valid host name",
        ),
        (
            &[
                "domain",
                "add",
                "--tenant",
                "acme",
                "--app",
                "TAXI_PASSENGER",
                "--host",
                "x.example",
                "--alias",
            ],
            "alias: TAXI_PASSENGER of 'acme' has no custom domain to alias",
        ),
    ];
    for (args, expected) in cases {
        let output = cli(&app, args).await;
        let err = stderr(&output);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("error: {expected}")),
            "{args:?}: {err}"
        );
    }

    let help = cli(&app, &["domain", "add", "--help"]).await;
    assert!(help.status.success());
    assert!(stdout(&help).contains("--alias"));
}

async fn listings_show_tenants_and_domains(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme Mobility").await;
    app.set_status("acme", tenantry::entities::tenant::TenantStatus::Suspended)
        .await;

    let tenants = stdout(&cli(&app, &["tenant", "list"]).await);
    let rows: Vec<Vec<&str>> = tenants
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec!["acme", "suspended", "Acme", "Mobility"],
            vec!["main", "active", "Tenantry"]
        ]
    );

    let domains = stdout(&cli(&app, &["domain", "list", "--tenant", "acme"]).await);
    assert!(domains.contains("acme-rides.localhost"), "{domains}");
    assert_eq!(domains.lines().count(), 1 + 8, "{domains}");

    // A subset of the catalog: one system domain per app named, each once.
    let apps = "TAXI_PASSENGER,ADMIN_CONSOLE,TAXI_PASSENGER";
    let created = cli(
        &app,
        &[
            "tenant", "create", "--slug", "duo", "--name", "Duo", "--apps", apps,
        ],
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let domains = stdout(&cli(&app, &["domain", "list", "--tenant", "duo"]).await);
    let hosts: Vec<&str> = domains
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(hosts, ["duo-admin.localhost", "duo-rides.localhost"]);
}

async fn operators_and_keys_are_bootstrapped_from_the_cli(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme").await;

    let operator = cli(&app, &["operator", "create", "--email", "Ops@Example.com"]).await;
    assert!(operator.status.success(), "{}", stderr(&operator));
    assert!(stdout(&operator).starts_with("operator ops@example.com"));
    let again = cli(&app, &["operator", "create", "--email", "ops@example.com"]).await;
    assert!(
        again.status.success(),
        "creating an existing operator is a no-op"
    );

    let viewer = "{ viewer { role tenant { slug } apiKey { kind } } }";
    let cases: [(&[&str], serde_json::Value); 3] = [
        (
            &["key", "create", "--tenant", "main", "--kind", "secret"],
            json!({ "role": "OPERATOR", "tenant": { "slug": "main" }, "apiKey": { "kind": "SECRET" } }),
        ),
        (
            &[
                "key", "create", "--tenant", "acme", "--kind", "secret", "--role", "member",
            ],
            json!({ "role": "MEMBER", "tenant": { "slug": "acme" }, "apiKey": { "kind": "SECRET" } }),
        ),
        (
            &[
                "key",
                "create",
                "--tenant",
                "acme",
                "--kind",
                "public",
                "--app",
                "TAXI_PASSENGER",
            ],
            json!({ "role": null, "tenant": { "slug": "acme" }, "apiKey": { "kind": "PUBLIC" } }),
        ),
    ];
    for (args, expected) in cases {
        let created = cli(&app, args).await;
        assert!(created.status.success(), "{args:?}: {}", stderr(&created));
        let key = stdout(&created).trim().to_owned();
        assert_eq!(key.lines().count(), 1, "only the key goes to stdout");
        let body = app.gql(&Credential::Key(key), viewer, json!({})).await;
        assert_eq!(body["data"]["viewer"], expected, "{args:?}");
    }

    let refused = cli(
        &app,
        &[
            "key", "create", "--tenant", "acme", "--kind", "secret", "--role", "operator",
        ],
    )
    .await;
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).starts_with("error: role: "),
        "{}",
        stderr(&refused)
    );
}
