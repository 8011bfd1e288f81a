//! Several instances on one database: they start together, and a change made through one is
//! honoured by the others without a restart.

use reqwest::StatusCode;
use serde_json::json;
use tenantry::Application;
use tenantry::config::Config;
use tenantry::entities::account::Role;
use tenantry::entities::api_key::KeyKind;
use tenantry::tenancy::context::{PlatformContext, TenantContext};

use std::time::Instant;

use tenantry::services::api_keys::{self, NewKey};
use tenantry::services::tenants::{self, NewTenant};

use crate::helpers::{
    Backend, Credential, TestDatabase, db_tests, eventually, free_port, shared_redis, spawn_app,
};

db_tests!(a_change_through_one_instance_reaches_the_other);

/// PostgreSQL only: several instances share one PostgreSQL; SQLite is one process's database.
#[tokio::test]
async fn instances_starting_together_both_migrate() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let database = TestDatabase::create(&backend).await;
    let master_key = tenantry::auth::master_key::MasterKey::generate();
    let mut config = Config::default();
    config.http.bind = "127.0.0.1:0".parse().unwrap();
    config.database.url = database.url.clone();
    config.secrets.master_key = Some(tenantry::config::Secret::new(master_key));
    let (first, second) = tokio::join!(
        Application::build(config.clone(), false),
        Application::build(config, false)
    );
    assert!(
        first.is_ok(),
        "first instance: {:?}",
        first.err().map(|e| e.chain())
    );
    assert!(
        second.is_ok(),
        "second instance: {:?}",
        second.err().map(|e| e.chain())
    );
}

async fn a_change_through_one_instance_reaches_the_other(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let main = tenantry::services::tenants::get(&app.db, "main")
        .await
        .unwrap();
    let (_, operator) = app
        .api_key(main.id, KeyKind::Secret, Some(Role::Operator), None)
        .await;
    let (_, member) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let other = app.another_instance().await;
    let on_other = |path: &'static str| {
        app.client
            .get(format!("http://{other}{path}"))
            .header("host", "acme-rides.localhost")
            .send()
    };
    let viewer_on_other = |key: String| {
        app.client
            .post(format!("http://{other}/graphql"))
            .header("x-api-key", key)
            .json(&json!({ "query": "{ viewer { role } }" }))
            .send()
    };
    // Both instances have acme and the key cached.
    assert_eq!(
        on_other("/api/branding").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        viewer_on_other(member.clone()).await.unwrap().status(),
        StatusCode::OK
    );

    // Through the first instance: suspend, and the second refuses acme's hosts and keys.
    let body = app
        .gql(
            &Credential::Key(operator),
            "mutation { setTenantStatus(slug: \"acme\", status: SUSPENDED) { status } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["setTenantStatus"]["status"], "SUSPENDED");
    eventually("the other instance honours the suspension", || async {
        on_other("/api/branding").await.unwrap().status() == StatusCode::NOT_FOUND
    })
    .await;
    eventually(
        "the other instance refuses the suspended tenant's key",
        || async {
            viewer_on_other(member.clone()).await.unwrap().status() == StatusCode::UNAUTHORIZED
        },
    )
    .await;
}

/// A `tenantry serve` process of its own on `port`, sharing `database_url` and `redis_url`.
async fn serve_process(
    database_url: &str,
    redis_url: &str,
    master_key: &str,
    port: u16,
) -> tokio::process::Child {
    let server = tokio::process::Command::new(env!("CARGO_BIN_EXE_tenantry-cli"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .env("TENANTRY_MASTER_KEY", master_key)
        .env("REDIS_URL", redis_url)
        .env("RUST_LOG", "warn")
        .env_remove("TENANTRY_BASE_DOMAIN")
        .env_remove("TENANTRY_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the server starts");
    let client = reqwest::Client::new();
    eventually("the server answers /healthz", || async {
        client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
    })
    .await;
    server
}

/// PostgreSQL and Redis: two server processes behind one imaginary load balancer. A tenant's limit
/// holds over both together; a key revoked and a tenant suspended through one are refused by the
/// other at once.
#[tokio::test]
async fn two_server_processes_share_limits_and_changes() {
    let (Some(backend), Some(redis_url)) = (Backend::postgres(), shared_redis()) else {
        return;
    };
    let database = TestDatabase::create(&backend).await;
    let (port_a, port_b) = (free_port(), free_port());
    // Every instance runs with the same master key.
    let master_key = tenantry::auth::master_key::MasterKey::generate();
    let _a = serve_process(&database.url, &redis_url, &master_key, port_a).await;
    let _b = serve_process(&database.url, &redis_url, &master_key, port_b).await;
    let db = sea_orm::Database::connect(&database.url).await.unwrap();
    let mut config = Config::default();
    config.database.url = database.url.clone();
    let provision = |slug: &'static str, name: &'static str| {
        let (db, config) = (&db, &config);
        async move {
            let platform = tenantry::services::audit::Actor::PLATFORM;
            tenants::provision(
                db,
                config,
                &PlatformContext::process(),
                NewTenant {
                    slug,
                    name,
                    apps: None,
                    admin_email: None,
                },
                &platform,
            )
            .await
            .unwrap()
            .tenant
        }
    };
    let acme = provision("acme", "Acme").await;
    let globex = provision("globex", "Globex").await;
    let main = tenants::get(&db, "main").await.unwrap();
    let key = |tenant: TenantContext, role| {
        let new = NewKey {
            kind: KeyKind::Secret,
            name: "test".into(),
            role: Some(role),
            app: None,
            expires_at: None,
        };
        let (db, config) = (&db, &config);
        async move {
            api_keys::create(
                db,
                config,
                &tenant,
                new,
                &tenantry::services::audit::Actor::PLATFORM,
            )
            .await
            .unwrap()
        }
    };
    let operator = key(PlatformContext::process().tenant(&main), Role::Operator)
        .await
        .secret;
    let member = key(PlatformContext::process().tenant(&acme), Role::Admin).await;
    let globex_key = key(PlatformContext::process().tenant(&globex), Role::Admin)
        .await
        .secret;

    let client = reqwest::Client::new();
    let graphql = |port: u16, key: &str, query: &str| {
        client
            .post(format!("http://127.0.0.1:{port}/graphql"))
            .header("x-api-key", key)
            .json(&json!({ "query": query }))
            .send()
    };
    let branding = |port: u16, host: &'static str| {
        client
            .get(format!("http://127.0.0.1:{port}/api/branding"))
            .header("host", host)
            .send()
    };

    // Globex's API traffic may make 5 requests a minute, wherever they land.
    let set = graphql(
        port_a,
        &operator,
        "mutation { setTenantRateLimit(slug: \"globex\", perMinute: 5) { rateLimitPerMinute } }",
    )
    .await
    .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let mut served = 0;
    for n in 0..10 {
        let port = if n % 2 == 0 { port_a } else { port_b };
        match graphql(port, &globex_key, "{ viewer { role } }")
            .await
            .unwrap()
            .status()
        {
            StatusCode::OK => served += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(served, 5, "the limit holds across both processes");

    // B knows acme's key and host; A revokes the key, then suspends acme.
    let viewer = "{ viewer { role } }";
    let on_b = graphql(port_b, &member.secret, viewer).await.unwrap();
    assert_eq!(on_b.status(), StatusCode::OK);
    let revoke = format!(
        "mutation {{ revokeApiKey(id: \"{}\", tenantSlug: \"acme\") {{ id }} }}",
        member.key.id
    );
    let revoked = graphql(port_a, &operator, &revoke).await.unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let started = Instant::now();
    eventually("B refuses the revoked key", || async {
        graphql(port_b, &member.secret, viewer)
            .await
            .unwrap()
            .status()
            == StatusCode::UNAUTHORIZED
    })
    .await;
    let revocation_seen = started.elapsed();

    assert_eq!(
        branding(port_b, "acme-rides.localhost")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let suspend = "mutation { setTenantStatus(slug: \"acme\", status: SUSPENDED) { status } }";
    let suspended = graphql(port_a, &operator, suspend).await.unwrap();
    assert_eq!(suspended.status(), StatusCode::OK);
    let started = Instant::now();
    eventually("B answers the suspended tenant's host with 404", || async {
        branding(port_b, "acme-rides.localhost")
            .await
            .unwrap()
            .status()
            == StatusCode::NOT_FOUND
    })
    .await;
    println!(
        "seen by the other process after: revocation {revocation_seen:?}, suspension {:?}",
        started.elapsed()
    );
}
