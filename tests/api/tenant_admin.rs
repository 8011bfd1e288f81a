//! What a tenant's admins and members do through GraphQL, and that none of it reaches another
//! tenant.

use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tenantry::entities::account::Role;
use tenantry::entities::api_key::{self, KeyKind};

use crate::helpers::{
    Backend, Credential, TestApp, db_tests, error_code, eventually, spawn_app, spawn_app_with,
};

db_tests!(
    keys_are_shown_once_and_listed_by_prefix,
    another_tenants_ids_are_not_found,
    members_and_roles,
    branding_and_app_links_reach_the_host_routes,
    first_settings_written_together_all_land,
    leads_page_newest_first_with_filters,
    leads_are_found_by_any_part_of_the_address_or_name,
    leads_are_counted_per_day_and_app_by_the_database,
    key_use_is_recorded_in_batches,
);

/// A tenant and its admin's access token, stepped up (some fields need it).
async fn admin_of(app: &TestApp, slug: &str) -> (uuid::Uuid, Credential) {
    let tenant = app.provision(slug, slug).await.tenant;
    let (admin, _) = app
        .sign_in(tenant.id, &format!("admin@{slug}.example"), Role::Admin)
        .await;
    (
        tenant.id,
        Credential::Bearer(app.elevated_token_for(&admin).await),
    )
}

/// The access token of `member@acme.example`, a member of the tenant `acme_id`.
async fn member_of(app: &TestApp, acme_id: uuid::Uuid) -> Credential {
    let (_, token) = app
        .sign_in(acme_id, "member@acme.example", Role::Member)
        .await;
    Credential::Bearer(token)
}

const CREATE_KEY: &str = "mutation($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { secret apiKey { id name kind role app displayPrefix revokedAt } }
}";

async fn keys_are_shown_once_and_listed_by_prefix(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, admin) = admin_of(&app, "acme").await;

    let body = app
        .gql(
            &admin,
            CREATE_KEY,
            json!({ "input": { "kind": "SECRET", "name": "billing", "role": "MEMBER" } }),
        )
        .await;
    let created = &body["data"]["createApiKey"];
    let secret = created["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(secret.starts_with("btk_") && secret.len() == 53, "{secret}");
    assert_eq!(created["apiKey"]["displayPrefix"], &secret[..12]);
    assert_eq!(created["apiKey"]["role"], "MEMBER");

    // Only the hash is stored.
    let stored = api_key::Entity::find().all(&app.db).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|k| k.key_hash != secret && k.key_hash.len() == 64)
    );

    let viewer = app
        .gql(
            &Credential::Key(secret.into()),
            "{ viewer { role apiKey { name kind } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        viewer["data"]["viewer"],
        json!({ "role": "MEMBER", "apiKey": { "name": "billing", "kind": "SECRET" } })
    );

    let listed = app
        .gql(&admin, "{ apiKeys { name displayPrefix kind } }", json!({}))
        .await;
    assert_eq!(
        listed["data"]["apiKeys"],
        json!([{ "name": "billing", "displayPrefix": &secret[..12], "kind": "SECRET" }])
    );
    assert!(!listed.to_string().contains(secret));

    let public = app
        .gql(
            &admin,
            CREATE_KEY,
            json!({ "input": { "kind": "PUBLIC", "name": "web", "app": "TAXI_PASSENGER" } }),
        )
        .await;
    assert!(
        public["data"]["createApiKey"]["secret"]
            .as_str()
            .unwrap()
            .starts_with("bpk_")
    );

    for (input, field) in [
        (
            json!({ "kind": "PUBLIC", "name": "web", "role": "ADMIN" }),
            "role",
        ),
        (json!({ "kind": "SECRET", "name": "server" }), "role"),
        (
            json!({ "kind": "SECRET", "name": "server", "role": "OPERATOR" }),
            "role",
        ),
        (
            json!({ "kind": "SECRET", "name": " ", "role": "ADMIN" }),
            "name",
        ),
        (
            json!({ "kind": "PUBLIC", "name": "web", "app": "NOPE" }),
            "app",
        ),
        (
            json!({ "kind": "PUBLIC", "name": "web", "expiresAt": "2001-01-01T00:00:00Z" }),
            "expiresAt",
        ),
    ] {
        let body = app.gql(&admin, CREATE_KEY, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{input}");
    }
    assert_eq!(api_key::Entity::find().all(&app.db).await.unwrap().len(), 2);
}

async fn another_tenants_ids_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, acme_admin) = admin_of(&app, "acme").await;
    let (beta_id, _) = admin_of(&app, "beta").await;
    let (beta_key, beta_secret) = app
        .api_key(beta_id, KeyKind::Secret, Some(Role::Member), None)
        .await;
    let (beta_member, _) = app
        .sign_in(beta_id, "member@beta.example", Role::Member)
        .await;
    let lead = app
        .post_contact(
            &app.host("beta", "TAXI_PASSENGER"),
            &json!({ "email": "x@example.com" }),
            &[],
        )
        .await;
    let beta_lead: Value = lead.json().await.unwrap();

    let attempts = [
        (
            "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
            beta_key.id.to_string(),
        ),
        (
            "query($id: ID!) { lead(id: $id) { email } }",
            beta_lead["id"].as_str().unwrap().to_owned(),
        ),
        (
            "mutation($id: ID!) { setAccountRole(id: $id, role: USER) { id } }",
            beta_member.id.to_string(),
        ),
        (
            "mutation($id: ID!) { removeAccount(id: $id) }",
            beta_member.id.to_string(),
        ),
    ];
    for (query, id) in attempts {
        let body = app.gql(&acme_admin, query, json!({ "id": id })).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}");
        assert_eq!(body["data"], Value::Null, "{query}: {body}");
    }
    let body = app
        .gql(
            &acme_admin,
            "{ leads { edges { node { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["leads"]["edges"], json!([]));
    let body = app
        .gql(&acme_admin, "{ accounts { email } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["accounts"],
        json!([{ "email": "admin@acme.example" }])
    );
    let body = app
        .gql(&acme_admin, "mutation { updateBranding(tenantSlug: \"beta\", input: { displayName: \"Pwned\" }) { displayName } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    for read in [
        "{ storedBranding(tenantSlug: \"beta\") { displayName } }",
        "{ appLinks(tenantSlug: \"beta\", app: \"TAXI_PASSENGER\") { iosAppIds } }",
    ] {
        let body = app.gql(&acme_admin, read, json!({})).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{read}: {body}");
    }

    // Beta's things are untouched.
    let viewer = app
        .gql(
            &Credential::Key(beta_secret),
            "{ viewer { role } }",
            json!({}),
        )
        .await;
    assert_eq!(viewer["data"]["viewer"]["role"], "MEMBER");
    let branding: Value = app
        .get_branding(&app.host("beta", "TAXI_PASSENGER"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(branding["display_name"], Value::Null);
}

async fn members_and_roles(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (me, _) = app
        .sign_in(acme.id, "admin@acme.example", Role::Admin)
        .await;
    let admin = Credential::Bearer(app.elevated_token_for(&me).await);

    let invited = app
        .gql(&admin, "mutation { inviteAccount(email: \"Ana@Acme.Example\", role: MEMBER) { id email role status } }", json!({}))
        .await;
    let ana = &invited["data"]["inviteAccount"];
    assert_eq!(
        (
            ana["email"].as_str(),
            ana["role"].as_str(),
            ana["status"].as_str()
        ),
        (Some("ana@acme.example"), Some("MEMBER"), Some("INVITED"))
    );
    let again = app
        .gql(
            &admin,
            "mutation { inviteAccount(email: \"ana@acme.example\", role: USER) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT");
    let operator = app
        .gql(
            &admin,
            "mutation { inviteAccount(email: \"op@acme.example\", role: OPERATOR) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&operator), "BAD_USER_INPUT");

    let ana_id = ana["id"].as_str().unwrap().to_owned();
    let ana_account = tenantry::services::accounts::get(
        &app.db,
        &app.context(acme.id).await,
        ana_id.parse().unwrap(),
    )
    .await
    .unwrap();
    let ana_token = Credential::Bearer(app.token_for(&ana_account).await);
    assert_eq!(
        app.gql(&ana_token, "{ viewer { role } }", json!({})).await["data"]["viewer"]["role"],
        "MEMBER"
    );

    let promoted = app
        .gql(
            &admin,
            "mutation($id: ID!) { setAccountRole(id: $id, role: ADMIN) { role } }",
            json!({ "id": ana_id }),
        )
        .await;
    assert_eq!(promoted["data"]["setAccountRole"]["role"], "ADMIN");
    // The role counts at once, not when the token expires.
    assert_eq!(
        app.gql(&ana_token, "{ viewer { role } }", json!({})).await["data"]["viewer"]["role"],
        "ADMIN"
    );

    let own = app
        .gql(
            &admin,
            "mutation($id: ID!) { setAccountRole(id: $id, role: USER) { role } }",
            json!({ "id": me.id }),
        )
        .await;
    assert_eq!(error_code(&own), "BAD_USER_INPUT");

    let removed = app
        .gql(
            &admin,
            "mutation($id: ID!) { removeAccount(id: $id) }",
            json!({ "id": ana_id }),
        )
        .await;
    assert_eq!(removed["data"]["removeAccount"], ana_id.as_str());
    let (status, body) = app
        .graphql_with(&ana_token, &[], "{ viewer { role } }", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["errors"][0]["message"],
        "the token's account no longer exists"
    );
}

async fn branding_and_app_links_reach_the_host_routes(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, admin) = admin_of(&app, "acme").await;
    let rides = app.host("acme", "TAXI_PASSENGER");
    let aasa = || async {
        let response = app
            .get(
                "/.well-known/apple-app-site-association",
                &[("host", &rides)],
            )
            .await;
        response.json::<Value>().await.unwrap()
    };
    // Answered once before the changes: the rendered answers kept since must give way to them.
    let before: Value = app.get_branding(&rides).await.json().await.unwrap();
    assert_eq!(before["display_name"], Value::Null, "{before}");
    let before = aasa().await;
    assert_eq!(before["webcredentials"]["apps"], json!([]), "{before}");

    let body = app
        .gql(
            &admin,
            "mutation { defaults: updateBranding(input: { displayName: \"Acme\", primaryColor: \"#112233\" }) { displayName }
                        rides: updateBranding(app: \"TAXI_PASSENGER\", input: { displayName: \"Acme Rides\" }) { displayName primaryColor } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["rides"],
        json!({ "displayName": "Acme Rides", "primaryColor": null }),
        "{body}"
    );
    let branding: Value = app.get_branding(&rides).await.json().await.unwrap();
    assert_eq!(
        (
            branding["display_name"].as_str(),
            branding["primary_color"].as_str()
        ),
        (Some("Acme Rides"), Some("#112233"))
    );

    let body = app
        .gql(
            &admin,
            "mutation { updateAppLinks(app: \"TAXI_PASSENGER\", input: { iosAppIds: [\"TEAM123456.com.acme.rides\"], androidApps: [], webauthnOrigins: [] }) { iosAppIds } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["updateAppLinks"]["iosAppIds"],
        json!(["TEAM123456.com.acme.rides"])
    );
    let after = aasa().await;
    assert_eq!(
        after["webcredentials"]["apps"],
        json!(["TEAM123456.com.acme.rides"])
    );

    // What an editor loads: each scope's stored values, unmerged, and the app links as set.
    let body = app
        .gql(
            &admin,
            "{ defaults: storedBranding { displayName primaryColor }
               rides: storedBranding(app: \"TAXI_PASSENGER\") { displayName primaryColor }
               appLinks(app: \"TAXI_PASSENGER\") { iosAppIds androidApps { packageName } webauthnOrigins } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({
            "defaults": { "displayName": "Acme", "primaryColor": "#112233" },
            "rides": { "displayName": "Acme Rides", "primaryColor": null },
            "appLinks": { "iosAppIds": ["TEAM123456.com.acme.rides"], "androidApps": [], "webauthnOrigins": [] },
        }),
        "{body}"
    );

    for (mutation, field) in [
        (
            "updateBranding(input: { primaryColor: \"red; background: url(x)\" }) { displayName }",
            "primaryColor",
        ),
        (
            "updateBranding(input: { logoUrl: \"javascript:alert(1)\" }) { displayName }",
            "logoUrl",
        ),
        (
            "updateAppLinks(app: \"TAXI_PASSENGER\", input: { iosAppIds: [\"nope\"], androidApps: [], webauthnOrigins: [] }) { iosAppIds }",
            "iosAppIds",
        ),
        (
            "updateAppLinks(app: \"TAXI_PASSENGER\", input: { iosAppIds: [], androidApps: [{ packageName: \"com.acme\", sha256CertFingerprints: [\"AA:BB\"] }], webauthnOrigins: [] }) { iosAppIds }",
            "androidApps[0].sha256CertFingerprints",
        ),
        (
            "updateAppLinks(app: \"TAXI_PASSENGER\", input: { iosAppIds: [], androidApps: [{ packageName: \"com.acme\", sha256CertFingerprints: [\"AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB\"] }, { packageName: \"not a package\", sha256CertFingerprints: [] }], webauthnOrigins: [] }) { iosAppIds }",
            "androidApps[1].packageName",
        ),
        (
            "updateAppLinks(app: \"TAXI_PASSENGER\", input: { iosAppIds: [], androidApps: [], webauthnOrigins: [\"http://insecure.example\"] }) { iosAppIds }",
            "webauthnOrigins",
        ),
    ] {
        let body = app
            .gql(&admin, &format!("mutation {{ {mutation} }}"), json!({}))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{mutation}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{mutation}"
        );
    }
    // Nothing changed.
    let branding: Value = app.get_branding(&rides).await.json().await.unwrap();
    assert_eq!(branding["primary_color"], "#112233");

    let unknown = app
        .gql(
            &admin,
            "mutation { updateBranding(app: \"NOPE\", input: {}) { displayName } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&unknown), "BAD_USER_INPUT");
}

/// Branding and app links of a scope that has none yet, written by many requests at once (two
/// tabs of the console, a retried save): every write lands, none fails on the scope's unique
/// row, and what is stored afterwards is one of them, whole.
async fn first_settings_written_together_all_land(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, admin) = admin_of(&app, "acme").await;
    const WRITERS: usize = 12;
    let app = std::sync::Arc::new(app);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(WRITERS));
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..WRITERS {
        let (app, admin, barrier) = (app.clone(), admin.clone(), barrier.clone());
        writes.spawn(async move {
            let query = format!(
                "mutation {{ updateBranding(app: \"TAXI_DRIVER\", input: {{ displayName: \"Driver {i}\", primaryColor: \"#00000{}\" }}) {{ displayName }}
                            updateAppLinks(app: \"TAXI_DRIVER\", input: {{ iosAppIds: [\"TEAM12345{}.com.acme.driver\"], androidApps: [], webauthnOrigins: [] }}) {{ iosAppIds }} }}",
                i % 10,
                i % 10
            );
            barrier.wait().await;
            app.gql(&admin, &query, json!({})).await
        });
    }
    while let Some(body) = writes.join_next().await {
        let body = body.unwrap();
        assert!(body.get("errors").is_none(), "a write failed: {body}");
    }
    let body = app
        .gql(
            &admin,
            "{ storedBranding(app: \"TAXI_DRIVER\") { displayName primaryColor }
               appLinks(app: \"TAXI_DRIVER\") { iosAppIds } }",
            json!({}),
        )
        .await;
    let name = body["data"]["storedBranding"]["displayName"]
        .as_str()
        .unwrap();
    let i: usize = name.trim_start_matches("Driver ").parse().unwrap();
    assert_eq!(
        body["data"]["storedBranding"]["primaryColor"],
        json!(format!("#00000{}", i % 10)),
        "one write's fields, not a mix: {body}"
    );
    let ios = &body["data"]["appLinks"]["iosAppIds"];
    assert_eq!(ios.as_array().map(Vec::len), Some(1), "{body}");
}

async fn leads_page_newest_first_with_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let member = member_of(&app, acme.id).await;
    for i in 0..25 {
        let app_key = if i % 5 == 0 {
            "TAXI_DRIVER"
        } else {
            "TAXI_PASSENGER"
        };
        let response = app
            .post_contact(
                &app.host("acme", app_key),
                &json!({ "email": format!("lead{i}@example.com") }),
                &[],
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let page = "query($after: String, $filter: LeadsFilter) {
        leads(first: 10, after: $after, filter: $filter) { edges { cursor node { id email app } } pageInfo { hasNextPage endCursor } }
    }";
    let emails = |body: &Value| -> Vec<String> {
        body["data"]["leads"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["email"].as_str().unwrap().to_owned())
            .collect()
    };

    let first = app.gql(&member, page, json!({})).await;
    assert_eq!(
        emails(&first),
        (15..25)
            .rev()
            .map(|i| format!("lead{i}@example.com"))
            .collect::<Vec<_>>()
    );
    assert_eq!(first["data"]["leads"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["data"]["leads"]["pageInfo"]["endCursor"].clone();
    let second = app.gql(&member, page, json!({ "after": cursor })).await;
    assert_eq!(
        emails(&second),
        (5..15)
            .rev()
            .map(|i| format!("lead{i}@example.com"))
            .collect::<Vec<_>>()
    );
    let cursor = second["data"]["leads"]["pageInfo"]["endCursor"].clone();
    let last = app.gql(&member, page, json!({ "after": cursor })).await;
    assert_eq!(emails(&last).len(), 5);
    assert_eq!(last["data"]["leads"]["pageInfo"]["hasNextPage"], false);

    let drivers = app
        .gql(&member, page, json!({ "filter": { "app": "TAXI_DRIVER" } }))
        .await;
    assert_eq!(
        emails(&drivers),
        [
            "lead20@example.com",
            "lead15@example.com",
            "lead10@example.com",
            "lead5@example.com",
            "lead0@example.com"
        ]
    );
    let one = app
        .gql(
            &member,
            page,
            json!({ "filter": { "email": "lead7@example.com" } }),
        )
        .await;
    assert_eq!(emails(&one), ["lead7@example.com"]);
    let future = app
        .gql(
            &member,
            page,
            json!({ "filter": { "since": "2999-01-01T00:00:00Z" } }),
        )
        .await;
    assert!(emails(&future).is_empty());

    let id = first["data"]["leads"]["edges"][0]["node"]["id"].clone();
    let lead = app
        .gql(
            &member,
            "query($id: ID!) { lead(id: $id) { email host } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        lead["data"]["lead"],
        json!({ "email": "lead24@example.com", "host": app.host("acme", "TAXI_PASSENGER") })
    );

    let too_many = app
        .gql(
            &member,
            "{ leads(first: 500) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
}

async fn key_use_is_recorded_in_batches(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.tokens.key_usage_flush_interval = std::time::Duration::from_millis(100);
    })
    .await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (key, secret) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Member), None)
        .await;
    assert!(key.last_used_at.is_none());
    for _ in 0..3 {
        app.gql(
            &Credential::Key(secret.clone()),
            "{ viewer { role } }",
            json!({}),
        )
        .await;
    }
    eventually("last use recorded", || async {
        let row = api_key::Entity::find_by_id(key.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        row.last_used_at.is_some()
    })
    .await;
}

/// `search` finds a lead by any part of its address or name, in any case; `%`, `_` and `\\`
/// are themselves, not patterns; another tenant's leads are never found; too long a text is
/// refused at the field.
async fn leads_are_found_by_any_part_of_the_address_or_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    app.provision("globex", "Globex").await;
    let member = member_of(&app, acme.id).await;
    let leads = [
        (
            "acme",
            json!({ "email": "Ana.Lopez@Example.com", "first_name": "Ana", "last_name": "Lopez" }),
        ),
        (
            "acme",
            json!({ "email": "bob@example.org", "first_name": "Bob", "last_name": "Builder" }),
        ),
        ("acme", json!({ "email": "100%_real@example.net" })),
        (
            "acme",
            json!({ "email": "slash@example.net", "first_name": "Back\\Slash" }),
        ),
        (
            "globex",
            json!({ "email": "bob.builder@globex.example", "first_name": "Bob" }),
        ),
    ];
    for (slug, body) in leads {
        let response = app
            .post_contact(&app.host(slug, "TAXI_PASSENGER"), &body, &[])
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{body}");
    }
    let found = |search: String| {
        let (app, member) = (&app, &member);
        async move {
            let body = app
                .gql(
                    member,
                    "query($filter: LeadsFilter) { leads(first: 20, filter: $filter) { nodes { email } } }",
                    json!({ "filter": { "search": search } }),
                )
                .await;
            let mut emails: Vec<String> = body["data"]["leads"]["nodes"]
                .as_array()
                .unwrap_or_else(|| panic!("{body}"))
                .iter()
                .map(|n| n["email"].as_str().unwrap().to_owned())
                .collect();
            emails.sort();
            emails
        }
    };
    assert_eq!(found("LOPEZ".into()).await, ["Ana.Lopez@example.com"]);
    assert_eq!(found("build".into()).await, ["bob@example.org"]);
    assert_eq!(found("bob".into()).await, ["bob@example.org"]);
    assert_eq!(found("%".into()).await, ["100%_real@example.net"]);
    assert_eq!(found("_".into()).await, ["100%_real@example.net"]);
    assert_eq!(found("\\".into()).await, ["slash@example.net"]);
    assert_eq!(found("example.".into()).await.len(), 4);
    assert_eq!(found("nobody".into()).await, Vec::<String>::new());
    let (_, refused) = app
        .graphql_with(
            &member,
            &[],
            "query($filter: LeadsFilter) { leads(first: 20, filter: $filter) { nodes { email } } }",
            json!({ "filter": { "search": "x".repeat(101) } }),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert_eq!(
        refused["errors"][0]["extensions"]["field"], "search",
        "{refused}"
    );
}

/// `leadsPerDay` counts the tenant's leads by UTC day and app over the window asked for, oldest
/// first: older leads and another tenant's are not counted, and a window outside 1..=90 days is
/// refused at its field.
async fn leads_are_counted_per_day_and_app_by_the_database(backend: Backend) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter, QueryOrder};
    use tenantry::entities::lead;

    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    app.provision("globex", "Globex").await;
    let member = member_of(&app, acme.id).await;
    for (slug, app_key, email) in [
        ("acme", "TAXI_PASSENGER", "old@example.com"),
        ("acme", "TAXI_PASSENGER", "two-days@example.com"),
        ("acme", "TAXI_PASSENGER", "today@example.com"),
        ("acme", "SHOP_CUSTOMER", "shop@example.com"),
        ("acme", "SHOP_CUSTOMER", "shop2@example.com"),
        ("globex", "TAXI_PASSENGER", "globex@example.com"),
    ] {
        let response = app
            .post_contact(&app.host(slug, app_key), &json!({ "email": email }), &[])
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{email}");
    }
    let now = chrono::Utc::now();
    for (email, days_ago) in [("old@example.com", 40), ("two-days@example.com", 2)] {
        let row = lead::Entity::find()
            .filter(lead::Column::Email.eq(email))
            .order_by_asc(lead::Column::Id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let mut row: lead::ActiveModel = row.into();
        row.created_at = Set(now - chrono::Duration::days(days_ago));
        row.update(&app.db).await.unwrap();
    }
    let per_day = |days: i64| {
        let (app, member) = (&app, &member);
        async move {
            app.graphql_with(
                member,
                &[],
                "query($days: Int!) { leadsPerDay(days: $days) { day app leads } }",
                json!({ "days": days }),
            )
            .await
            .1
        }
    };
    let today = now.date_naive();
    let day = |ago: u64| (today - chrono::Days::new(ago)).to_string();
    assert_eq!(
        per_day(30).await["data"]["leadsPerDay"],
        json!([
            { "day": day(2), "app": "TAXI_PASSENGER", "leads": 1 },
            { "day": day(0), "app": "SHOP_CUSTOMER", "leads": 2 },
            { "day": day(0), "app": "TAXI_PASSENGER", "leads": 1 },
        ])
    );
    assert_eq!(
        per_day(1).await["data"]["leadsPerDay"],
        json!([
            { "day": day(0), "app": "SHOP_CUSTOMER", "leads": 2 },
            { "day": day(0), "app": "TAXI_PASSENGER", "leads": 1 },
        ])
    );
    assert_eq!(
        per_day(90).await["data"]["leadsPerDay"][0],
        json!({ "day": day(40), "app": "TAXI_PASSENGER", "leads": 1 })
    );
    for days in [0, -1, 91] {
        let refused = per_day(days).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
        assert_eq!(
            refused["errors"][0]["extensions"]["field"], "days",
            "{refused}"
        );
    }
}
