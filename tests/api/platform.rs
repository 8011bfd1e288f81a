//! What every deployment serves besides tenants' hosts: health, the platform's own hosts, GraphQL,
//! request ids, and the committed schema.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, db_tests, spawn_app};

db_tests!(
    health_and_readiness,
    platform_hosts_belong_to_main,
    graphql_answers_public_queries,
    every_response_carries_our_request_id,
);

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let healthz = app.get("/healthz", &[]).await;
    assert_eq!(healthz.status(), StatusCode::OK);
    assert_eq!(
        healthz.json::<Value>().await.unwrap(),
        json!({ "status": "ok" })
    );
    let readyz = app.get("/readyz", &[]).await;
    assert_eq!(readyz.status(), StatusCode::OK);
    assert_eq!(
        readyz.json::<Value>().await.unwrap(),
        json!({ "status": "ready" })
    );
}

async fn platform_hosts_belong_to_main(backend: Backend) {
    let app = spawn_app(backend).await;
    for (host, app_key) in [
        ("localhost", Value::Null),
        ("www.localhost", Value::Null),
        ("API.localhost:8080", Value::Null),
        ("admin.localhost", json!("ADMIN_CONSOLE")),
    ] {
        let response = app.get_branding(host).await;
        assert_eq!(response.status(), StatusCode::OK, "{host}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["tenant_slug"], "main", "{host}");
        assert_eq!(body["app"], app_key, "{host}");
    }
    // Only reserved labels are the platform's; anything else under the base domain is unknown.
    let response = app.get_branding("shop.localhost").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn graphql_answers_public_queries(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ apiVersion }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["apiVersion"], env!("CARGO_PKG_VERSION"));
}

async fn every_response_carries_our_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.get("/healthz", &[("x-request-id", "forged")]).await;
    let second = app.get("/nowhere", &[]).await;
    assert_eq!(second.status(), StatusCode::NOT_FOUND);
    let wrong_method = app
        .client
        .delete(app.url("/api/branding"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        crate::helpers::detail(wrong_method).await,
        "Method not allowed"
    );
    let first_id = first.headers()["x-request-id"].to_str().unwrap().to_owned();
    let second_id = second.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(first_id, "forged");
    assert_ne!(first_id, second_id);
    assert!(uuid::Uuid::parse_str(&first_id).is_ok(), "{first_id}");
}

#[test]
fn committed_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == tenantry::graphql::sdl(),
        "schema.graphql is out of date: run `just schema` (or `cargo run -q -- schema > schema.graphql`)"
    );
}
