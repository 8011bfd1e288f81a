//! The README's deployment, run for real on loopback: PostgreSQL and Redis as they are, two
//! `tenantry serve` processes with one master key file, and nginx with `deploy/nginx.conf` as it
//! is but for its upstream and listen addresses and a certificate made here. The client talks to
//! nginx alone, over HTTPS, from a loopback address of its own (not 127.0.0.1, nginx's): the
//! address nginx sees and the instances must believe.
//!
//! Needs PostgreSQL and Redis (skipped without them, as the other tests of several instances),
//! nginx and openssl (skipped without them with a note, and a failure under `CI`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::conformance::{Subscriber, conformance_clients};
use crate::helpers::{
    Backend, TestDatabase, cannot_run, eventually, free_port, shared_redis, which,
};
use crate::identity::secret_in;
use crate::smtp_sink::SmtpSink;

/// nginx's `proxy_read_timeout` here: short, so a subscription is seen to outlive it.
const READ_TIMEOUT_SECS: u64 = 3;
const BASE_DOMAIN: &str = "tenantry.test";
/// What a client sends to claim another address, in each form a proxy could be believed in.
pub(crate) const FORGED: [(&str, &str); 3] = [
    ("x-forwarded-for", "203.0.113.7"),
    ("forwarded", "for=198.51.100.7"),
    ("x-real-ip", "192.0.2.7"),
];

/// The whole topology, stopped when dropped.
pub(crate) struct Topology {
    /// The instances, to ask one directly.
    pub instances: [SocketAddr; 2],
    /// The loopback address the client connects to nginx from, its own for each topology: the
    /// per-address budgets in the shared Redis are then its own too.
    pub client_ip: Ipv4Addr,
    /// nginx's HTTPS and HTTP listeners.
    pub https: SocketAddr,
    pub http: SocketAddr,
    /// Through nginx, from `client_ip`, trusting the test's certificate authority alone.
    pub client: Client,
    /// The test's certificate authority, for other clients.
    pub authority: PathBuf,
    /// A secret key of tenant `acme` with the ADMIN role.
    pub admin_key: String,
    pub sink: SmtpSink,
    _processes: Vec<tokio::process::Child>,
    _dir: tempfile::TempDir,
    _database: TestDatabase,
}

impl Topology {
    /// Starts it all, or says why it cannot here and returns `None`.
    pub(crate) async fn start() -> Option<Topology> {
        let backend = Backend::postgres()?;
        let redis = shared_redis()?;
        let (nginx, openssl) = tools()?;
        let dir = tempfile::tempdir().unwrap();
        let database = TestDatabase::create(&backend).await;
        let sink = SmtpSink::start().await;
        let master_key = dir.path().join("master.key");
        std::fs::write(
            &master_key,
            tenantry::auth::master_key::MasterKey::generate(),
        )
        .unwrap();
        // The README's variables; the bind and metrics addresses are set per instance.
        let environment = [
            ("DATABASE_URL", database.url.clone()),
            ("REDIS_URL", redis),
            ("TENANTRY_BASE_DOMAIN", BASE_DOMAIN.to_owned()),
            ("TENANTRY_TRUSTED_PROXIES", "127.0.0.1/32".to_owned()),
            ("TENANTRY_HTTP__PUBLIC_SCHEME", "https".to_owned()),
            ("TENANTRY_LOG_FORMAT", "json".to_owned()),
            ("TENANTRY_MASTER_KEY_FILE", master_key.display().to_string()),
        ];
        let cli = |args: &[&str]| {
            let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tenantry-cli"));
            command
                .args(args)
                .envs(environment.iter().map(|(k, v)| (*k, v.as_str())))
                .env_remove("TENANTRY_CONFIG")
                .env_remove("RUST_LOG")
                .current_dir(dir.path());
            command
        };
        let run = |args: &'static [&'static str]| {
            let mut command = cli(args);
            async move {
                let output = command.output().await.expect("the CLI runs");
                assert!(
                    output.status.success(),
                    "tenantry {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&output.stderr)
                );
                String::from_utf8(output.stdout).unwrap()
            }
        };
        run(&["migrate"]).await;
        run(&[
            "tenant",
            "create",
            "--slug",
            "acme",
            "--name",
            "Acme Mobility",
        ])
        .await;
        let key: Value = serde_json::from_str(
            &run(&[
                "key", "create", "--tenant", "acme", "--kind", "secret", "--json",
            ])
            .await,
        )
        .unwrap();
        let admin_key = key["secret"].as_str().unwrap().to_owned();

        let mut processes = Vec::new();
        let mut instances = Vec::new();
        for _ in 0..2 {
            let bind = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
            let metrics = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
            let server = cli(&["serve"])
                .env("TENANTRY_HTTP__BIND", bind.to_string())
                .env("TENANTRY_METRICS_BIND", metrics.to_string())
                .env("SMTP_URL", sink.url())
                // Pinged well inside nginx's read timeout, as 25 s is inside the README's 35 s.
                .env("TENANTRY_GRAPHQL__SOCKET_PING_SECS", "1")
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(log_output())
                .kill_on_drop(true)
                .spawn()
                .expect("tenantry serve starts");
            processes.push(server);
            instances.push(bind);
        }
        let direct = Client::new();
        for instance in &instances {
            let url = format!("http://{instance}/readyz");
            eventually("the instance is ready", || async {
                direct
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == StatusCode::OK)
            })
            .await;
        }

        let authority = certificates(&openssl, dir.path());
        let https = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
        let http = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
        processes.push(start_nginx(&nginx, dir.path(), &instances, https, http));
        eventually("nginx listens", || async {
            tokio::net::TcpStream::connect(https).await.is_ok()
        })
        .await;

        let [_, a, b, c] = uuid::Uuid::new_v4().as_bytes()[..4] else {
            unreachable!()
        };
        let client_ip = Ipv4Addr::new(127, a, b, c.max(2));
        let pem = std::fs::read(&authority).unwrap();
        let mut client = Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
            .local_address(IpAddr::V4(client_ip))
            .redirect(reqwest::redirect::Policy::none());
        for app in ["rides", "drive", "admin"] {
            client = client.resolve(&format!("acme-{app}.{BASE_DOMAIN}"), https);
        }
        Some(Topology {
            instances: [instances[0], instances[1]],
            client_ip,
            https,
            http,
            client: client.build().unwrap(),
            authority,
            admin_key,
            sink,
            _processes: processes,
            _dir: dir,
            _database: database,
        })
    }

    /// `https://{host}:{nginx's port}{path}`.
    pub(crate) fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}.{BASE_DOMAIN}:{}{path}", self.https.port())
    }

    /// `/graphql` through nginx, with an API key.
    pub(crate) async fn graphql(&self, key: &str, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(self.url("acme-admin", "/graphql"))
            .header("x-api-key", key)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Signs `email` in by emailed code through nginx, each request carrying `headers`: tokens.
    pub(crate) async fn sign_in_by_code(&self, email: &str, headers: &[(&str, &str)]) -> Value {
        let with = |request: reqwest::RequestBuilder| {
            headers.iter().fold(request, |request, (name, value)| {
                request.header(*name, *value)
            })
        };
        let before = self.sink.to(email).len();
        let start = with(
            self.client
                .post(self.url("acme-rides", "/auth/email/start")),
        )
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
        assert_eq!(start.status(), StatusCode::ACCEPTED);
        eventually("the code is mailed", || async {
            self.sink.to(email).len() > before
        })
        .await;
        let code = secret_in(&self.sink.to(email)[before].data, "");
        let tokens = with(
            self.client
                .post(self.url("acme-rides", "/auth/email/verify")),
        )
        .json(&json!({ "email": email, "code": code }))
        .send()
        .await
        .unwrap();
        assert_eq!(tokens.status(), StatusCode::OK);
        tokens.json().await.unwrap()
    }

    /// The addresses in tenant acme's audit trail of events of `kind`.
    pub(crate) async fn audited_ips(&self, kind: &str) -> Vec<String> {
        let page = self
            .graphql(
                &self.admin_key,
                "{ auditEvents(first: 100) { nodes { kind ip } } }",
                json!({}),
            )
            .await;
        page["data"]["auditEvents"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"))
            .iter()
            .filter(|event| event["kind"] == kind)
            .map(|event| event["ip"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

/// nginx and openssl, or `None` after saying which is missing (a panic under CI).
fn tools() -> Option<(PathBuf, PathBuf)> {
    let nginx =
        which("nginx").or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|p| p.is_file()));
    let openssl = which("openssl");
    if let (Some(nginx), Some(openssl)) = (&nginx, &openssl) {
        return Some((nginx.clone(), openssl.clone()));
    }
    let missing = [("nginx", nginx.is_none()), ("openssl", openssl.is_none())]
        .iter()
        .filter(|(_, missing)| *missing)
        .map(|(tool, _)| *tool)
        .collect::<Vec<_>>()
        .join(" and ");
    cannot_run(
        "the deployment test",
        &format!("{missing} not installed (apt-get install nginx)"),
    );
    None
}

/// The instances' logs: shown with `TEST_LOG=1`.
fn log_output() -> Stdio {
    if std::env::var_os("TEST_LOG").is_some() {
        Stdio::inherit()
    } else {
        Stdio::null()
    }
}

/// A certificate authority and a certificate it signed for `*.tenantry.test` and 127.0.0.1, as
/// `fullchain.pem` and `privkey.pem` in `dir`: the authority's certificate file is returned.
fn certificates(openssl: &Path, dir: &Path) -> PathBuf {
    let run = |args: &[&str]| {
        let output = std::process::Command::new(openssl)
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            output.status.success(),
            "openssl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &["-days", "2", "-subj", "/CN=Tenantry test authority"],
        &["-keyout", "authority.key", "-out", "authority.pem"],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &["-subj", &format!("/CN={BASE_DOMAIN}")],
        &["-keyout", "privkey.pem", "-out", "request.csr"],
    ]
    .concat());
    std::fs::write(
        dir.join("extensions.cnf"),
        format!(
            "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n\
             subjectAltName=DNS:{BASE_DOMAIN},DNS:*.{BASE_DOMAIN},IP:127.0.0.1\n"
        ),
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "request.csr",
        "-CA",
        "authority.pem",
        "-CAkey",
        "authority.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "extensions.cnf",
        "-out",
        "fullchain.pem",
    ]);
    dir.join("authority.pem")
}

/// `deploy/nginx.conf` with loopback addresses, this test's certificate and a short read
/// timeout, inside a main configuration that keeps nginx's files in `dir`.
fn start_nginx(
    nginx: &Path,
    dir: &Path,
    instances: &[SocketAddr],
    https: SocketAddr,
    http: SocketAddr,
) -> tokio::process::Child {
    let original =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nginx.conf"))
            .unwrap();
    let replacements = [
        (
            "server tenantry-1:8080 ".to_owned(),
            format!("server {} ", instances[0]),
        ),
        (
            "server tenantry-2:8080 ".to_owned(),
            format!("server {} ", instances[1]),
        ),
        ("listen 80 ".to_owned(), format!("listen {http} ")),
        ("listen 443 ".to_owned(), format!("listen {https} ")),
        (
            "/etc/ssl/tenantry/".to_owned(),
            format!("{}/", dir.display()),
        ),
        (
            "proxy_read_timeout 35s;".to_owned(),
            format!("proxy_read_timeout {READ_TIMEOUT_SECS}s;"),
        ),
    ];
    let mut site = original.clone();
    for (from, to) in &replacements {
        assert!(
            original.contains(from.as_str()),
            "deploy/nginx.conf no longer has `{from}`: update this test with it"
        );
        site = site.replace(from.as_str(), to);
    }
    let prefix = dir.join("nginx");
    std::fs::create_dir_all(&prefix).unwrap();
    std::fs::write(prefix.join("tenantry.conf"), site).unwrap();
    let p = prefix.display();
    std::fs::write(
        prefix.join("nginx.conf"),
        format!(
            "daemon off;\nmaster_process off;\npid {p}/nginx.pid;\nerror_log {p}/error.log warn;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log {p}/access.log;\n  client_body_temp_path {p}/body;\n  \
             proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n  \
             uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n  \
             include {p}/tenantry.conf;\n}}\n"
        ),
    )
    .unwrap();
    let check = std::process::Command::new(nginx)
        .args(["-t", "-q", "-p"])
        .arg(&prefix)
        .arg("-c")
        .arg(prefix.join("nginx.conf"))
        .arg("-e")
        .arg(prefix.join("error.log"))
        .output()
        .expect("nginx runs");
    assert!(
        check.status.success(),
        "nginx refuses the configuration: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    tokio::process::Command::new(nginx)
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(prefix.join("nginx.conf"))
        .arg("-e")
        .arg(prefix.join("error.log"))
        .stdout(Stdio::null())
        .stderr(log_output())
        .kill_on_drop(true)
        .spawn()
        .expect("nginx starts")
}

/// Through nginx: branding, a lead, a sign-in by emailed code, a key revoked on one instance and
/// refused on the other, and a quiet subscription that outlives nginx's read timeout.
#[tokio::test]
async fn the_readme_deployment_serves_through_nginx() {
    let Some(topology) = Topology::start().await else {
        return;
    };
    let client = &topology.client;

    // Plain HTTP is sent to HTTPS, host and path kept.
    let plain = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&format!("acme-rides.{BASE_DOMAIN}"), topology.http)
        .build()
        .unwrap()
        .get(format!(
            "http://acme-rides.{BASE_DOMAIN}:{}/api/branding",
            topology.http.port()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        plain.headers()["location"],
        format!("https://acme-rides.{BASE_DOMAIN}/api/branding").as_str()
    );

    // Branding: the tenant comes from the host nginx passed on.
    let branding = client
        .get(topology.url("acme-rides", "/api/branding"))
        .send()
        .await
        .unwrap();
    assert_eq!(branding.status(), StatusCode::OK);
    assert!(
        branding.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age="),
        "HTTPS answers tell browsers to stay on HTTPS"
    );
    assert_eq!(
        branding.headers()["server"],
        "nginx",
        "nginx names no version"
    );
    let branding: Value = branding.json().await.unwrap();
    assert_eq!(branding["tenant_slug"], "acme");

    // A Host that is a list stops at nginx: it would pass on in X-Forwarded-Host as a list, which
    // an instance reads as its first element but refuses when it comes straight to it.
    let listed = format!("acme-drive.{BASE_DOMAIN},acme-rides.{BASE_DOMAIN}");
    let odd = client
        .get(topology.url("acme-rides", "/api/branding"))
        .header("host", &listed)
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), StatusCode::BAD_REQUEST, "{listed}");
    assert_eq!(branding["app"], "TAXI_PASSENGER");

    // A lead through the contact form, then read back through GraphQL.
    let lead = client
        .post(topology.url("acme-drive", "/api/contact"))
        .json(&json!({ "email": "lead@example.com", "first_name": "Lea" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        lead.status(),
        StatusCode::CREATED,
        "{:?}",
        lead.text().await
    );
    let leads = topology
        .graphql(
            &topology.admin_key,
            "{ leads(first: 5) { edges { node { email app host } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        leads["data"]["leads"]["edges"][0]["node"],
        json!({ "email": "lead@example.com", "app": "TAXI_DRIVER", "host": format!("acme-drive.{BASE_DOMAIN}") }),
        "{leads}"
    );

    // A sign-in by emailed code, each step through whichever instance nginx picks, from a client
    // that claims to be elsewhere: the audit trail keeps the address nginx saw.
    let tokens = topology.sign_in_by_code("ana@example.com", &FORGED).await;
    let viewer: Value = client
        .post(topology.url("acme-rides", "/graphql"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .json(&json!({ "query": "{ viewer { role account { email } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        viewer["data"]["viewer"],
        json!({ "role": "USER", "account": { "email": "ana@example.com" } })
    );
    assert_eq!(
        topology.audited_ips("login.succeeded").await,
        [topology.client_ip.to_string()],
        "the audit trail keeps the address nginx saw"
    );

    // A key both instances have cached, revoked through one (nginx picks which), is refused by
    // both, at once: the other hears of it from PostgreSQL.
    let created = topology
        .graphql(
            &topology.admin_key,
            "mutation { createApiKey(input: { name: \"doomed\", kind: SECRET, role: MEMBER }) { apiKey { id } secret } }",
            json!({}),
        )
        .await;
    let doomed = created["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = created["data"]["createApiKey"]["apiKey"]["id"].clone();
    let direct = Client::new();
    let viewer_on = |instance: SocketAddr| {
        direct
            .post(format!("http://{instance}/graphql"))
            .header("x-api-key", &doomed)
            .json(&json!({ "query": "{ viewer { role } }" }))
            .send()
    };
    for instance in topology.instances {
        assert_eq!(viewer_on(instance).await.unwrap().status(), StatusCode::OK);
    }
    let revoked = topology
        .graphql(
            &topology.admin_key,
            "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(revoked["errors"].is_null(), "{revoked}");
    for instance in topology.instances {
        eventually("the revoked key is refused by each instance", || async {
            viewer_on(instance).await.unwrap().status() == StatusCode::UNAUTHORIZED
        })
        .await;
    }
    for _ in 0..4 {
        let through_nginx = client
            .post(topology.url("acme-admin", "/graphql"))
            .header("x-api-key", &doomed)
            .json(&json!({ "query": "{ viewer { role } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(through_nginx.status(), StatusCode::UNAUTHORIZED);
    }

    // A subscription through nginx's WebSocket upgrade, quiet for longer than nginx's read
    // timeout: the server's pings keep it open, and the next lead arrives.
    let Some(clients) = conformance_clients() else {
        return;
    };
    let subscriber = Subscriber::start_trusting(
        &clients,
        &format!("https://127.0.0.1:{}", topology.https.port()),
        json!({ "X-Api-Key": topology.admin_key }),
        &topology.authority,
    );
    subscriber
        .wait_for("connection", |event| event["connected"] == true)
        .await;
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_secs(READ_TIMEOUT_SECS * 2) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        subscriber
            .events()
            .iter()
            .all(|event| event.get("closed").is_none()),
        "nginx closed the quiet subscription: {:?}",
        subscriber.events()
    );
    let lead = client
        .post(topology.url("acme-rides", "/api/contact"))
        .json(&json!({ "email": "later@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(lead.status(), StatusCode::CREATED);
    subscriber
        .wait_for("the lead", |event| {
            event["next"]["data"]["leadCreated"]["email"] == "later@example.com"
        })
        .await;
}
