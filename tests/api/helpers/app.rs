//! The app under test: spawned on a free port with a fresh database, and what a test does to it
//! as the platform (provisioning, status, contexts, metrics).

use std::sync::Once;

use reqwest::Client;
use sea_orm::{Database, DatabaseConnection, EntityTrait};
use tenantry::Application;
use tenantry::auth::master_key::MasterKey;
use tenantry::config::{Config, Secret};
use tenantry::entities::tenant::{self, TenantStatus};
use tenantry::services::tenants::{self, NewTenant};
use tenantry::state::AppState;
use tenantry::tenancy::context::{PlatformContext, TenantContext};

use super::*;

/// The app on a free port, with its own database and a client for it.
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
    let mut config = Config::default();
    config.http.bind = "127.0.0.1:0".parse().unwrap();
    config.database.url = database_url.clone();
    config.secrets.master_key = Some(Secret::new(master_key.clone()));
    configure(&mut config);
    let config = tenantry::tenancy::checked_config(config.checked().expect("valid test config"))
        .expect("valid test config");
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
    /// The master key the server runs with.
    pub fn master(&self) -> MasterKey {
        MasterKey::parse(&self.master_key).expect("the test's key parses")
    }

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

impl TestApp {
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
