//! The console's files: served on admin hosts only, with a policy that lets no other origin's
//! script run in them.

use reqwest::StatusCode;
use tenantry::entities::tenant::TenantStatus;

use crate::helpers::{Backend, assert_error, spawn_app};

#[tokio::test]
async fn the_console_is_served_on_admin_hosts_only() {
    let app = spawn_app(Backend::Sqlite).await;
    app.provision("acme", "Acme").await;
    let acme_admin = app.host("acme", "ADMIN_CONSOLE");
    let platform_admin = format!("admin.{}", app.config.tenancy.base_domain);

    for host in [&acme_admin, &platform_admin] {
        let response = app.get("/", &[("host", host)]).await;
        assert_eq!(response.status(), StatusCode::OK, "{host}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.starts_with("default-src 'self';"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let page = response.text().await.unwrap();
        assert!(page.contains(r#"src="/console/main.js""#), "{page}");
    }

    let script = app.get("/console/main.js", &[("host", &acme_admin)]).await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(script.headers()["cache-control"], "no-cache");
    let etag = script.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .get(
            "/console/main.js",
            &[("host", &acme_admin), ("if-none-match", &etag)],
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let missing = app
        .get("/console/missing.js", &[("host", &acme_admin)])
        .await;
    assert_error(
        missing,
        StatusCode::NOT_FOUND,
        "The console has no file 'missing.js'",
    )
    .await;
    let rides = app.host("acme", "TAXI_PASSENGER");
    for path in ["/", "/console/main.js"] {
        let response = app.get(path, &[("host", &rides)]).await;
        let expected = format!("'{rides}' serves no console: it is on the tenant's admin host");
        assert_error(response, StatusCode::NOT_FOUND, &expected).await;
    }
    let unknown = app.get("/", &[("host", "nobody-admin.example.org")]).await;
    assert_error(
        unknown,
        StatusCode::NOT_FOUND,
        "Domain 'nobody-admin.example.org' is not configured",
    )
    .await;
}

#[tokio::test]
async fn a_suspended_tenant_has_no_console() {
    let app = spawn_app(Backend::Sqlite).await;
    app.provision("acme", "Acme").await;
    app.set_status("acme", TenantStatus::Suspended).await;

    let response = app
        .get("/", &[("host", &app.host("acme", "ADMIN_CONSOLE"))])
        .await;

    assert_error(response, StatusCode::NOT_FOUND, "Tenant not found").await;
}
