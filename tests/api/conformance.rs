//! Clients and verifiers Tenantry did not write, run against a live server: the GraphQL over HTTP
//! working group's audit suite (npm `graphql-http`) and the `graphql-ws` client that Apollo
//! Client, urql and Relay subscribe with.
//!
//! They need `node` (20 or newer) and `npm ci --prefix tests/conformance`. Without them a test
//! says it was skipped and passes, as the suite does without PostgreSQL; with `CI` set it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tenantry::entities::account::Role;
use tenantry::entities::api_key::KeyKind;
use tokio::io::AsyncBufReadExt;

use crate::helpers::{Backend, TestApp, cannot_run, db_tests, spawn_app_with};

db_tests!(
    leads_reach_the_graphql_ws_subscribers_of_their_tenant_alone,
    a_revoked_credential_closes_its_subscriptions,
    subscriptions_and_connections_are_limited,
    an_expiring_token_closes_its_socket,
);

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

/// A `graphql-ws` client (`tests/conformance/subscribe.mjs`) subscribed to `leadCreated`, and
/// what it printed so far.
pub(crate) struct Subscriber {
    events: Arc<Mutex<Vec<Value>>>,
    _node: tokio::process::Child,
}

impl Subscriber {
    fn start(dir: &Path, base: &str, params: Value) -> Self {
        Self::start_many(dir, base, params, 1)
    }

    /// `count` subscriptions on one connection.
    fn start_many(dir: &Path, base: &str, params: Value, count: usize) -> Self {
        Self::spawn(dir, base, params, count, None)
    }

    /// One subscription over `https://` (`wss://`), trusting the certificates signed by the
    /// authority in the PEM file `authority`.
    pub(crate) fn start_trusting(dir: &Path, base: &str, params: Value, authority: &Path) -> Self {
        Self::spawn(dir, base, params, 1, Some(authority))
    }

    fn spawn(
        dir: &Path,
        base: &str,
        params: Value,
        count: usize,
        authority: Option<&Path>,
    ) -> Self {
        let mut node = tokio::process::Command::new("node");
        if let Some(authority) = authority {
            node.env("NODE_EXTRA_CA_CERTS", authority);
        }
        let mut node = node
            .arg("subscribe.mjs")
            .arg(format!("{base}/graphql"))
            .arg(params.to_string())
            .arg(count.to_string())
            .current_dir(dir)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node could not be started");
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut lines = tokio::io::BufReader::new(node.stdout.take().unwrap()).lines();
        let seen = events.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let event = serde_json::from_str(&line).unwrap_or(Value::String(line));
                seen.lock().unwrap().push(event);
            }
        });
        Self {
            events,
            _node: node,
        }
    }

    pub(crate) fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }

    /// Waits (up to a generous ceiling) for an event that `wanted` picks.
    pub(crate) async fn wait_for(&self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(event) = self.events().into_iter().find(|event| wanted(event)) {
                return event;
            }
            assert!(
                Instant::now() < deadline,
                "no {what}; the client printed {:?}",
                self.events()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The emails of the leads it was sent.
    fn leads(&self) -> Vec<String> {
        self.events()
            .iter()
            .filter_map(|event| event["next"]["data"]["leadCreated"]["email"].as_str())
            .map(str::to_owned)
            .collect()
    }
}

/// A secret key's and a Bearer token's subscribers receive each lead of their tenant (posted
/// through this instance or, on PostgreSQL, another one), another tenant's subscriber none, and a
/// bad credential is closed with `4403`.
async fn leads_reach_the_graphql_ws_subscribers_of_their_tenant_alone(backend: Backend) {
    let Some(dir) = conformance_clients() else {
        return;
    };
    let app = spawn_app_with(backend.clone(), |_| {}).await;
    let acme = app.provision("acme", "Acme").await;
    let globex = app.provision("globex", "Globex").await;
    let (_, member_key) = app
        .api_key(acme.tenant.id, KeyKind::Secret, Some(Role::Member), None)
        .await;
    let (_, token) = app
        .sign_in(acme.tenant.id, "ann@acme.example", Role::Member)
        .await;
    let (_, globex_key) = app
        .api_key(globex.tenant.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let base = format!("http://{}", app.addr);
    let by_key = Subscriber::start(&dir, &base, json!({ "X-Api-Key": member_key }));
    let by_token = Subscriber::start(
        &dir,
        &base,
        json!({ "Authorization": format!("Bearer {token}") }),
    );
    let other = Subscriber::start(&dir, &base, json!({ "X-Api-Key": globex_key }));
    let forged = Subscriber::start(
        &dir,
        &base,
        json!({ "X-Api-Key": format!("btk_{}", "A".repeat(49)), "X-Tenant-Id": acme.tenant.id }),
    );
    for subscriber in [&by_key, &by_token, &other] {
        subscriber
            .wait_for("connection", |event| event["connected"] == true)
            .await;
    }
    forged
        .wait_for("a 4403 close", |event| event["closed"] == 4403)
        .await;

    let host = app.host("acme", "TAXI_PASSENGER");
    post_until_received(&app, &base, &host, &[&by_key, &by_token], "first").await;
    if matches!(backend, Backend::Postgres(_)) {
        let second = format!("http://{}", app.another_instance().await);
        post_until_received(&app, &second, &host, &[&by_key, &by_token], "second").await;
    }
    let lead = by_key
        .events()
        .into_iter()
        .find_map(|event| event["next"]["data"]["leadCreated"].as_object().cloned())
        .unwrap();
    assert_eq!(lead["app"], "TAXI_PASSENGER");
    assert_eq!(lead["host"], host.as_str());
    // Another tenant's subscriber heard nothing, while the others heard every lead.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(other.leads(), Vec::<String>::new(), "{:?}", other.events());
}

/// Revoking a key closes its subscriptions' socket, suspending a tenant its members', within a
/// second or so of the event reaching the instance: the socket is closed with `4403`.
async fn a_revoked_credential_closes_its_subscriptions(backend: Backend) {
    let Some(dir) = conformance_clients() else {
        return;
    };
    let app = spawn_app_with(backend, |_| {}).await;
    let acme = app.provision("acme", "Acme").await;
    let (key_row, key) = app
        .api_key(acme.tenant.id, KeyKind::Secret, Some(Role::Member), None)
        .await;
    let (_, token) = app
        .sign_in(acme.tenant.id, "ann@acme.example", Role::Member)
        .await;
    let base = format!("http://{}", app.addr);
    // Several sockets of one key, opened together: every one of them closes.
    let by_key: Vec<Subscriber> = (0..10)
        .map(|_| Subscriber::start(&dir, &base, json!({ "X-Api-Key": key })))
        .collect();
    let by_token = Subscriber::start(
        &dir,
        &base,
        json!({ "Authorization": format!("Bearer {token}") }),
    );
    for subscriber in by_key.iter().chain([&by_token]) {
        subscriber
            .wait_for("connection", |event| event["connected"] == true)
            .await;
    }
    let operator = app.operator().await;
    let revoke = "mutation($id: ID!) { revokeApiKey(id: $id, tenantSlug: \"acme\") { id } }";
    app.gql(&operator, revoke, json!({ "id": key_row.id.to_string() }))
        .await;
    for subscriber in &by_key {
        subscriber
            .wait_for("a 4403 close", |event| event["closed"] == 4403)
            .await;
    }
    assert!(
        by_token
            .events()
            .iter()
            .all(|event| event.get("closed").is_none()),
        "another credential's socket stays open: {:?}",
        by_token.events()
    );
    app.set_status("acme", tenantry::entities::tenant::TenantStatus::Suspended)
        .await;
    by_token
        .wait_for("a 4403 close", |event| event["closed"] == 4403)
        .await;
}

/// A connection holds at most `subscriptions_per_connection` subscriptions (one more is answered
/// with the protocol's `error`), and a tenant at most `connections_per_tenant` connections (one
/// more is closed with `4429`).
async fn subscriptions_and_connections_are_limited(backend: Backend) {
    let Some(dir) = conformance_clients() else {
        return;
    };
    let app = spawn_app_with(backend, |config| {
        config.graphql.subscriptions_per_connection = 2;
        config.graphql.connections_per_tenant = 2;
    })
    .await;
    let acme = app.provision("acme", "Acme").await;
    let (_, key) = app
        .api_key(acme.tenant.id, KeyKind::Secret, Some(Role::Member), None)
        .await;
    let base = format!("http://{}", app.addr);
    // Who cannot read leads holds no socket, so takes no seat: a public key (which ships inside
    // apps) and a self-signed-up USER are closed at once.
    let (_, public) = app
        .api_key(acme.tenant.id, KeyKind::Public, None, None)
        .await;
    let (_, user) = app
        .sign_in(acme.tenant.id, "ana@example.com", Role::User)
        .await;
    for params in [
        json!({ "X-Api-Key": public }),
        json!({ "Authorization": format!("Bearer {user}") }),
        json!({}),
    ] {
        Subscriber::start(&dir, &base, params.clone())
            .wait_for("a 4403 close", |event| event["closed"] == 4403)
            .await;
    }
    // Only graphql-transport-ws: the older subprotocol is refused at the upgrade.
    let legacy = app
        .client
        .get(app.url("/graphql"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", "graphql-ws")
        .send()
        .await
        .unwrap();
    assert_eq!(legacy.status(), reqwest::StatusCode::BAD_REQUEST);

    let params = json!({ "X-Api-Key": key });
    let three = Subscriber::start_many(&dir, &base, params.clone(), 3);
    let refused = three
        .wait_for("a refused subscription", |event| {
            event.get("error").is_some()
        })
        .await;
    assert_eq!(
        refused["error"][0]["extensions"]["code"], "RATE_LIMITED",
        "{refused}"
    );
    let second = Subscriber::start(&dir, &base, params.clone());
    second
        .wait_for("connection", |event| event["connected"] == true)
        .await;
    let third = Subscriber::start(&dir, &base, params);
    third
        .wait_for("a 4429 close", |event| event["closed"] == 4429)
        .await;
    // The two subscriptions the first connection holds still deliver.
    let host = app.host("acme", "TAXI_PASSENGER");
    post_until_received(&app, &base, &host, &[&three, &second], "limited").await;
}

/// A socket opened with an access token is closed (`4403`) when the token expires.
async fn an_expiring_token_closes_its_socket(backend: Backend) {
    let Some(dir) = conformance_clients() else {
        return;
    };
    let app = spawn_app_with(backend, |config| {
        config.tokens.access_ttl = Duration::from_secs(3);
    })
    .await;
    let acme = app.provision("acme", "Acme").await;
    let (_, token) = app
        .sign_in(acme.tenant.id, "ann@acme.example", Role::Member)
        .await;
    let base = format!("http://{}", app.addr);
    let opened = Instant::now();
    let subscriber = Subscriber::start(
        &dir,
        &base,
        json!({ "Authorization": format!("Bearer {token}") }),
    );
    subscriber
        .wait_for("connection", |event| event["connected"] == true)
        .await;
    subscriber
        .wait_for("a 4403 close", |event| event["closed"] == 4403)
        .await;
    assert!(
        opened.elapsed() >= Duration::from_secs(1),
        "closed before the token expired"
    );
}

/// Posts contact forms to `base` (a new address each) until every subscriber has received one:
/// a subscription starts a moment after the client says it is connected.
async fn post_until_received(
    app: &TestApp,
    base: &str,
    host: &str,
    subscribers: &[&Subscriber],
    label: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    for n in 0.. {
        let email = format!("{label}{n}@example.com");
        let response = app
            .client
            .post(format!("{base}/api/contact"))
            .header("host", host)
            .json(&json!({ "email": email, "message": "live" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        let poll_until = Instant::now() + Duration::from_millis(500);
        while Instant::now() < poll_until {
            if subscribers.iter().all(|s| s.leads().contains(&email)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(
            Instant::now() < deadline,
            "no subscriber received a lead posted through {base}: {:?}",
            subscribers.iter().map(|s| s.events()).collect::<Vec<_>>()
        );
    }
}

/// `tests/conformance`, when node and its packages are there; otherwise `None` after saying why
/// (or a panic under CI).
pub(crate) fn conformance_clients() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut missing = Vec::new();
    match node_major_version() {
        Some(major) if major >= 20 => {}
        Some(major) => missing.push(format!("node {major} is too old (20 or newer)")),
        None => missing.push("node is not on PATH (install Node.js 20 or newer)".to_owned()),
    }
    for package in ["graphql-http", "graphql-ws", "ws"] {
        if !dir.join("node_modules").join(package).is_dir() {
            missing.push(format!(
                "{package} is not installed (npm ci --prefix tests/conformance)"
            ));
        }
    }
    if missing.is_empty() {
        return Some(dir);
    }
    cannot_run("the conformance clients", &missing.join("; "));
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
