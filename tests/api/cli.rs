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
    scripts_get_json_and_keys_and_domains_can_be_taken_back,
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

/// Runs the CLI with no database of a test's: `env` names the one it should use, if any.
async fn cli_alone(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tenantry-cli"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("TENANTRY_MASTER_KEY")
        .env_remove("TENANTRY_CONFIG")
        .env_remove("RUST_LOG");
    for (name, value) in env {
        command.env(name, value);
    }
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

/// A one-shot command never creates a database: a missing SQLite file or PostgreSQL database, or
/// one with migrations pending, is refused in one line naming the URL, and nothing is created.
#[tokio::test]
async fn one_shot_commands_refuse_a_database_that_is_not_there() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data/tenantry.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let refused = cli_alone(&["tenant", "list"], &[("DATABASE_URL", &url)]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert_eq!(
        stderr(&refused).trim(),
        format!(
            "error: no database at {url}: run `tenantry migrate` to create it, or name yours with --database-url or DATABASE_URL"
        )
    );
    assert!(!file.exists(), "tenant list created {}", file.display());
    assert!(
        !file.parent().unwrap().exists(),
        "tenant list made its directory"
    );

    // The schema needs no database at all.
    let schema = cli_alone(&["schema"], &[("DATABASE_URL", &url)]).await;
    assert!(schema.status.success(), "{}", stderr(&schema));
    assert!(stdout(&schema).contains("type Query"));

    // An empty file is a database with every migration pending.
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"").unwrap();
    let pending = cli_alone(&["tenant", "list"], &[("DATABASE_URL", &url)]).await;
    assert_eq!(pending.status.code(), Some(1));
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        0,
        "the refused command wrote to the file"
    );
    let wal = file.with_extension("db-wal");
    assert!(!wal.exists(), "the refused command left {}", wal.display());
    let err = stderr(&pending);
    assert!(
        err.starts_with(&format!("error: the database at {url} has "))
            && err
                .trim_end()
                .ends_with("pending migrations: run `tenantry migrate`"),
        "{err}"
    );

    let migrated = cli_alone(&["migrate", "-v"], &[("DATABASE_URL", &url)]).await;
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    assert_eq!(stderr(&migrated).trim(), format!("database: {url}"));
    let listed = cli_alone(&["tenant", "list", "--json"], &[("DATABASE_URL", &url)]).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    let tenants: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(tenants[0]["slug"], "main");

    // `migrate` makes a SQLite file whatever the URL's mode says, readable by its owner only.
    let fresh = dir.path().join("fresh/tenantry.db");
    let fresh_url = format!("sqlite://{}", fresh.display());
    let made = cli_alone(&["migrate"], &[("DATABASE_URL", &fresh_url)]).await;
    assert!(made.status.success(), "{}", stderr(&made));
    let mode = |path: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(
        mode(&fresh),
        0o600,
        "the database file is readable by others"
    );
    assert_eq!(mode(fresh.parent().unwrap()), 0o700);

    if let Some(backend) = Backend::postgres() {
        let Backend::Postgres(admin_url) = &backend else {
            unreachable!()
        };
        let missing = crate::helpers::with_database(admin_url, "t_no_such_database");
        let refused = cli_alone(
            &["key", "list", "--tenant", "main"],
            &[("DATABASE_URL", &missing)],
        )
        .await;
        assert_eq!(refused.status.code(), Some(1));
        let err = stderr(&refused);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("no database at postgres://") && err.contains("t_no_such_database"),
            "{err}"
        );
    }
}

/// `tenantry health`, a container's health check: asks the server at `http.bind` for `/healthz`.
#[tokio::test]
async fn health_says_whether_the_server_at_the_configured_address_answers() {
    let app = spawn_app(Backend::Sqlite).await;
    let bind = app.addr.to_string();
    let up = cli_alone(&["health"], &[("TENANTRY_HTTP__BIND", bind.as_str())]).await;
    assert_eq!(up.status.code(), Some(0), "{}", stderr(&up));
    assert_eq!(stdout(&up).trim(), r#"{"status":"ok"}"#);
    // Bound to every address, it is asked on loopback.
    let any = format!("0.0.0.0:{}", app.addr.port());
    let up = cli_alone(&["health"], &[("TENANTRY_HTTP__BIND", any.as_str())]).await;
    assert_eq!(up.status.code(), Some(0), "{}", stderr(&up));

    let closed = crate::helpers::free_port().to_string();
    let url = format!("http://127.0.0.1:{closed}/healthz");
    let down = cli_alone(&["health", "--url", &url], &[]).await;
    assert_eq!(down.status.code(), Some(1));
    assert!(stdout(&down).is_empty());
    let error = stderr(&down);
    assert!(
        error.starts_with(&format!("error: {url} is not healthy: ")) && error.lines().count() == 1,
        "{error}"
    );
    // An answer other than 200 is not health either.
    let url = format!("http://{}/readyz-not-a-route", app.addr);
    let wrong = cli_alone(&["health", "--url", &url], &[]).await;
    assert_eq!(wrong.status.code(), Some(1), "{}", stdout(&wrong));
}

/// Usage errors exit 2, refusals 1; server settings are flags of `serve` only.
#[tokio::test]
async fn usage_errors_and_refusals_have_their_own_exit_codes() {
    let usage = cli_alone(&["tenant", "lis"], &[]).await;
    assert_eq!(usage.status.code(), Some(2));
    let server_flag = cli_alone(&["tenant", "list", "--redis-url", "redis://x"], &[]).await;
    assert_eq!(
        server_flag.status.code(),
        Some(2),
        "{}",
        stderr(&server_flag)
    );
    let help = stdout(&cli_alone(&["tenant", "list", "--help"], &[]).await);
    for flag in [
        "--redis-url",
        "--metrics-bind",
        "--smtp-url",
        "--bind",
        "--trusted-proxies",
    ] {
        assert!(
            !help.contains(flag),
            "tenant list --help shows {flag}:\n{help}"
        );
    }
    let serve_help = stdout(&cli_alone(&["serve", "--help"], &[]).await);
    assert!(serve_help.contains("--redis-url"), "{serve_help}");
    let schema_help = stdout(&cli_alone(&["schema", "--help"], &[]).await);
    assert!(!schema_help.contains("--database-url"), "{schema_help}");
}

async fn scripts_get_json_and_keys_and_domains_can_be_taken_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let json_of = |output: Output| -> Value {
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_str(&stdout(&output))
            .unwrap_or_else(|e| panic!("not one JSON document ({e}): {}", stdout(&output)))
    };

    let created = json_of(
        cli(
            &app,
            &[
                "tenant", "create", "--slug", "globex", "--name", "Globex", "--json",
            ],
        )
        .await,
    );
    assert_eq!(
        (created["slug"].as_str(), created["status"].as_str()),
        (Some("globex"), Some("active"))
    );
    assert!(
        created["domains"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["host"] == "globex-rides.localhost")
    );
    let listed = json_of(cli(&app, &["tenant", "list", "--json"]).await);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let suspended = json_of(cli(&app, &["tenant", "suspend", "--slug", "globex", "--json"]).await);
    assert_eq!(
        (suspended["status"].as_str(), suspended["changed"].as_bool()),
        (Some("suspended"), Some(true))
    );
    let again = json_of(cli(&app, &["tenant", "suspend", "--slug", "globex", "--json"]).await);
    assert_eq!(again["changed"], false);
    json_of(cli(&app, &["tenant", "activate", "--slug", "globex", "--json"]).await);

    let operator = json_of(
        cli(
            &app,
            &["operator", "create", "--email", "ops@example.com", "--json"],
        )
        .await,
    );
    assert_eq!(operator["email"], "ops@example.com");

    // A key made, listed without its secret, used, revoked, refused.
    let key = json_of(
        cli(
            &app,
            &[
                "key", "create", "--tenant", "globex", "--kind", "secret", "--name", "backend",
                "--json",
            ],
        )
        .await,
    );
    let secret = key["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("btk_"));
    let keys = json_of(cli(&app, &["key", "list", "--tenant", "globex", "--json"]).await);
    let listed = &keys.as_array().unwrap()[0];
    assert_eq!(
        (listed["name"].as_str(), listed["role"].as_str()),
        (Some("backend"), Some("ADMIN"))
    );
    assert!(
        !stdout(&cli(&app, &["key", "list", "--tenant", "globex", "--json"]).await)
            .contains(&secret[4..])
    );
    let viewer = "{ viewer { tenant { slug } } }";
    let credential = Credential::Key(secret.clone());
    assert_eq!(
        app.graphql_with(&credential, &[], viewer, json!({}))
            .await
            .0,
        StatusCode::OK
    );
    let id = key["id"].as_str().unwrap();
    // Another tenant's key is not found through this tenant.
    let crossed = cli(&app, &["key", "revoke", "--tenant", "main", "--id", id]).await;
    assert_eq!(crossed.status.code(), Some(1));
    assert!(
        stderr(&crossed).contains("API key not found"),
        "{}",
        stderr(&crossed)
    );
    let revoked = json_of(
        cli(
            &app,
            &["key", "revoke", "--tenant", "globex", "--id", id, "--json"],
        )
        .await,
    );
    assert_eq!(
        (
            revoked["changed"].as_bool(),
            revoked["revoked_at"].is_string()
        ),
        (Some(true), true)
    );
    eventually("the revoked key is refused", || async {
        app.graphql_with(&credential, &[], viewer, json!({}))
            .await
            .0
            == StatusCode::UNAUTHORIZED
    })
    .await;
    let twice = json_of(
        cli(
            &app,
            &["key", "revoke", "--tenant", "globex", "--id", id, "--json"],
        )
        .await,
    );
    assert_eq!(twice["changed"], false);

    // A custom domain attached, routed, removed, unrouted; a system domain stays.
    let added = json_of(
        cli(
            &app,
            &[
                "domain",
                "add",
                "--tenant",
                "globex",
                "--app",
                "TAXI_PASSENGER",
                "--host",
                "rides.globex.example",
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(
        (added["kind"].as_str(), added["verified"].as_bool()),
        (Some("custom"), Some(true))
    );
    eventually("the custom domain routes", || async {
        status_of(&app, "rides.globex.example").await == StatusCode::OK
    })
    .await;
    let domains = json_of(cli(&app, &["domain", "list", "--tenant", "globex", "--json"]).await);
    assert_eq!(domains.as_array().unwrap().len(), 9);
    let system = cli(
        &app,
        &[
            "domain",
            "remove",
            "--tenant",
            "globex",
            "--host",
            "globex-rides.localhost",
        ],
    )
    .await;
    assert_eq!(system.status.code(), Some(1));
    assert!(
        stderr(&system).contains("is a system domain"),
        "{}",
        stderr(&system)
    );
    let elsewhere = cli(
        &app,
        &[
            "domain",
            "remove",
            "--tenant",
            "main",
            "--host",
            "rides.globex.example",
        ],
    )
    .await;
    assert_eq!(
        elsewhere.status.code(),
        Some(1),
        "another tenant's domain is not found"
    );
    let removed = json_of(
        cli(
            &app,
            &[
                "domain",
                "remove",
                "--tenant",
                "globex",
                "--host",
                "Rides.Globex.Example",
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(
        removed,
        json!({ "host": "rides.globex.example", "removed": true })
    );
    eventually("the removed domain stops routing", || async {
        status_of(&app, "rides.globex.example").await == StatusCode::NOT_FOUND
    })
    .await;
    assert_eq!(
        status_of(&app, "globex-rides.localhost").await,
        StatusCode::OK
    );

    let outbox = json_of(cli(&app, &["outbox", "list", "--json"]).await);
    assert!(outbox.is_array());
}
