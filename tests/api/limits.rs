//! Rate limits (per tenant with operators' overrides, per API key, per client IP), request limits
//! and timeouts, the unknown-host filter, and the metrics that show them.

use std::time::Duration;

use reqwest::{Response, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tenantry::entities::account::Role;
use tenantry::entities::api_key::KeyKind;

use crate::helpers::{Backend, Credential, TestApp, db_tests, detail, error_code, eventually};
use crate::helpers::{spawn_app, spawn_app_with};

db_tests!(
    a_tenants_limit_is_its_own_and_operators_set_it,
    each_api_key_has_its_own_limit,
    anonymous_routes_are_limited_per_client_ip,
    oversized_and_slow_requests_get_clear_errors,
    metrics_are_served_apart_and_count_what_happened,
    unknown_hosts_are_answered_from_memory,
    kept_graphql_documents_are_checked_as_new_ones,
);

const SET_LIMIT: &str = "mutation($slug: String!, $n: Int) { setTenantRateLimit(slug: $slug, perMinute: $n) { slug rateLimitPerMinute } }";

/// Asserts a `429` with `Retry-After` and the REST error body.
async fn assert_limited(response: Response) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let detail = detail(response).await;
    assert!(
        detail.starts_with("Too many requests; try again in"),
        "{detail}"
    );
}

async fn a_tenants_limit_is_its_own_and_operators_set_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    app.provision("globex", "Globex").await;
    let operator = app.operator().await;
    let (_, admin_key) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let acme_host = app.host("acme", "TAXI_PASSENGER");

    // Out of range: refused, nothing changes.
    let refused = app
        .gql(&operator, SET_LIMIT, json!({ "slug": "acme", "n": 0 }))
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    let set = app
        .gql(&operator, SET_LIMIT, json!({ "slug": "acme", "n": 3 }))
        .await;
    assert_eq!(set["data"]["setTenantRateLimit"]["rateLimitPerMinute"], 3);
    // A tenant admin cannot change its own limit.
    let denied = app
        .gql(
            &Credential::Key(admin_key.clone()),
            SET_LIMIT,
            json!({ "slug": "acme", "n": 1000 }),
        )
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");

    // The admin's query above was acme's first request of the minute; two more fit.
    let admin = Credential::Key(admin_key.clone());
    let viewer = || app.graphql_with(&admin, &[], "{ viewer { role } }", json!({}));
    for _ in 0..2 {
        assert_eq!(viewer().await.0, StatusCode::OK);
    }
    // The next says so in GraphQL's words.
    let (status, body) = viewer().await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(error_code(&body), "RATE_LIMITED");
    // Anonymous visitors of acme's hosts are not acme's traffic: they are limited per client.
    assert_eq!(app.get_branding(&acme_host).await.status(), StatusCode::OK);
    // Another tenant is untouched.
    let globex = tenantry::services::tenants::get(&app.db, "globex")
        .await
        .unwrap();
    let (_, globex_key) = app
        .api_key(globex.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let (status, _) = app
        .graphql_with(
            &Credential::Key(globex_key),
            &[],
            "{ viewer { role } }",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Back to the default: acme is served again.
    let cleared = app
        .gql(&operator, SET_LIMIT, json!({ "slug": "acme", "n": null }))
        .await;
    assert_eq!(
        cleared["data"]["setTenantRateLimit"]["rateLimitPerMinute"],
        Value::Null
    );
    assert_eq!(viewer().await.0, StatusCode::OK);
}

async fn each_api_key_has_its_own_limit(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.limits.api_key_per_minute = 2).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, first) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let (_, second) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let first = Credential::Key(first);
    for _ in 0..2 {
        app.gql(&first, "{ viewer { role } }", json!({})).await;
    }
    let (status, body) = app
        .graphql_with(&first, &[], "{ viewer { role } }", json!({}))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&body), "RATE_LIMITED");
    let body = app
        .gql(&Credential::Key(second), "{ viewer { role } }", json!({}))
        .await;
    assert_eq!(body["data"]["viewer"]["role"], "ADMIN");
}

async fn anonymous_routes_are_limited_per_client_ip(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.limits.ip_per_minute = 2).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    let lead = |n: u32| json!({ "email": format!("lead{n}@example.com") });
    for n in 0..2 {
        let response = app.post_contact(&host, &lead(n), &[]).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    assert_limited(app.post_contact(&host, &lead(2), &[]).await).await;
    // The sign-in steps share the same per-IP budget.
    let response = app
        .client
        .post(app.url("/auth/email/start"))
        .header("host", &host)
        .json(&json!({ "email": "someone@example.com" }))
        .send()
        .await
        .unwrap();
    assert_limited(response).await;
    // Behind the (trusted, loopback) proxy each forwarded client has its own budget; a
    // forwarded address from an untrusted hop to its left changes nothing.
    let forwarded = [("x-forwarded-for", "198.51.100.1, 203.0.113.7")];
    let response = app.post_contact(&host, &lead(3), &forwarded).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let spoofed = [("x-forwarded-for", "192.0.2.99, 203.0.113.7")];
    let response = app.post_contact(&host, &lead(4), &spoofed).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_limited(app.post_contact(&host, &lead(5), &forwarded).await).await;
    let stored = tenantry::entities::lead::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 4, "refused forms store nothing");
}

async fn oversized_and_slow_requests_get_clear_errors(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.http.max_header_bytes = 2048;
        config.http.max_body_bytes = 8 * 1024;
        config.http.request_timeout = Duration::from_millis(250);
        // A password check this costly takes far longer than the deadline.
        config.passwords.memory_kib = 64 * 1024;
        config.passwords.iterations = 24;
    })
    .await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");

    let big = "x".repeat(4096);
    let response = app
        .get("/api/branding", &[("host", &host), ("x-padding", &big)])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert_eq!(detail(response).await, "Request headers are too large");

    let query = format!(
        "{{ discovery {{ apps {{ key }} }} }} #{}",
        "x".repeat(16 * 1024)
    );
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(detail(response).await, "Request body is too large");

    let response = app
        .client
        .post(app.url("/auth/password/login"))
        .header("host", &host)
        .json(&json!({ "email": "nobody@example.com", "password": "a long enough password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let detail = detail(response).await;
    assert!(
        detail.starts_with("The request took longer than 0.25 seconds"),
        "{detail}"
    );
    // The server goes on serving.
    assert_eq!(app.get_branding(&host).await.status(), StatusCode::OK);
}

/// The scraped text of `/metrics`.
async fn scrape(app: &TestApp) -> String {
    let addr = app.metrics_addr.expect("metrics_bind is set");
    let response = app
        .client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// The value of the sample whose line starts with `series`, or 0 when there is none.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series))
        .and_then(|rest| rest.trim().split(' ').next())
        .map_or(0.0, |value| value.parse().unwrap())
}

async fn metrics_are_served_apart_and_count_what_happened(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.http.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        config.limits.ip_per_minute = 1;
    })
    .await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");

    // Not on the public address.
    assert_eq!(
        app.get("/metrics", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    for _ in 0..3 {
        assert_eq!(app.get_branding(&host).await.status(), StatusCode::OK);
    }
    let (status, _) = app
        .graphql_with(
            &Credential::Key("btk_unknownkey0000000000000000000000000000".into()),
            &[],
            "{ viewer { role } }",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let lead = json!({ "email": "a@example.com" });
    app.post_contact(&host, &lead, &[]).await;
    assert_limited(app.post_contact(&host, &lead, &[]).await).await;

    let text = scrape(&app).await;
    assert_eq!(
        sample(
            &text,
            r#"tenantry_http_requests_total{route="/api/branding",method="GET",status="200"}"#
        ),
        3.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"tenantry_http_request_duration_seconds_count{route="/api/branding",method="GET",status="200"}"#
        ),
        3.0
    );
    assert_eq!(
        sample(
            &text,
            r#"tenantry_http_requests_total{route="unmatched",method="GET",status="404"}"#
        ),
        1.0
    );
    assert!(
        sample(
            &text,
            r#"tenantry_auth_failures_total{reason="malformed_credential"}"#
        ) + sample(
            &text,
            r#"tenantry_auth_failures_total{reason="unknown_key"}"#
        ) >= 1.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"tenantry_rate_limited_total{scope="ip"}"#),
        1.0
    );
    assert!(
        sample(
            &text,
            r#"tenantry_cache_lookups_total{cache="hosts",result="hit"}"#
        ) >= 2.0
    );
    assert!(sample(&text, r#"tenantry_db_pool_connections{state="max"}"#) >= 1.0);
    // The branding was rendered once and then answered from memory (a flush in between, from a
    // change seen late, would render it once more).
    let documents = |result: &str| {
        sample(
            &text,
            &format!(r#"tenantry_cache_lookups_total{{cache="documents",result="{result}"}}"#),
        )
    };
    assert_eq!(documents("hit") + documents("miss"), 3.0, "{text}");
    assert!(documents("hit") >= 1.0, "{text}");
    // The lead was written; every request read something first.
    assert!(sample(&text, r#"tenantry_db_statements_total{kind="write"}"#) >= 1.0);
    assert!(sample(&text, r#"tenantry_db_statements_total{kind="read"}"#) >= 1.0);
    assert!(text.ends_with("# EOF\n"));
}

async fn unknown_hosts_are_answered_from_memory(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.http.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    app.provision("acme", "Acme").await;
    let ruled_out = r#"tenantry_cache_lookups_total{cache="known_hosts",result="hit"}"#;
    // The filter is rebuilt in the background after the change; wait until it answers.
    eventually("the known-host filter is built", || async {
        app.get_branding("probe.invalid").await;
        sample(&scrape(&app).await, ruled_out) >= 1.0
    })
    .await;
    let before = scrape(&app).await;
    for n in 0..300 {
        let response = app.get_branding(&format!("flood-{n}.invalid")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let after = scrape(&app).await;
    let from_memory = sample(&after, ruled_out) - sample(&before, ruled_out);
    // Eight-bit fingerprints let about one unknown host in 256 through to the database.
    assert!(
        from_memory >= 290.0,
        "only {from_memory} of 300 answered from memory"
    );
    // A known host still resolves, and one added later is let through once the server hears of it.
    let acme_host = app.host("acme", "TAXI_PASSENGER");
    assert_eq!(app.get_branding(&acme_host).await.status(), StatusCode::OK);
    app.provision("globex", "Globex").await;
    let globex_host = app.host("globex", "TAXI_PASSENGER");
    assert_eq!(
        app.get_branding(&globex_host).await.status(),
        StatusCode::OK
    );
}

/// Parsed and validated documents are kept by their text; a kept one must be refused or answered
/// exactly as a first sight would be, whatever variables and operation come with it.
async fn kept_graphql_documents_are_checked_as_new_ones(backend: Backend) {
    let app = spawn_app(backend).await;
    let operator = app.operator().await;
    for _ in 0..2 {
        let (status, body) = app
            .graphql_with(&operator, &[], "{ viewer { noSuchField } }", json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        let (_, body) = app
            .graphql_with(&operator, &[], "{ viewer { role ", json!({}))
            .await;
        assert_eq!(error_code(&body), "GRAPHQL_PARSE_FAILED", "{body}");
    }
    let query = "query Own { viewer { role } } query Tenant($slug: String!) { tenant(slug: $slug) { slug } }";
    let ask = |operation: &'static str, variables: Value| {
        let operator = &operator;
        let app = &app;
        async move {
            let body =
                json!({ "query": query, "operationName": operation, "variables": variables });
            app.client
                .post(app.url("/graphql"))
                .header(
                    "X-Api-Key",
                    match operator {
                        Credential::Key(key) => key.as_str(),
                        _ => unreachable!(),
                    },
                )
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    for _ in 0..2 {
        let own = ask("Own", json!({})).await;
        assert_eq!(own["data"]["viewer"]["role"], "OPERATOR", "{own}");
        // The same text, another operation: its missing variable is refused every time.
        let refused = ask("Tenant", json!({})).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
        let main = ask("Tenant", json!({ "slug": "main" })).await;
        assert_eq!(main["data"]["tenant"]["slug"], "main", "{main}");
    }
}
