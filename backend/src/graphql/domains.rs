//! A tenant's domains.

use async_graphql::{Context, ID, Object};

use super::context::{actor, state, tenant_scope, uuid};
use super::error::FieldResult;
use super::guards::RoleGuard;
use super::types::Domain;
use crate::entities::account::Role;
use crate::services::custom_domains;

#[derive(Default)]
pub struct DomainsQuery;

#[derive(Default)]
pub struct DomainsMutation;

#[Object]
impl DomainsQuery {
    /// The tenant's hosts, by app, system host first.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn domains(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
    ) -> FieldResult<Vec<Domain>> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let rows = custom_domains::list(&state(ctx).db, &tenant).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[Object]
impl DomainsMutation {
    /// Claims a custom domain for an app. It routes nothing until `verifyCustomDomain` passes:
    /// publish the TXT record, point the name at your proxy, forward `/.well-known/*`.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn add_custom_domain(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: String,
        host: String,
        #[graphql(default)] alias: bool,
    ) -> FieldResult<Domain> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let claim = custom_domains::claim(
            &state.db,
            &state.config,
            &tenant,
            &app,
            &host,
            alias,
            &actor(ctx),
        )
        .await?;
        Ok(claim.into())
    }

    /// Runs the checks now; a claim that passes them all starts routing at once.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn verify_custom_domain(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        id: ID,
    ) -> FieldResult<Domain> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let id = uuid("id", &id)?;
        let domain = custom_domains::verify(
            &state.db,
            &state.config,
            &state.domain_checker,
            &tenant,
            id,
            &actor(ctx),
        )
        .await?;
        Ok(domain.into())
    }

    /// Removes a claim or a custom domain; it stops routing at once.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn remove_custom_domain(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        id: ID,
    ) -> FieldResult<ID> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let uuid = uuid("id", &id)?;
        custom_domains::remove(&state.db, &tenant, uuid, &actor(ctx)).await?;
        Ok(id)
    }
}
