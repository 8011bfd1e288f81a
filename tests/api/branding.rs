//! `GET /api/branding`.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tenantry::services::branding::{self, BrandingFields};

use crate::helpers::{Backend, assert_error, db_tests, spawn_app};

db_tests!(
    app_branding_overrides_tenant_defaults,
    etag_answers_not_modified,
    unknown_host_is_not_configured,
);

async fn app_branding_overrides_tenant_defaults(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme Mobility").await.tenant;
    let some = |s: &str| Some(s.to_owned());
    let defaults = BrandingFields {
        display_name: some("Acme"),
        primary_color: some("#0F62FE"),
        seo_title: some("Acme"),
        ..Default::default()
    };
    branding::set(
        &app.db,
        &app.context(acme.id).await,
        None,
        defaults,
        &tenantry::services::audit::Actor::PLATFORM,
    )
    .await
    .unwrap();
    let rides = BrandingFields {
        display_name: some("Acme Rides"),
        logo_url: some("https://cdn.acme.example/rides.svg"),
        ..Default::default()
    };
    branding::set(
        &app.db,
        &app.context(acme.id).await,
        Some("TAXI_PASSENGER"),
        rides,
        &tenantry::services::audit::Actor::PLATFORM,
    )
    .await
    .unwrap();

    let response = app.get_branding(&app.host("acme", "TAXI_PASSENGER")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "tenant_slug": "acme",
            "tenant_name": "Acme Mobility",
            "app": "TAXI_PASSENGER",
            "display_name": "Acme Rides",
            "logo_url": "https://cdn.acme.example/rides.svg",
            "favicon_url": null,
            "primary_color": "#0F62FE",
            "accent_color": null,
            "background_color": null,
            "text_color": null,
            "seo_title": "Acme",
            "seo_description": null,
        })
    );

    // Another app of the tenant inherits the defaults only.
    let body: Value = app
        .get_branding(&app.host("acme", "TAXI_DRIVER"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            body["app"].as_str(),
            body["display_name"].as_str(),
            body["logo_url"].as_str()
        ),
        (Some("TAXI_DRIVER"), Some("Acme"), None)
    );
}

async fn etag_answers_not_modified(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");

    let first = app.get_branding(&host).await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        first.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert!(first.headers()["vary"].to_str().unwrap().contains("Host"));

    let again = app
        .get(
            "/api/branding",
            &[("host", &host), ("if-none-match", &etag)],
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.text().await.unwrap().is_empty());

    let listed = format!("\"other\", W/{etag}");
    let weak = app
        .get(
            "/api/branding",
            &[("host", &host), ("if-none-match", &listed)],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::NOT_MODIFIED);

    let stale = app
        .get(
            "/api/branding",
            &[("host", &host), ("if-none-match", "\"stale\"")],
        )
        .await;
    assert_eq!(stale.status(), StatusCode::OK);

    // Another app's branding differs, and so does its tag.
    let other = app.get_branding(&app.host("acme", "TAXI_DRIVER")).await;
    assert_ne!(other.headers()["etag"].to_str().unwrap(), etag);
}

async fn unknown_host_is_not_configured(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get_branding("Unknown.Example.com:8443").await;
    assert_error(
        response,
        StatusCode::NOT_FOUND,
        "Domain 'unknown.example.com' is not configured",
    )
    .await;
    let response = app.get_branding("127.0.0.1:8080").await;
    assert_error(
        response,
        StatusCode::NOT_FOUND,
        "Domain '127.0.0.1' is not configured",
    )
    .await;
}
