//! A tenant's members and their roles.

use async_graphql::{Context, ID, Object};

use super::context::{actor, state, tenant_scope, uuid};
use super::error::FieldResult;
use super::guards::RoleGuard;
use super::types::{Account, RoleValue};
use crate::entities::account::Role;
use crate::services::accounts;

#[derive(Default)]
pub struct AccountsQuery;

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsQuery {
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
    ) -> FieldResult<Vec<Account>> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let rows = accounts::list(&state(ctx).db, &tenant).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[Object]
impl AccountsMutation {
    /// Adds a member, who signs in with this address.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn invite_account(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        email: String,
        role: RoleValue,
    ) -> FieldResult<Account> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let account =
            accounts::invite(&state.db, &tenant, &email, role.into(), &actor(ctx)).await?;
        Ok(account.into())
    }

    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn set_account_role(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        id: ID,
        role: RoleValue,
    ) -> FieldResult<Account> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let id = uuid("id", &id)?;
        let (account, _) =
            accounts::set_role(&state.db, &tenant, id, role.into(), &actor(ctx)).await?;
        Ok(account.into())
    }

    /// Removes a member; their tokens stop working at once. Returns the removed account's id.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn remove_account(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        id: ID,
    ) -> FieldResult<ID> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let uuid = uuid("id", &id)?;
        accounts::remove(&state.db, &tenant, uuid, &actor(ctx)).await?;
        Ok(id)
    }
}
