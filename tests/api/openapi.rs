//! `GET /openapi.json`: the OpenAPI document describes every REST route the router serves.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, spawn_app};

/// Every REST route of the router (`backend/src/http/mod.rs`) with its method. `/graphql` is the
/// one route the document leaves out.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/console/{file}"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/openapi.json"),
    ("get", "/api/branding"),
    ("post", "/api/contact"),
    ("get", "/.well-known/apple-app-site-association"),
    ("get", "/.well-known/assetlinks.json"),
    ("get", "/.well-known/webauthn"),
    ("get", "/.well-known/jwks.json"),
    ("post", "/auth/email/start"),
    ("post", "/auth/email/verify"),
    ("post", "/auth/password/login"),
    ("post", "/auth/password/reset/start"),
    ("post", "/auth/password/reset/finish"),
    ("post", "/auth/refresh"),
    ("post", "/auth/logout"),
    ("post", "/auth/elevate"),
    ("post", "/auth/passkey/register/start"),
    ("post", "/auth/passkey/register/finish"),
    ("post", "/auth/passkey/login/start"),
    ("post", "/auth/passkey/login/finish"),
];

async fn document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.expect("a JSON document")
}

/// The `(method, path)` of every operation in the document.
fn operations(document: &Value) -> Vec<(String, String)> {
    let paths = document["paths"].as_object().expect("paths is an object");
    let mut operations: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().expect("a path item is an object");
            methods
                .keys()
                .filter(|key| ["get", "post", "put", "patch", "delete"].contains(&key.as_str()))
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    operations.sort();
    operations
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_describes_exactly_the_rest_routes() {
    let app = spawn_app(Backend::Sqlite).await;

    let document = document(&app).await;

    let version = document["openapi"].as_str().expect("openapi is a string");
    assert!(version.starts_with("3.1"), "openapi is {version}");
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    expected.sort();
    assert_eq!(operations(&document), expected);
    let description = document["info"]["description"].as_str().unwrap_or_default();
    assert!(description.contains("/graphql"), "{description}");
    // Error answers share one schema, `{"detail": string}`.
    let error = &document["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], serde_json::json!(["detail"]), "{error}");
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app(Backend::Sqlite).await;
    let document = document(&app).await;

    for (method, path) in operations(&document) {
        let request = match method.as_str() {
            "get" => app.client.get(app.url(&path)),
            "post" => app.client.post(app.url(&path)),
            other => panic!("{other} {path}: no such route in the router"),
        };
        let response = request.send().await.expect("request sent");

        // The router's fallback answers an unrouted path 404 "Not found", an unrouted method 405.
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_ne!(body["detail"], "Not found", "{method} {path} fell through");
    }
}
