//! `/.well-known/apple-app-site-association`, `/.well-known/assetlinks.json`,
//! `/.well-known/webauthn`.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tenantry::entities::app_link::AndroidApp;
use tenantry::services::app_links::{self, AppLinks};
use tenantry::services::domains;

use crate::helpers::{Backend, TestApp, assert_error, db_tests, eventually, spawn_app};

const AASA: &str = "/.well-known/apple-app-site-association";
const ASSETLINKS: &str = "/.well-known/assetlinks.json";
const WEBAUTHN: &str = "/.well-known/webauthn";
const FINGERPRINT: &str = "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5";

db_tests!(
    documents_come_from_app_links_and_verified_domains,
    documents_are_valid_and_empty_when_nothing_is_declared,
    unknown_host_is_not_configured,
);

/// A document as a browser reaches it through the TLS edge (the loopback peer is a trusted proxy
/// that reports the scheme in `X-Forwarded-Proto`).
async fn fetch(app: &TestApp, path: &str, host: &str) -> Value {
    let headers = [("host", host), ("x-forwarded-proto", "https")];
    let response = app.get(path, &headers).await;
    assert_eq!(response.status(), StatusCode::OK, "{path} on {host}");
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "{path}"
    );
    response.json().await.unwrap()
}

async fn documents_come_from_app_links_and_verified_domains(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let links = AppLinks {
        ios_app_ids: vec!["ABCDE12345.com.acme.rides".into()],
        android_apps: vec![AndroidApp {
            package_name: "com.acme.rides".into(),
            sha256_cert_fingerprints: vec![FINGERPRINT.into()],
        }],
        webauthn_origins: vec!["https://login.acme.example".into()],
    };
    app_links::set(
        &app.db,
        &app.context(acme.id).await,
        "TAXI_PASSENGER",
        links,
        &tenantry::services::audit::Actor::PLATFORM,
    )
    .await
    .unwrap();
    domains::add_verified(
        &app.db,
        &app.config,
        &app.tenant_context("acme").await,
        "TAXI_PASSENGER",
        "www.rides.example",
        false,
        &tenantry::services::audit::Actor::PLATFORM,
    )
    .await
    .unwrap();
    app.changed().await;
    domains::add_verified(
        &app.db,
        &app.config,
        &app.tenant_context("acme").await,
        "TAXI_PASSENGER",
        "rides.example",
        true,
        &tenantry::services::audit::Actor::PLATFORM,
    )
    .await
    .unwrap();
    app.changed().await;
    // Another app's host is not an origin of this one.
    domains::add_verified(
        &app.db,
        &app.config,
        &app.tenant_context("acme").await,
        "TAXI_DRIVER",
        "drive.example",
        false,
        &tenantry::services::audit::Actor::PLATFORM,
    )
    .await
    .unwrap();
    app.changed().await;

    // The custom domain serves the same documents as the system host.
    eventually("custom domain routes", || async {
        app.get(AASA, &[("host", "www.rides.example")])
            .await
            .status()
            == StatusCode::OK
    })
    .await;
    for host in [
        app.host("acme", "TAXI_PASSENGER"),
        "www.rides.example".into(),
    ] {
        assert_eq!(
            fetch(&app, AASA, &host).await,
            json!({
                "applinks": { "details": [{ "appIDs": ["ABCDE12345.com.acme.rides"], "components": [{ "/": "*" }] }] },
                "webcredentials": { "apps": ["ABCDE12345.com.acme.rides"] },
            })
        );
        assert_eq!(
            fetch(&app, ASSETLINKS, &host).await,
            json!([{
                "relation": ["delegate_permission/common.handle_all_urls", "delegate_permission/common.get_login_creds"],
                "target": { "namespace": "android_app", "package_name": "com.acme.rides", "sha256_cert_fingerprints": [FINGERPRINT] },
            }])
        );
        assert_eq!(
            fetch(&app, WEBAUTHN, &host).await,
            json!({ "origins": [
                "https://acme-rides.localhost",
                "https://rides.example",
                "https://www.rides.example",
                "https://login.acme.example",
            ]})
        );
    }
}

async fn documents_are_valid_and_empty_when_nothing_is_declared(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "SHOP_VENDOR");

    assert_eq!(
        fetch(&app, AASA, &host).await,
        json!({ "applinks": { "details": [] }, "webcredentials": { "apps": [] } })
    );
    assert_eq!(fetch(&app, ASSETLINKS, &host).await, json!([]));
    assert_eq!(
        fetch(&app, WEBAUTHN, &host).await,
        json!({ "origins": ["https://acme-vendor.localhost"] })
    );
    // Reached over plain HTTP (the demo), the origins are the ones the browser is on.
    let plain: Value = app
        .get(WEBAUTHN, &[("host", &host)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        plain,
        json!({ "origins": ["http://acme-vendor.localhost"] })
    );

    // The platform's own host serves no app: still valid documents.
    assert_eq!(fetch(&app, ASSETLINKS, "localhost").await, json!([]));
    assert_eq!(
        fetch(&app, WEBAUTHN, "localhost").await,
        json!({ "origins": ["https://localhost"] })
    );
}

async fn unknown_host_is_not_configured(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [AASA, ASSETLINKS, WEBAUTHN] {
        let response = app.get(path, &[("host", "nobody.example")]).await;
        assert_error(
            response,
            StatusCode::NOT_FOUND,
            "Domain 'nobody.example' is not configured",
        )
        .await;
        let response = app.get(path, &[("host", "bad host")]).await;
        assert_error(response, StatusCode::BAD_REQUEST, "Invalid Host header").await;
    }
}
