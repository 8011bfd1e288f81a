//! Security events land in the tenant's audit trail, in the same transaction as the change.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::{Value, json};
use tenantry::entities::account::Role;
use tenantry::entities::api_key::{self, KeyKind};
use tenantry::entities::{audit_event, passkey};
use uuid::Uuid;

use crate::helpers::{Backend, Credential, TestApp, db_tests, spawn_app, spawn_app_with};

db_tests!(
    keys_suspensions_and_limits_are_audited,
    every_mutation_leaves_an_audit_event_naming_its_actor,
    a_failed_audit_insert_rolls_the_change_back,
    provisioning_whose_admin_cannot_be_created_leaves_no_tenant,
);

async fn keys_suspensions_and_limits_are_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let operator = app.operator().await;
    let (_, admin) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let created = app
        .gql(
            &Credential::Key(admin),
            "mutation { createApiKey(input: { name: \"website\", kind: PUBLIC }) { apiKey { id } secret } }",
            json!({}),
        )
        .await;
    let id = created["data"]["createApiKey"]["apiKey"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let secret = created["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = "mutation($id: ID!) { revokeApiKey(id: $id, tenantSlug: \"acme\") { id } }";
    app.gql(&operator, revoke, json!({ "id": id })).await;
    let limit = "mutation { setTenantRateLimit(slug: \"acme\", perMinute: 100) { slug } }";
    app.gql(&operator, limit, json!({})).await;
    app.set_status("acme", tenantry::entities::tenant::TenantStatus::Suspended)
        .await;

    let events = audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(acme.id))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let trail: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(
        trail[0],
        ("tenant.provisioned", "tenant 'acme' provisioned")
    );
    let trail = &trail[1..];
    assert_eq!(trail[0].0, "api_key.created");
    assert!(
        trail[0].1.starts_with("Secret key 'test' (btk_"),
        "{trail:?}"
    );
    assert_eq!(trail[1].0, "api_key.created");
    assert!(
        trail[1].1.starts_with("Public key 'website' (bpk_"),
        "{trail:?}"
    );
    assert_eq!(trail[2].0, "api_key.revoked");
    assert!(trail[2].1.starts_with("key 'website' (bpk_"), "{trail:?}");
    assert_eq!(
        trail[3],
        ("tenant.rate_limit_set", "100 requests per minute")
    );
    assert_eq!(trail[4], ("tenant.suspended", "tenant 'acme'"));
    assert_eq!(trail.len(), 5, "{trail:?}");
    // Nothing secret is written down.
    assert!(events.iter().all(|e| !e.detail.contains(&secret)));
}

/// Every mutation that changes a tenant's state leaves an audit event naming who made it: the
/// signed-in person (account) or the server's key. The list of mutations is read from the schema,
/// so a new mutation without a case here fails this test.
async fn every_mutation_leaves_an_audit_event_naming_its_actor(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        // Verification runs, finds no records, and fails at once: no network is needed.
        config.domains.dns_static = Some(Default::default());
    })
    .await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (admin, _) = app
        .sign_in(acme.id, "admin@acme.example", Role::Admin)
        .await;
    let me = Credential::Bearer(app.elevated_token_for(&admin).await);
    let main = tenantry::services::tenants::get(&app.db, "main")
        .await
        .unwrap();
    let (operator_key, operator_secret) = app
        .api_key(main.id, KeyKind::Secret, Some(Role::Operator), None)
        .await;
    let operator = Credential::Key(operator_secret);
    let other_session = app.token_for(&admin).await;
    let other_session = tenantry::auth::jwt::TokenService::new(&app.config, None)
        .verify(&app.db, &other_session)
        .await
        .expect("a valid token")
        .sid;
    let passkey = passkey::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(acme.id),
        account_id: Set(admin.id),
        credential_id: Set("audit-test".into()),
        rp_id: Set("acme-rides.localhost".into()),
        name: Set("laptop".into()),
        passkey: Set("{}".into()),
        created_at: Set(tenantry::db::now()),
        last_used_at: Set(None),
    }
    .insert(&app.db)
    .await
    .unwrap();

    // (mutation, caller, document, variables from earlier answers)
    let mut ids: HashMap<&str, Value> = HashMap::new();
    ids.insert("session", json!(other_session.to_string()));
    ids.insert("passkey", json!(passkey.id.to_string()));
    let cases: Vec<(&str, &Credential, &str, &str)> = vec![
        (
            "updateBranding",
            &me,
            "mutation { updateBranding(input: { displayName: \"Acme\" }) { displayName } }",
            "",
        ),
        (
            "updateAppLinks",
            &me,
            "mutation { updateAppLinks(app: \"TAXI_PASSENGER\", input: { iosAppIds: [\"ABCDE12345.com.acme.rides\"], androidApps: [], webauthnOrigins: [] }) { iosAppIds } }",
            "",
        ),
        (
            "updateTenantSettings",
            &me,
            "mutation { updateTenantSettings(signupEnabled: false) { signupEnabled } }",
            "",
        ),
        (
            "createApiKey",
            &me,
            "mutation { createApiKey(input: { name: \"audit\", kind: SECRET, role: MEMBER }) { apiKey { id } } }",
            "",
        ),
        (
            "revokeApiKey",
            &me,
            "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
            "createApiKey",
        ),
        (
            "inviteAccount",
            &me,
            "mutation { inviteAccount(email: \"new@acme.example\", role: MEMBER) { id } }",
            "",
        ),
        (
            "resendInvitation",
            &me,
            "mutation($id: ID!) { resendInvitation(id: $id) { id } }",
            "inviteAccount",
        ),
        (
            "setAccountRole",
            &me,
            "mutation($id: ID!) { setAccountRole(id: $id, role: ADMIN) { id } }",
            "inviteAccount",
        ),
        (
            "removeAccount",
            &me,
            "mutation($id: ID!) { removeAccount(id: $id) }",
            "inviteAccount",
        ),
        (
            "addCustomDomain",
            &me,
            "mutation { addCustomDomain(app: \"TAXI_PASSENGER\", host: \"rides.acme.example\") { id } }",
            "",
        ),
        (
            "verifyCustomDomain",
            &me,
            "mutation($id: ID!) { verifyCustomDomain(id: $id) { id } }",
            "addCustomDomain",
        ),
        (
            "removeCustomDomain",
            &me,
            "mutation($id: ID!) { removeCustomDomain(id: $id) }",
            "addCustomDomain",
        ),
        (
            "revokeSession",
            &me,
            "mutation($id: ID!) { revokeSession(id: $id) }",
            "session",
        ),
        (
            "removePasskey",
            &me,
            "mutation($id: ID!) { removePasskey(id: $id) }",
            "passkey",
        ),
        (
            "provisionTenant",
            &operator,
            "mutation { provisionTenant(slug: \"globex\", name: \"Globex\", adminEmail: \"boss@globex.example\") { tenant { slug } } }",
            "",
        ),
        (
            "setTenantRateLimit",
            &operator,
            "mutation { setTenantRateLimit(slug: \"acme\", perMinute: 5000) { slug } }",
            "",
        ),
        (
            "setTenantStatus",
            &operator,
            "mutation { setTenantStatus(slug: \"globex\", status: SUSPENDED) { slug } }",
            "",
        ),
    ];
    let mutations: Vec<String> = tenantry::graphql::sdl()
        .split("type Mutation {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .unwrap()
        .lines()
        .filter_map(|line| {
            line.trim()
                .split('(')
                .next()
                .filter(|name| !name.is_empty() && !name.starts_with('"'))
                .map(str::to_owned)
        })
        .filter(|name| name.chars().all(char::is_alphanumeric))
        .collect();
    let covered: Vec<&str> = cases.iter().map(|(name, ..)| *name).collect();
    for mutation in &mutations {
        assert!(
            covered.contains(&mutation.as_str()),
            "no audit case for {mutation}"
        );
    }

    for (name, caller, document, needs) in cases {
        let variables = match needs {
            "" => json!({}),
            from => json!({ "id": ids[from] }),
        };
        let before = newest_event(&app).await.map(|e| e.id);
        let body = app.gql(caller, document, variables).await;
        assert!(body["errors"].is_null(), "{name}: {body}");
        let answer = &body["data"][name];
        let id = answer["id"].clone();
        let id = if id.is_null() {
            answer["apiKey"]["id"].clone()
        } else {
            id
        };
        if !id.is_null() {
            ids.insert(name, id);
        }
        let event = newest_event(&app)
            .await
            .unwrap_or_else(|| panic!("{name}: no event"));
        assert_ne!(Some(event.id), before, "{name} left no audit event");
        let expected = match caller {
            Credential::Key(_) => (None, Some(operator_key.id)),
            _ => (Some(admin.id), None),
        };
        assert_eq!(
            (event.account_id, event.api_key_id),
            expected,
            "{name}: the event {} does not name its actor",
            event.kind
        );
        assert!(
            event.ip.is_some(),
            "{name}: the event {} has no address",
            event.kind
        );
    }
}

async fn newest_event(app: &TestApp) -> Option<audit_event::Model> {
    audit_event::Entity::find()
        .order_by_desc(audit_event::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
}

/// Makes inserts into `table` whose `column` equals `value` fail, as a database refusing a write
/// would; on SQLite and PostgreSQL alike.
async fn refuse_inserts(app: &TestApp, table: &str, column: &str, value: &str) {
    let statements = match app.db.get_database_backend() {
        DbBackend::Postgres => vec![
            format!(
                "CREATE FUNCTION refuse_{table}() RETURNS trigger AS $$ BEGIN IF NEW.{column} = '{value}' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            format!(
                "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_{table}()"
            ),
        ],
        _ => vec![format!(
            "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} WHEN NEW.{column} = '{value}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )],
    };
    for statement in statements {
        app.db.execute_unprepared(&statement).await.unwrap();
    }
}

/// An audit event that cannot be written takes its change with it: the key stays live.
async fn a_failed_audit_insert_rolls_the_change_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (key, secret) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let admin = Credential::Key(secret);
    refuse_inserts(&app, "audit_events", "kind", "api_key.revoked").await;

    let revoke = "mutation($id: ID!) { revokeApiKey(id: $id) { id } }";
    let body = app
        .gql(&admin, revoke, json!({ "id": key.id.to_string() }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR",
        "{body}"
    );
    let stored = api_key::Entity::find_by_id(key.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.revoked_at, None,
        "the revocation landed without its audit event"
    );
    let viewer = app.gql(&admin, "{ viewer { role } }", json!({})).await;
    assert_eq!(viewer["data"]["viewer"]["role"], "ADMIN", "{viewer}");
}

/// A tenant is provisioned with its first admin or not at all.
async fn provisioning_whose_admin_cannot_be_created_leaves_no_tenant(backend: Backend) {
    let app = spawn_app(backend).await;
    let operator = app.operator().await;
    refuse_inserts(&app, "accounts", "email", "boss@doomed.example").await;

    let provision = "mutation { provisionTenant(slug: \"doomed\", name: \"Doomed\", adminEmail: \"boss@doomed.example\") { tenant { slug } } }";
    let body = app.gql(&operator, provision, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR",
        "{body}"
    );
    let tenant = tenantry::services::tenants::find(&app.db, "doomed")
        .await
        .unwrap();
    assert!(tenant.is_none(), "a tenant was left without its admin");
    assert_eq!(
        app.get_branding("doomed-rides.localhost").await.status(),
        reqwest::StatusCode::NOT_FOUND
    );
    let available = app
        .gql(
            &Credential::None,
            "{ subdomainAvailable(slug: \"doomed\") { available } }",
            json!({}),
        )
        .await;
    assert_eq!(
        available["data"]["subdomainAvailable"]["available"], true,
        "{available}"
    );
}
