//! How a Host route finds its host: the shared test vectors, directly and over real HTTP, trusted
//! and untrusted peers, and the answers for hosts that name no tenant.

use reqwest::StatusCode;
use serde_json::Value;
use tenantry::entities::tenant::TenantStatus;
use tenantry::tenancy::host::{self, HostError, RequestHost};

use crate::helpers::{Backend, assert_error, db_tests, detail, spawn_app, spawn_app_with, vectors};

fn outcome(result: Result<Option<RequestHost>, HostError>) -> String {
    match result {
        Ok(Some(RequestHost::Name(name))) => name,
        Ok(Some(RequestHost::Ip(_))) => "ip".into(),
        Ok(None) => "none".into(),
        Err(HostError::Missing) => "missing".into(),
        Err(HostError::Invalid) => "invalid".into(),
    }
}

/// Runs every vector of `file` through `run`, reporting all mismatches at once.
fn check_vectors(
    file: &str,
    input: &str,
    run: impl Fn(&str) -> Result<Option<RequestHost>, HostError>,
) {
    let failures: Vec<String> = vectors(file)
        .iter()
        .filter_map(|row| {
            let raw = row[input].as_str().expect("input is a string");
            let expect = row["expect"].as_str().expect("expect is a string");
            let got = outcome(run(raw));
            (got != expect).then(|| format!("{raw:?}: expected {expect}, got {got}"))
        })
        .collect();
    assert!(failures.is_empty(), "{file}:\n{}", failures.join("\n"));
}

#[test]
fn host_header_vectors() {
    check_vectors("hosts.jsonl", "host", |raw| host::normalise(raw).map(Some));
}

#[test]
fn x_forwarded_host_vectors() {
    check_vectors("x-forwarded-host.jsonl", "x_forwarded_host", |raw| {
        host::from_x_forwarded_host(raw).map(Some)
    });
}

#[test]
fn forwarded_vectors() {
    check_vectors("forwarded.jsonl", "forwarded", host::from_forwarded);
}

/// A server whose platform hosts no vector names, so every valid vector host is unknown to it.
async fn spawn_unrelated_app(backend: Backend) -> crate::helpers::TestApp {
    spawn_app_with(backend, |config| {
        config.tenancy.base_domain = "platform.test".into()
    })
    .await
}

/// What `GET /api/branding` must answer for a vector's expectation on [`spawn_unrelated_app`].
async fn expect_over_http(response: reqwest::Response, expect: &str, label: &str) {
    let status = response.status();
    let detail = detail(response).await;
    let wanted = match expect {
        "invalid" => (StatusCode::BAD_REQUEST, "Invalid Host header".to_owned()),
        "missing" => (StatusCode::BAD_REQUEST, "Missing Host header".to_owned()),
        "ip" => (StatusCode::NOT_FOUND, detail.clone()),
        name => (
            StatusCode::NOT_FOUND,
            format!("Domain '{name}' is not configured"),
        ),
    };
    assert_eq!((status, detail.clone()), wanted, "{label}");
    if expect == "ip" {
        assert!(
            detail.starts_with("Domain '") && detail.ends_with("' is not configured"),
            "{label}: {detail}"
        );
    }
}

/// Bytes no HTTP/1.1 client may put in a header (NUL, CR, LF) cannot travel; those vectors are
/// covered by the direct tests above.
fn sendable(value: &str) -> bool {
    reqwest::header::HeaderValue::from_bytes(value.as_bytes()).is_ok()
}

db_tests!(
    host_vectors_over_http,
    x_forwarded_host_vectors_over_http,
    forwarded_vectors_over_http,
    forwarded_host_is_ignored_from_an_untrusted_peer,
    invalid_forwarded_host_from_a_trusted_peer_is_refused,
    spelling_variants_resolve_to_one_host,
    missing_host_is_a_bad_request,
    unverified_custom_domain_is_not_configured,
    suspended_tenant_is_not_found,
    internationalised_custom_domain_resolves,
);

async fn host_vectors_over_http(backend: Backend) {
    let app = spawn_unrelated_app(backend).await;
    for row in vectors("hosts.jsonl") {
        let (raw, expect) = (
            row["host"].as_str().unwrap(),
            row["expect"].as_str().unwrap(),
        );
        if !sendable(raw) {
            continue;
        }
        let response = app.get_branding(raw).await;
        expect_over_http(response, expect, raw).await;
    }
}

async fn x_forwarded_host_vectors_over_http(backend: Backend) {
    let app = spawn_unrelated_app(backend).await;
    for row in vectors("x-forwarded-host.jsonl") {
        let (raw, expect) = (
            row["x_forwarded_host"].as_str().unwrap(),
            row["expect"].as_str().unwrap(),
        );
        // A configured Host beside it proves the forwarded value, not Host, was used.
        let response = app
            .get(
                "/api/branding",
                &[("host", "platform.test"), ("x-forwarded-host", raw)],
            )
            .await;
        expect_over_http(response, expect, raw).await;
    }
}

async fn forwarded_vectors_over_http(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.tenancy.base_domain = "platform.test".into();
        config.http.client_ip_header = tenantry::config::ForwardingHeader::Forwarded;
    })
    .await;
    for row in vectors("forwarded.jsonl") {
        let (raw, expect) = (
            row["forwarded"].as_str().unwrap(),
            row["expect"].as_str().unwrap(),
        );
        let response = app
            .get(
                "/api/branding",
                &[("host", "fallback.example"), ("forwarded", raw)],
            )
            .await;
        // Without a host parameter the Host header decides.
        let expect = if expect == "none" {
            "fallback.example"
        } else {
            expect
        };
        expect_over_http(response, expect, raw).await;
    }
}

async fn forwarded_host_is_ignored_from_an_untrusted_peer(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.http.trusted_proxies = vec!["192.0.2.0/24".parse().unwrap()];
    })
    .await;
    app.provision("acme", "Acme").await;
    app.provision("evil", "Evil").await;
    let rides = app.host("acme", "TAXI_PASSENGER");
    let evil = app.host("evil", "TAXI_PASSENGER");

    let by_xfh = app
        .get(
            "/api/branding",
            &[("host", &rides), ("x-forwarded-host", &evil)],
        )
        .await;
    let by_forwarded = app
        .get(
            "/api/branding",
            &[("host", &rides), ("forwarded", &format!("host={evil}"))],
        )
        .await;

    for response in [by_xfh, by_forwarded] {
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["tenant_slug"], "acme");
    }
}

async fn invalid_forwarded_host_from_a_trusted_peer_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme").await;
    let rides = app.host("acme", "TAXI_PASSENGER");

    for (header, value) in [
        ("x-forwarded-host", "localhost:@evil.com"),
        ("x-forwarded-host", ", acme-rides.localhost"),
    ] {
        let response = app
            .get("/api/branding", &[("host", &rides), (header, value)])
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, "Invalid Host header").await;
    }
    // Only the configured header is read: with `x-forwarded-for` (the default), a `Forwarded`
    // header is a client's and changes nothing.
    let response = app
        .get(
            "/api/branding",
            &[("host", &rides), ("forwarded", "host=\"a..b\"")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let forwarded = spawn_app_with(Backend::Sqlite, |config| {
        config.http.client_ip_header = tenantry::config::ForwardingHeader::Forwarded;
    })
    .await;
    let response = forwarded
        .get(
            "/api/branding",
            &[
                ("host", "anything.localhost"),
                ("forwarded", "host=\"a..b\""),
            ],
        )
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "Invalid Host header").await;

    // Trusted and valid: the forwarded host wins over Host.
    let response = app
        .get(
            "/api/branding",
            &[("host", "elsewhere.example"), ("x-forwarded-host", &rides)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn spelling_variants_resolve_to_one_host(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme").await;
    for variant in [
        "acme-rides.localhost",
        "ACME-Rides.LOCALHOST",
        "acme-rides.localhost:8080",
        "acme-rides.localhost.",
        "Acme-Rides.Localhost.:443",
    ] {
        let response = app.get_branding(variant).await;
        assert_eq!(response.status(), StatusCode::OK, "{variant}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            (body["tenant_slug"].as_str(), body["app"].as_str()),
            (Some("acme"), Some("TAXI_PASSENGER")),
            "{variant}"
        );
    }
    for bad in [
        "localhost:@evil.com",
        "a..b",
        &"a".repeat(300),
        "xn--zz.localhost",
        "acme_rides.localhost",
    ] {
        assert_error(
            app.get_branding(bad).await,
            StatusCode::BAD_REQUEST,
            "Invalid Host header",
        )
        .await;
    }
}

async fn missing_host_is_a_bad_request(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/api/branding", "/.well-known/assetlinks.json"] {
        let (status, body) = app
            .raw(&format!("GET {path} HTTP/1.1\r\nConnection: close\r\n\r\n"))
            .await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(body, r#"{"detail":"Missing Host header"}"#);
    }
    let body = r#"{"email":"a@example.com"}"#;
    let (status, response) = app
        .raw(&format!(
            "POST /api/contact HTTP/1.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ))
        .await;
    assert_eq!(
        (status, response.as_str()),
        (400, r#"{"detail":"Missing Host header"}"#)
    );
}

async fn unverified_custom_domain_is_not_configured(backend: Backend) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    use tenantry::entities::tenant_domain::{self, DomainKind};

    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    tenant_domain::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        tenant_id: Set(acme.id),
        app: Set("TAXI_PASSENGER".into()),
        host: Set("rides.acme.example".into()),
        kind: Set(DomainKind::Custom),
        verified: Set(false),
        verified_at: Set(None),
        created_at: Set(tenantry::db::now()),
        auto_verified: Set(false),
        failed_checks: Set(0),
        checks: Set(None),
        checked_at: Set(None),
    }
    .insert(&app.db)
    .await
    .unwrap();

    let response = app.get_branding("rides.acme.example").await;
    assert_error(
        response,
        StatusCode::NOT_FOUND,
        "Domain 'rides.acme.example' is not configured",
    )
    .await;
    let response = app
        .get("/.well-known/webauthn", &[("host", "rides.acme.example")])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn suspended_tenant_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme").await;
    let rides = app.host("acme", "TAXI_PASSENGER");
    assert_eq!(app.get_branding(&rides).await.status(), StatusCode::OK);

    app.set_status("acme", TenantStatus::Suspended).await;

    crate::helpers::eventually("suspension honoured", || async {
        app.get_branding(&rides).await.status() == StatusCode::NOT_FOUND
    })
    .await;
    for path in [
        "/api/branding",
        "/.well-known/apple-app-site-association",
        "/.well-known/assetlinks.json",
        "/.well-known/webauthn",
    ] {
        let response = app.get(path, &[("host", &rides)]).await;
        assert_error(response, StatusCode::NOT_FOUND, "Tenant not found").await;
    }

    app.set_status("acme", TenantStatus::Active).await;
    crate::helpers::eventually("reactivation honoured", || async {
        app.get_branding(&rides).await.status() == StatusCode::OK
    })
    .await;
}

async fn internationalised_custom_domain_resolves(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme").await;
    tenantry::services::domains::add_verified(
        &app.db,
        &app.config,
        &app.tenant_context("acme").await,
        "SHOP_CUSTOMER",
        "Bücher.Example",
        false,
        &tenantry::services::audit::Actor::PLATFORM,
    )
    .await
    .unwrap();
    app.changed().await;

    // Sent raw in UTF-8, and in its ASCII form: one host.
    for host in [
        "bücher.example",
        "BÜCHER.example:443",
        "xn--bcher-kva.example",
    ] {
        crate::helpers::eventually("custom domain routes", || async {
            app.get_branding(host).await.status() == StatusCode::OK
        })
        .await;
        let body: Value = app.get_branding(host).await.json().await.unwrap();
        assert_eq!(body["app"], "SHOP_CUSTOMER", "{host}");
    }
}
