//! Several instances on one database: they start together, and a change made through one is
//! honoured by the others without a restart.

use reqwest::StatusCode;
use serde_json::json;
use tenantry::Application;
use tenantry::config::Config;
use tenantry::entities::account::Role;
use tenantry::entities::api_key::KeyKind;

use crate::helpers::{Backend, Credential, TestDatabase, db_tests, eventually, spawn_app};

db_tests!(a_change_through_one_instance_reaches_the_other);

/// PostgreSQL only: several instances share one PostgreSQL; SQLite is one process's database.
#[tokio::test]
async fn instances_starting_together_both_migrate() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let database = TestDatabase::create(&backend).await;
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: database.url.clone(),
        ..Config::default()
    };
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
