//! Spawning the app and talking to it.

use std::io::Write;
use std::sync::Once;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait};
use serde_json::Value;
use tenantry::Application;
use tenantry::auth::jwt::TokenService;
use tenantry::auth::master_key::MasterKey;
use tenantry::config::Config;
use tenantry::entities::account::{self, AccountStatus, Role};
use tenantry::entities::api_key::{self, KeyKind};
use tenantry::entities::tenant::{self, TenantStatus};
use tenantry::services::api_keys::{self, NewKey};
use tenantry::services::tenants::{self, NewTenant};
use tenantry::services::{accounts, sessions};
use tenantry::state::AppState;
use tenantry::tenancy::context::{PlatformContext, TenantContext};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Runs each listed test once on SQLite and once on PostgreSQL: `name::sqlite`, `name::postgres`.
/// Each test is an `async fn name(backend: Backend)` in the invoking module.
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(backend) = $crate::helpers::Backend::postgres() {
                    super::$name(backend).await
                }
            }
        }
    )*};
}
pub(crate) use db_tests;

/// Where a test's fresh database lives.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    /// The server URL (any database name in it is replaced by the test's own).
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when `TENANTRY_TEST_POSTGRES_URL` is set; otherwise `None`, after saying once
    /// that the PostgreSQL run is skipped.
    pub fn postgres() -> Option<Backend> {
        static SKIPPED: Once = Once::new();
        match std::env::var("TENANTRY_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                // Written past the test harness's capture, so it shows once in a normal run.
                SKIPPED.call_once(|| {
                    let _ = writeln!(
                        std::io::stderr(),
                        "note: TENANTRY_TEST_POSTGRES_URL is not set; the PostgreSQL run of the storage tests was skipped"
                    );
                });
                None
            }
        }
    }

    /// Creates an empty database for one test and returns its URL, and what drops it afterwards.
    async fn fresh_database(&self, dir: &std::path::Path) -> (String, Option<DropDatabase>) {
        match self {
            Backend::Sqlite => (
                format!("sqlite://{}/tenantry.db?mode=rwc", dir.display()),
                None,
            ),
            Backend::Postgres(url) => {
                let name = format!("t_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(with_database(url, "postgres"))
                    .await
                    .expect("connect to PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let drop = DropDatabase {
                    admin_url: with_database(url, "postgres"),
                    name: name.clone(),
                };
                (with_database(url, &name), Some(drop))
            }
        }
    }
}

/// Drops a test's PostgreSQL database when the test ends, so runs leave nothing behind.
struct DropDatabase {
    admin_url: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = Database::connect(url)
                    .await
                    .map_err(std::io::Error::other)?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .map_err(std::io::Error::other)?;
                admin.close().await.map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            let _ = writeln!(
                std::io::stderr(),
                "warning: could not drop test database {}",
                self.name
            );
        }
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// A fresh, empty database for one test; dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDatabase {
    pub url: String,
    // Dropped in this order: the database first, then the directory a SQLite file lives in.
    _drop: Option<DropDatabase>,
    _dir: tempfile::TempDir,
}

impl TestDatabase {
    pub async fn create(backend: &Backend) -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, drop) = backend.fresh_database(dir.path()).await;
        TestDatabase {
            url,
            _drop: drop,
            _dir: dir,
        }
    }
}

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub database_url: String,
    /// The test's own connection, for arranging state and checking what was stored.
    pub db: DatabaseConnection,
    pub config: Config,
    pub client: Client,
    /// The server's shared state, to tell it of writes the test made behind its back.
    pub state: AppState,
    /// Where `GET /metrics` is served, when the test configured `metrics_bind`.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The master key the server runs with, as `TENANTRY_MASTER_KEY` text (for the CLI).
    pub master_key: String,
    _database: TestDatabase,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Spawns the app on a random port with a fresh database, after `configure` adjusts the config.
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
    init_test_logging();
    let database = TestDatabase::create(&backend).await;
    let database_url = database.url.clone();
    // Every test server gets a master key of its own.
    let master_key = MasterKey::generate();
    let mut config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.clone(),
        master_key: Some(MasterKey::parse(&master_key).unwrap()),
        ..Config::default()
    };
    configure(&mut config);
    let config = config.validated().expect("valid test config");
    let app = Application::build(config.clone(), false)
        .await
        .expect("app builds");
    let addr = app.local_addr();
    let metrics_addr = app.metrics_addr();
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let db = Database::connect(&database_url)
        .await
        .expect("test connection");
    TestApp {
        addr,
        database_url,
        db,
        config,
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        metrics_addr,
        master_key,
        _database: database,
    }
}

fn init_test_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tenantry::telemetry::init(tenantry::config::LogFormat::Pretty, "debug");
        }
    });
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `GET path` with these headers (a `Host` among them replaces the real one).
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.client
            .get(self.url(path))
            .headers(header_map(headers))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_branding(&self, host: &str) -> Response {
        self.get("/api/branding", &[("host", host)]).await
    }

    /// `POST /api/contact` with a JSON body, to `host`, with extra headers.
    pub async fn post_contact(
        &self,
        host: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Response {
        self.post_contact_raw(
            host,
            serde_json::to_vec(body).unwrap(),
            "application/json",
            headers,
        )
        .await
    }

    pub async fn post_contact_raw(
        &self,
        host: &str,
        body: Vec<u8>,
        content_type: &str,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut map = header_map(headers);
        map.insert("host", HeaderValue::from_bytes(host.as_bytes()).unwrap());
        map.insert("content-type", HeaderValue::from_str(content_type).unwrap());
        self.client
            .post(self.url("/api/contact"))
            .headers(map)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Sends `request` as raw bytes (for what an HTTP client refuses to send, like no `Host`) and
    /// returns the status and the body.
    pub async fn raw(&self, request: &str) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {text:?}"));
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// Provisions a tenant through the service layer, as the CLI does.
    pub async fn provision(&self, slug: &str, name: &str) -> tenants::Provisioned {
        let provisioned = tenants::provision(
            &self.db,
            &self.config,
            &PlatformContext::process(),
            NewTenant {
                slug,
                name,
                apps: None,
                admin_email: None,
            },
            &tenantry::services::audit::Actor::PLATFORM,
        )
        .await
        .expect("tenant provisioned");
        self.changed().await;
        provisioned
    }

    pub async fn set_status(&self, slug: &str, status: TenantStatus) {
        tenants::set_status(
            &self.db,
            &PlatformContext::process(),
            slug,
            status,
            &tenantry::services::audit::Actor::PLATFORM,
        )
        .await
        .expect("status set");
        self.changed().await;
    }

    /// Tenant `id`, to call a tenant's services with, as the platform (the CLI) does.
    pub async fn context(&self, id: uuid::Uuid) -> TenantContext {
        let row = tenant::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .unwrap()
            .expect("the tenant exists");
        PlatformContext::process().tenant(&row)
    }

    /// Tenant `slug`, as [`TestApp::context`].
    pub async fn tenant_context(&self, slug: &str) -> TenantContext {
        PlatformContext::process()
            .tenant_by_slug(&self.db, slug)
            .await
            .expect("the tenant exists")
    }

    /// Tells the server at once of state the test wrote through its own connection, as a write
    /// through the server would. (Left alone, the server hears of it through the cache events
    /// within `cache_poll_interval`; the tests about that path do not call this.)
    pub async fn changed(&self) {
        self.state.catch_up().await;
    }

    /// The text of `GET /metrics` of a server started with a metrics address.
    pub async fn metrics(&self) -> String {
        let url = format!(
            "http://{}/metrics",
            self.metrics_addr
                .expect("a server started with a metrics address")
        );
        self.client
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The system host of `app` for tenant `slug` under the test's base domain.
    pub fn host(&self, slug: &str, app: &str) -> String {
        tenants::system_host(&self.config, slug, app).unwrap()
    }
}

impl TestApp {
    /// A second server on the same database, sharing nothing in memory with the first: what a
    /// load balancer's other instance would be.
    pub async fn another_instance(&self) -> std::net::SocketAddr {
        let app = Application::build(self.config.clone(), false)
            .await
            .expect("second instance builds");
        let addr = app.local_addr();
        tokio::spawn(app.run_until(std::future::pending()));
        addr
    }
}

/// How a GraphQL request proves who it is.
#[derive(Clone, Debug)]
pub enum Credential {
    None,
    Bearer(String),
    Key(String),
}

impl TestApp {
    /// `POST /graphql`; returns the status and the JSON body.
    pub async fn graphql_with(
        &self,
        credential: &Credential,
        headers: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .headers(header_map(headers))
            .json(&serde_json::json!({ "query": query, "variables": variables }));
        request = match credential {
            Credential::None => request,
            Credential::Bearer(token) => request.bearer_auth(token),
            Credential::Key(key) => request.header("x-api-key", key),
        };
        let response = request.send().await.expect("request sent");
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }

    /// A query that must execute (HTTP 200); returns the whole body (`data` and `errors`).
    pub async fn gql(&self, credential: &Credential, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql_with(credential, &[], query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// An account in `tenant_id`, and a signed access token for it.
    pub async fn sign_in(
        &self,
        tenant_id: uuid::Uuid,
        email: &str,
        role: Role,
    ) -> (account::Model, String) {
        let tenant = self.context(tenant_id).await;
        let account = accounts::create(&self.db, &tenant, email, role, AccountStatus::Active)
            .await
            .expect("account created");
        let token = self.token_for(&account).await;
        (account, token)
    }

    /// An access token of a new session of `account`, as a sign-in would hand out.
    pub async fn token_for(&self, account: &account::Model) -> String {
        let tokens = TokenService::new(&self.config);
        sessions::start(&self.db, &self.config, &tokens, account, None)
            .await
            .expect("session started")
            .access_token
    }

    /// As [`TestApp::token_for`], with a fresh step-up elevation.
    pub async fn elevated_token_for(&self, account: &account::Model) -> String {
        let tokens = TokenService::new(&self.config);
        let plain = self.token_for(account).await;
        let session = tokens.verify(&self.db, &plain).await.expect("valid").sid;
        sessions::elevated_token(&self.db, &self.config, &tokens, account, session)
            .await
            .expect("elevated")
            .0
    }

    /// A new operator key of the platform tenant.
    pub async fn operator(&self) -> Credential {
        let main = tenants::get(&self.db, "main").await.unwrap();
        Credential::Key(
            self.api_key(main.id, KeyKind::Secret, Some(Role::Operator), None)
                .await
                .1,
        )
    }

    /// A new API key of `tenant_id`; returns its row and its secret.
    pub async fn api_key(
        &self,
        tenant_id: uuid::Uuid,
        kind: KeyKind,
        role: Option<Role>,
        app: Option<&str>,
    ) -> (api_key::Model, String) {
        let new = NewKey {
            kind,
            name: "test".into(),
            role,
            app: app.map(str::to_owned),
            expires_at: None,
        };
        let created = api_keys::create(
            &self.db,
            &self.config,
            &self.context(tenant_id).await,
            new,
            &tenantry::services::audit::Actor::PLATFORM,
        )
        .await
        .expect("key created");
        (created.key, created.secret)
    }
}

/// `extensions.code` of the first error in a GraphQL body.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

fn header_map(headers: &[(&str, &str)]) -> HeaderMap {
    headers
        .iter()
        .map(|(name, value)| {
            (
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value.as_bytes()).unwrap(),
            )
        })
        .collect()
}

/// The `detail` of an error body.
pub async fn detail(response: Response) -> String {
    let status = response.status();
    let body: Value = response.json().await.expect("JSON error body");
    match body["detail"].as_str() {
        Some(detail) => detail.to_owned(),
        None => panic!("expected an error, got {status} {body}"),
    }
}

/// Asserts the status and `{"detail": …}` of an error response.
pub async fn assert_error(response: Response, status: StatusCode, expected: &str) {
    assert_eq!(response.status(), status, "status for {expected:?}");
    assert_eq!(detail(response).await, expected);
}

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

#[test]
fn database_names_are_replaced() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "t_1"),
        "postgres://postgres@127.0.0.1:5432/t_1"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "t_1"),
        "postgres://u:p@h/t_1?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "t_1"), "postgres://h/t_1");
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
