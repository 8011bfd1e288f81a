//! A tenant's API keys.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::{actor, state, tenant_scope, uuid};
use super::error::FieldResult;
use super::guards::RoleGuard;
use super::types::{ApiKey, KeyKindValue, RoleValue};
use crate::entities::account::Role;
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
