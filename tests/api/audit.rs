//! Security events land in the tenant's audit trail, in the same transaction as the change.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use tenantry::entities::account::Role;
use tenantry::entities::api_key::KeyKind;
use tenantry::entities::audit_event;

use crate::helpers::{Backend, Credential, db_tests, spawn_app};

db_tests!(keys_suspensions_and_limits_are_audited);

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
