//! A tenant's domains.

use async_graphql::{Context, Object};

use super::context::{GqlResult, scope, state};
use super::guards::RoleGuard;
use super::types::Domain;
use crate::entities::account::Role;
use crate::services::domains;

#[derive(Default)]
pub struct DomainsQuery;

#[Object]
impl DomainsQuery {
    /// The tenant's hosts, by app, system host first.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn domains(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
    ) -> async_graphql::Result<Vec<Domain>> {
        let scope = scope(ctx, tenant_slug).await.gql()?;
        let rows = domains::list(&state(ctx).db, &scope.tenant_slug)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
