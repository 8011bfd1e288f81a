//! The platform operator's GraphQL, public discovery, token-key rotation and the schema's limits.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tenantry::entities::account::Role;
use tenantry::entities::api_key::KeyKind;

use crate::helpers::{Backend, Credential, db_tests, error_code, spawn_app, spawn_app_with};

db_tests!(
    operators_provision_list_and_suspend_tenants,
    discovery_is_public,
    rotated_signing_keys_keep_old_tokens_valid,
    limits_and_graphiql,
    introspection_can_be_switched_off,
);

const PROVISION: &str = "mutation($slug: String!, $apps: [String!]) {
    provisionTenant(slug: $slug, name: \"Globex\", apps: $apps, adminEmail: \"boss@globex.example\") {
        tenant { slug status } domains { host app kind verified } admin { email role }
    }
}";

async fn operators_provision_list_and_suspend_tenants(backend: Backend) {
    let app = spawn_app(backend).await;
    let operator = app.operator().await;

    let body = app
        .gql(
            &operator,
            PROVISION,
            json!({ "slug": "globex", "apps": ["TAXI_PASSENGER", "ADMIN_CONSOLE"] }),
        )
        .await;
    let provisioned = &body["data"]["provisionTenant"];
    assert_eq!(
        provisioned["tenant"],
        json!({ "slug": "globex", "status": "ACTIVE" }),
        "{body}"
    );
    assert_eq!(
        provisioned["domains"],
        json!([
            { "host": "globex-admin.localhost", "app": "ADMIN_CONSOLE", "kind": "SYSTEM", "verified": true },
            { "host": "globex-rides.localhost", "app": "TAXI_PASSENGER", "kind": "SYSTEM", "verified": true },
        ])
    );
    assert_eq!(
        provisioned["admin"],
        json!({ "email": "boss@globex.example", "role": "ADMIN" })
    );
    assert_eq!(
        app.get_branding("globex-rides.localhost").await.status(),
        StatusCode::OK
    );
    // A name goes into mail subjects and log lines: a line separator or an override is refused.
    for name in [
        "Ini\u{85}tech",
        "Ini\u{2028}tech",
        "Acme\u{202E}moc",
        "A\nB",
    ] {
        let body = app
            .gql(
                &operator,
                "mutation($name: String!) { provisionTenant(slug: \"initech\", name: $name, \
                 adminEmail: \"boss@initech.example\") { tenant { slug } } }",
                json!({ "name": name }),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{name:?}: {body}");
    }

    for (slug, reason) in [
        ("globex", "slug: 'globex' is already taken"),
        ("www", "slug: 'www' is reserved"),
        (
            "Bad_Slug",
            "slug: may contain only lower-case letters, digits and hyphens",
        ),
    ] {
        let body = app.gql(&operator, PROVISION, json!({ "slug": slug })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["message"], reason);
    }
    let available = app
        .gql(&Credential::None, "{ taken: subdomainAvailable(slug: \"globex\") { available reason } free: subdomainAvailable(slug: \"initech\") { available reason } }", json!({}))
        .await;
    assert_eq!(
        available["data"],
        json!({
            "taken": { "available": false, "reason": "'globex' is already taken" },
            "free": { "available": true, "reason": null },
        })
    );

    for slug in ["initech", "umbrella", "hooli"] {
        app.gql(&operator, PROVISION, json!({ "slug": slug })).await;
    }
    let page = "query($after: String, $filter: TenantFilter) { tenants(first: 2, after: $after, filter: $filter) { edges { node { slug } } pageInfo { hasNextPage endCursor } } }";
    let slugs = |body: &Value| -> Vec<String> {
        body["data"]["tenants"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = app.gql(&operator, page, json!({})).await;
    assert_eq!(slugs(&first), ["globex", "hooli"]);
    let second = app
        .gql(
            &operator,
            page,
            json!({ "after": first["data"]["tenants"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(slugs(&second), ["initech", "main"]);
    let searched = app
        .gql(&operator, page, json!({ "filter": { "search": "BRELL" } }))
        .await;
    assert_eq!(slugs(&searched), ["umbrella"]);

    let suspended = app
        .gql(
            &operator,
            "mutation { setTenantStatus(slug: \"globex\", status: SUSPENDED) { status } }",
            json!({}),
        )
        .await;
    assert_eq!(suspended["data"]["setTenantStatus"]["status"], "SUSPENDED");
    // In this process the change is seen at once.
    let response = app.get_branding("globex-rides.localhost").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let filtered = app
        .gql(
            &operator,
            page,
            json!({ "filter": { "status": "SUSPENDED" } }),
        )
        .await;
    assert_eq!(slugs(&filtered), ["globex"]);

    let main_suspended = app
        .gql(
            &operator,
            "mutation { setTenantStatus(slug: \"main\", status: SUSPENDED) { status } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&main_suspended), "BAD_USER_INPUT");
    let admin_keys = app
        .gql(
            &operator,
            "{ apiKeys(tenantSlug: \"globex\") { id } accounts(tenantSlug: \"globex\") { email } }",
            json!({}),
        )
        .await;
    assert_eq!(
        admin_keys["data"]["accounts"],
        json!([{ "email": "boss@globex.example" }])
    );
}

async fn discovery_is_public(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme Mobility").await.tenant;
    app.provision("gone", "Gone").await;
    app.set_status("gone", tenantry::entities::tenant::TenantStatus::Suspended)
        .await;
    let query = "query($slug: String, $host: String) { tenantDiscovery(slug: $slug, host: $host) { slug name app apps branding { displayName } } }";

    let by_slug = app
        .gql(&Credential::None, query, json!({ "slug": "acme" }))
        .await;
    let found = &by_slug["data"]["tenantDiscovery"];
    assert_eq!(
        (found["name"].as_str(), found["app"].as_str()),
        (Some("Acme Mobility"), None)
    );
    assert_eq!(found["apps"].as_array().unwrap().len(), 8);
    let by_host = app
        .gql(
            &Credential::None,
            query,
            json!({ "host": "ACME-drive.localhost:443" }),
        )
        .await;
    assert_eq!(by_host["data"]["tenantDiscovery"]["app"], "TAXI_DRIVER");
    for variables in [
        json!({ "slug": "gone" }),
        json!({ "slug": "nobody" }),
        json!({ "host": "nobody.example" }),
    ] {
        let body = app.gql(&Credential::None, query, variables.clone()).await;
        assert_eq!(body["data"]["tenantDiscovery"], Value::Null, "{variables}");
    }
    for variables in [
        json!({}),
        json!({ "slug": "acme", "host": "acme-rides.localhost" }),
        json!({ "host": "a..b" }),
    ] {
        let body = app.gql(&Credential::None, query, variables.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{variables}");
    }

    // `branding` needs a tenant credential; a public key's app is its default.
    let anonymous = app
        .gql(&Credential::None, "{ branding { displayName } }", json!({}))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    tenantry::services::branding::set(
        &app.db,
        &app.context(acme.id).await,
        Some("TAXI_DRIVER"),
        tenantry::services::branding::BrandingFields {
            display_name: Some("Acme Drive".into()),
            ..Default::default()
        },
        &tenantry::services::audit::Actor::PLATFORM,
    )
    .await
    .unwrap();
    let (_, public) = app
        .api_key(acme.id, KeyKind::Public, None, Some("TAXI_DRIVER"))
        .await;
    let body = app.gql(&Credential::Key(public), "{ own: branding { displayName } other: branding(app: \"TAXI_PASSENGER\") { displayName } }", json!({})).await;
    assert_eq!(
        body["data"],
        json!({ "own": { "displayName": "Acme Drive" }, "other": { "displayName": null } })
    );
}

async fn rotated_signing_keys_keep_old_tokens_valid(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (account, old_token) = app.sign_in(acme.id, "a@acme.example", Role::Admin).await;
    let old = Credential::Bearer(old_token.clone());
    app.gql(&old, "{ viewer { role } }", json!({})).await;

    let rotated = crate::cli::cli(&app, &["jwt", "rotate"]).await;
    assert!(rotated.status.success());

    crate::helpers::eventually("both keys published", || async {
        let jwks: Value = app
            .get("/.well-known/jwks.json", &[])
            .await
            .json()
            .await
            .unwrap();
        jwks["keys"].as_array().unwrap().len() == 2
    })
    .await;
    let new_token = app.token_for(&account).await;
    let kid = |token: &str| jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    assert_ne!(kid(&new_token), kid(&old_token));
    for token in [old_token, new_token] {
        let body = app
            .gql(&Credential::Bearer(token), "{ viewer { role } }", json!({}))
            .await;
        assert_eq!(body["data"]["viewer"]["role"], "ADMIN");
    }
}

async fn limits_and_graphiql(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.graphql.max_depth = 3;
        config.graphql.introspection = true;
    })
    .await;
    let deep = "{ viewer { tenant { id } account { id } apiKey { id } } tenants { edges { node { slug } } } }";
    let (status, body) = app
        .graphql_with(&Credential::None, &[], deep, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{body}"
    );
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
    let (_, body) = app
        .graphql_with(&Credential::None, &[], "{ apiVersion ", json!({}))
        .await;
    assert_eq!(
        error_code(&body),
        "GRAPHQL_PARSE_FAILED",
        "a syntax error: {body}"
    );

    let batch: Vec<Value> = (0..11)
        .map(|_| json!({ "query": "{ apiVersion }" }))
        .collect();
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
    let small: Vec<Value> = (0..3)
        .map(|_| json!({ "query": "{ apiVersion }" }))
        .collect();
    let answers: Value = app
        .client
        .post(app.url("/graphql"))
        .json(&small)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answers.as_array().unwrap().len(), 3);

    // GraphiQL: served from this host, under a policy that allows no script from elsewhere.
    let graphiql = app.get("/graphql", &[("accept", "text/html")]).await;
    assert_eq!(graphiql.status(), StatusCode::OK);
    let policy = graphiql.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    let page = graphiql.text().await.unwrap();
    assert!(page.contains("/graphiql/graphiql.min.js"), "{page}");
    assert!(
        !page.contains("https://"),
        "no script from another origin: {page}"
    );
    for file in ["graphiql.min.js", "react.production.min.js", "start.js"] {
        let script = app.get(&format!("/graphiql/{file}"), &[]).await;
        assert_eq!(script.status(), StatusCode::OK, "{file}");
        assert_eq!(
            script.headers()["content-type"],
            "text/javascript; charset=utf-8"
        );
    }
    // Never on an admin console's host, where the console keeps its session.
    app.provision("acme", "Acme").await;
    let admin = app.host("acme", "ADMIN_CONSOLE");
    // (`/graphql` answers a GET without a query 400 where there is no page.)
    for (path, refused) in [
        ("/graphql", StatusCode::BAD_REQUEST),
        ("/graphiql/start.js", StatusCode::NOT_FOUND),
    ] {
        for host in [admin.as_str(), "admin.localhost"] {
            let headers = [("host", host), ("accept", "text/html")];
            let status = app.get(path, &headers).await.status();
            assert_eq!(status, refused, "{path} on {host}");
        }
    }
    let rides = app.host("acme", "TAXI_PASSENGER");
    let page = app
        .get("/graphql", &[("host", &rides), ("accept", "text/html")])
        .await;
    assert_eq!(page.status(), StatusCode::OK);
}

async fn introspection_can_be_switched_off(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.graphql.introspection = false).await;
    let body = app
        .gql(
            &Credential::None,
            "{ __schema { queryType { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["__schema"], Value::Null, "{body}");
    // No GraphiQL: a browser's GET without a query is a bad request like any other.
    let page = app.get("/graphql", &[("accept", "text/html")]).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/graphiql/start.js", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    // Off is the default.
    assert!(!tenantry::config::Config::default().graphql.introspection);
}
