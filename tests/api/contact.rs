//! `POST /api/contact`: lead capture.

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tenantry::entities::lead;
use tenantry::entities::tenant::TenantStatus;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, assert_error, db_tests, eventually, spawn_app};

db_tests!(
    lead_is_stored_for_the_hosts_tenant_and_app,
    lead_never_lands_on_another_tenant,
    unknown_host_stores_nothing,
    suspended_tenant_stores_nothing,
    invalid_bodies_are_refused_and_store_nothing,
    host_is_checked_before_the_body,
    idempotent_retry_stores_one_lead,
    concurrent_retries_store_one_lead,
);

async fn lead_count(app: &TestApp) -> u64 {
    lead::Entity::find().count(&app.db).await.unwrap()
}

async fn leads_of(app: &TestApp, tenant_id: Uuid) -> Vec<lead::Model> {
    lead::Entity::find()
        .filter(lead::Column::TenantId.eq(tenant_id))
        .all(&app.db)
        .await
        .unwrap()
}

async fn lead_is_stored_for_the_hosts_tenant_and_app(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let host = app.host("acme", "TAXI_DRIVER");

    let response = app
        .post_contact(
            &host,
            &json!({
                "email": "  Ana@Example.COM ",
                "first_name": "Ana",
                "last_name": "",
                "message": "Do you drive to the airport?",
                "source_page": "https://acme-drive.localhost/contact",
            }),
            &[],
        )
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers().get("idempotent-replayed").is_none());
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 8, "{body}");
    assert_eq!(body["email"], "Ana@example.com");
    assert_eq!(body["first_name"], "Ana");
    assert_eq!(body["last_name"], Value::Null);
    assert_eq!(body["message"], "Do you drive to the airport?");
    assert_eq!(body["source_page"], "https://acme-drive.localhost/contact");
    assert_eq!(body["app"], "TAXI_DRIVER");
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));

    let stored = leads_of(&app, acme.id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id.to_string(), body["id"].as_str().unwrap());
    assert_eq!(stored[0].host, host);
    assert_eq!(stored[0].app.as_deref(), Some("TAXI_DRIVER"));
}

async fn lead_never_lands_on_another_tenant(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let beta = app.provision("beta", "Beta").await.tenant;
    let acme_host = app.host("acme", "TAXI_PASSENGER");
    let beta_host = app.host("beta", "TAXI_PASSENGER");

    // Claims in the body and in identity headers name the other tenant; only the host counts.
    let body = json!({
        "email": "a@example.com",
        "tenant_id": beta.id,
        "tenant_slug": "beta",
        "app": "ADMIN_CONSOLE",
    });
    let spoofing = [
        ("x-tenant-id", beta.id.to_string()),
        ("x-tenant-slug", "beta".to_owned()),
    ];
    let headers: Vec<(&str, &str)> = spoofing.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let response = app.post_contact(&acme_host, &body, &headers).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["app"], "TAXI_PASSENGER");

    let response = app
        .post_contact(&beta_host, &json!({ "email": "b@example.com" }), &[])
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let acme_leads = leads_of(&app, acme.id).await;
    let beta_leads = leads_of(&app, beta.id).await;
    assert_eq!(
        acme_leads
            .iter()
            .map(|l| l.email.as_str())
            .collect::<Vec<_>>(),
        ["a@example.com"]
    );
    assert_eq!(
        beta_leads
            .iter()
            .map(|l| l.email.as_str())
            .collect::<Vec<_>>(),
        ["b@example.com"]
    );
}

async fn unknown_host_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme").await;
    let response = app
        .post_contact(
            "Unknown.Example.com",
            &json!({ "email": "a@example.com" }),
            &[],
        )
        .await;
    assert_error(
        response,
        StatusCode::NOT_FOUND,
        "Domain 'unknown.example.com' is not configured. Unable to process lead.",
    )
    .await;
    let response = app
        .post_contact("10.0.0.1", &json!({ "email": "a@example.com" }), &[])
        .await;
    assert_error(
        response,
        StatusCode::NOT_FOUND,
        "Domain '10.0.0.1' is not configured. Unable to process lead.",
    )
    .await;
    assert_eq!(lead_count(&app).await, 0);
}

async fn suspended_tenant_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme").await;
    app.set_status("acme", TenantStatus::Suspended).await;
    let host = app.host("acme", "TAXI_PASSENGER");

    eventually("suspension honoured", || async {
        app.get_branding(&host).await.status() == StatusCode::NOT_FOUND
    })
    .await;
    let response = app
        .post_contact(&host, &json!({ "email": "a@example.com" }), &[])
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "Tenant not found").await;
    assert_eq!(lead_count(&app).await, 0);
}

async fn invalid_bodies_are_refused_and_store_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    let long = |n: usize| "x".repeat(n);

    let invalid = [
        (json!({}), "email: is required"),
        (json!({ "email": null }), "email: is required"),
        (
            json!({ "email": "not-an-address" }),
            "email: is not a valid email address",
        ),
        (
            json!({ "email": format!("{}@example.com", long(250)) }),
            "email: must be at most 255 characters",
        ),
        (
            json!({ "email": 42 }),
            "email: invalid type: integer `42`, expected a string",
        ),
        (
            json!({ "email": "a@example.com", "first_name": long(101) }),
            "first_name: must be at most 100 characters",
        ),
        (
            json!({ "email": "a@example.com", "last_name": long(101) }),
            "last_name: must be at most 100 characters",
        ),
        (
            json!({ "email": "a@example.com", "source_page": long(501) }),
            "source_page: must be at most 500 characters",
        ),
        (
            json!({ "email": "a@example.com", "message": long(10_001) }),
            "message: must be at most 10000 characters",
        ),
        (json!(["a@example.com"]), "body: must be a JSON object"),
    ];
    for (body, expected) in invalid {
        let response = app.post_contact(&host, &body, &[]).await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, expected).await;
    }

    let malformed = app
        .post_contact_raw(
            &host,
            b"{\"email\": \"a@example.com\"".to_vec(),
            "application/json",
            &[],
        )
        .await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert!(
        crate::helpers::detail(malformed)
            .await
            .starts_with("Malformed JSON")
    );

    let oversized = json!({ "email": "a@example.com", "message": long(70 * 1024) });
    let response = app.post_contact(&host, &oversized, &[]).await;
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "Request body is too large",
    )
    .await;

    let form = app
        .post_contact_raw(
            &host,
            b"email=a%40example.com".to_vec(),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let bad_key = app
        .post_contact(
            &host,
            &json!({ "email": "a@example.com" }),
            &[("idempotency-key", "has space")],
        )
        .await;
    assert_eq!(bad_key.status(), StatusCode::BAD_REQUEST);

    // The largest valid form is accepted.
    let largest = json!({
        "email": "a@example.com",
        "first_name": long(100),
        "last_name": long(100),
        "source_page": long(500),
        "message": long(10_000),
    });
    assert_eq!(
        app.post_contact(&host, &largest, &[]).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(lead_count(&app).await, 1);
}

async fn host_is_checked_before_the_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let huge = vec![b'x'; 100 * 1024];
    let response = app
        .post_contact_raw("unknown.example", huge.clone(), "application/json", &[])
        .await;
    assert_error(
        response,
        StatusCode::NOT_FOUND,
        "Domain 'unknown.example' is not configured. Unable to process lead.",
    )
    .await;
    let response = app
        .post_contact_raw("localhost:@evil.com", huge, "text/plain", &[])
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "Invalid Host header").await;
    assert_eq!(lead_count(&app).await, 0);
}

async fn idempotent_retry_stores_one_lead(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let beta = app.provision("beta", "Beta").await.tenant;
    let host = app.host("acme", "TAXI_PASSENGER");
    let form = json!({ "email": "a@example.com", "message": "Call me" });
    let key = [("idempotency-key", "form-7f3a")];

    let first = app.post_contact(&host, &form, &key).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let retry = app.post_contact(&host, &form, &key).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry, first);

    let changed = json!({ "email": "a@example.com", "message": "Call me later" });
    let conflict = app.post_contact(&host, &changed, &key).await;
    assert_eq!(conflict.status(), StatusCode::CONFLICT);

    // Keys are per tenant: the same key on another tenant's host is a new lead.
    let other = app
        .post_contact(&app.host("beta", "TAXI_PASSENGER"), &form, &key)
        .await;
    assert_eq!(other.status(), StatusCode::CREATED);
    assert!(other.headers().get("idempotent-replayed").is_none());

    assert_eq!(leads_of(&app, acme.id).await.len(), 1);
    assert_eq!(leads_of(&app, beta.id).await.len(), 1);
}

async fn concurrent_retries_store_one_lead(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let host = app.host("acme", "TAXI_PASSENGER");
    let form = json!({ "email": "a@example.com" });
    let key = [("idempotency-key", "double-click")];

    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let request = app
            .client
            .post(app.url("/api/contact"))
            .header("host", &host)
            .header(key[0].0, key[0].1)
            .json(&form);
        attempts.spawn(async move {
            let response = request.send().await.expect("request sent");
            assert_eq!(response.status(), StatusCode::CREATED);
            let body: Value = response.json().await.unwrap();
            body["id"].as_str().unwrap().to_owned()
        });
    }
    let mut ids = attempts.join_all().await;
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1, "every attempt answers the same lead");
    assert_eq!(leads_of(&app, acme.id).await.len(), 1);
}
