//! A tenant's API keys.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::accounts::RoleValue;
use super::context::{actor, state, tenant_scope, uuid};
use super::error::FieldResult;
use super::guards::RoleGuard;
use crate::entities::account::Role;
use crate::entities::api_key::{self, KeyKind};
use crate::services::api_keys::{self, NewKey};

#[derive(Default)]
pub struct ApiKeysQuery;

#[derive(Default)]
pub struct ApiKeysMutation;

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    pub kind: KeyKindValue,
    pub name: String,
    /// Required for secret keys; public keys have none.
    pub role: Option<RoleValue>,
    pub app: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new key. `secret` is shown this once and never again.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    pub secret: String,
}

#[Object]
impl ApiKeysQuery {
    /// The tenant's keys, newest first, by display prefix (never the secret).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
    ) -> FieldResult<Vec<ApiKey>> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let keys = api_keys::list(&state(ctx).db, &tenant).await?;
        Ok(keys.into_iter().map(Into::into).collect())
    }
}

#[Object]
impl ApiKeysMutation {
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        input: CreateApiKeyInput,
    ) -> FieldResult<CreatedApiKey> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let new = NewKey {
            kind: input.kind.into(),
            name: input.name,
            role: input.role.map(Into::into),
            app: input.app,
            expires_at: input.expires_at,
        };
        let created = api_keys::create(&state.db, &state.config, &tenant, new, &actor(ctx)).await?;
        Ok(CreatedApiKey {
            api_key: created.key.into(),
            secret: created.secret,
        })
    }

    /// Revokes a key at once, on every instance.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        id: ID,
    ) -> FieldResult<ApiKey> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let id = uuid("id", &id)?;
        let (key, _) = api_keys::revoke(&state.db, &tenant, id, &actor(ctx)).await?;
        Ok(key.into())
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "ApiKeyKind")]
pub enum KeyKindValue {
    /// `btk_…`: server to server, acts with its role.
    Secret,
    /// `bpk_…`: shipped in apps and web pages; public operations only.
    Public,
}

impl From<KeyKind> for KeyKindValue {
    fn from(kind: KeyKind) -> Self {
        match kind {
            KeyKind::Secret => KeyKindValue::Secret,
            KeyKind::Public => KeyKindValue::Public,
        }
    }
}

impl From<KeyKindValue> for KeyKind {
    fn from(kind: KeyKindValue) -> Self {
        match kind {
            KeyKindValue::Secret => KeyKind::Secret,
            KeyKindValue::Public => KeyKind::Public,
        }
    }
}

/// An API key as listed: never its secret, only the prefix that tells it apart.
#[derive(SimpleObject, Clone, Debug)]
pub struct ApiKey {
    pub id: ID,
    pub name: String,
    pub kind: KeyKindValue,
    pub role: Option<RoleValue>,
    pub app: Option<String>,
    pub display_prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<api_key::Model> for ApiKey {
    fn from(k: api_key::Model) -> Self {
        ApiKey {
            id: ID(k.id.to_string()),
            name: k.name,
            kind: k.kind.into(),
            role: k.role.map(Into::into),
            app: k.app,
            display_prefix: k.display_prefix,
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
        }
    }
}
