//! A tenant's domains.

use async_graphql::{Context, ID, Object};

use super::context::{GqlResult, actor, state, tenant_scope, uuid};
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
    ) -> async_graphql::Result<Vec<Domain>> {
        let tenant = tenant_scope(ctx, tenant_slug).await.gql()?;
        let rows = custom_domains::list(&state(ctx).db, &tenant).await.gql()?;
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
    ) -> async_graphql::Result<Domain> {
        let tenant = tenant_scope(ctx, tenant_slug).await.gql()?;
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
        .await
        .gql()?;
        Ok(claim.into())
    }

    /// Runs the checks now; a claim that passes them all starts routing at once.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn verify_custom_domain(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        id: ID,
    ) -> async_graphql::Result<Domain> {
        let tenant = tenant_scope(ctx, tenant_slug).await.gql()?;
        let state = state(ctx);
        let id = uuid("id", &id).gql()?;
        let domain = custom_domains::verify(
            &state.db,
            &state.config,
            &state.domain_checker,
            &tenant,
            id,
            &actor(ctx),
        )
        .await
        .gql()?;
        Ok(domain.into())
    }

    /// Removes a claim or a custom domain; it stops routing at once.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn remove_custom_domain(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        id: ID,
    ) -> async_graphql::Result<ID> {
        let tenant = tenant_scope(ctx, tenant_slug).await.gql()?;
        let state = state(ctx);
        let uuid = uuid("id", &id).gql()?;
        custom_domains::remove(&state.db, &tenant, uuid, &actor(ctx))
            .await
            .gql()?;
        Ok(id)
    }
}
