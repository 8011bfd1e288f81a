//! A tenant's members and their roles.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::{actor, principal, state, tenant_scope, uuid};
use super::error::FieldResult;
use super::guards::RoleGuard;
use crate::entities::account::{self, AccountStatus, Role};
use crate::services::audit::Actor;
use crate::services::invitations::{Invitation, PublicOrigin};
use crate::services::{accounts, invitations};

/// An invitation from the caller, linked the way they reached the server.
pub(super) fn invitation<'a>(ctx: &'a Context<'_>, actor: &'a Actor) -> Invitation<'a> {
    let origin = ctx
        .data_opt::<PublicOrigin>()
        .copied()
        .unwrap_or(PublicOrigin {
            scheme: "https",
            port: None,
        });
    Invitation {
        actor,
        inviter: principal(ctx).account_email.as_deref(),
        origin,
    }
}

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
        state.limits.invitation(tenant.id(), &email).await?;
        let actor = actor(ctx);
        let account = invitations::invite(
            &state.db,
            &state.mailer,
            &tenant,
            invitation(ctx, &actor),
            &email,
            role.into(),
        )
        .await?;
        Ok(account.into())
    }

    /// Mails a pending invitation again (the tenant's invitation budget and the address's mail
    /// budget allowing).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn resend_invitation(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        id: ID,
    ) -> FieldResult<Account> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let id = uuid("id", &id)?;
        let pending = accounts::get(&state.db, &tenant, id).await?;
        state.limits.invitation(tenant.id(), &pending.email).await?;
        let actor = actor(ctx);
        let account = invitations::resend(
            &state.db,
            &state.mailer,
            &tenant,
            invitation(ctx, &actor),
            id,
        )
        .await?;
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

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "Role")]
pub enum RoleValue {
    /// The platform's operators (accounts and keys of the `main` tenant).
    Operator,
    /// Manages one tenant: keys, branding, domains, members.
    Admin,
    /// Works in one tenant: reads its leads.
    Member,
    /// An end user of the tenant's apps.
    User,
}

impl From<account::Role> for RoleValue {
    fn from(role: account::Role) -> Self {
        match role {
            account::Role::Operator => RoleValue::Operator,
            account::Role::Admin => RoleValue::Admin,
            account::Role::Member => RoleValue::Member,
            account::Role::User => RoleValue::User,
        }
    }
}

impl From<RoleValue> for account::Role {
    fn from(role: RoleValue) -> Self {
        match role {
            RoleValue::Operator => account::Role::Operator,
            RoleValue::Admin => account::Role::Admin,
            RoleValue::Member => account::Role::Member,
            RoleValue::User => account::Role::User,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "AccountStatus")]
pub enum AccountStatusValue {
    Active,
    Invited,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Account {
    pub id: ID,
    pub email: String,
    pub role: RoleValue,
    pub status: AccountStatusValue,
    pub created_at: DateTime<Utc>,
}

impl From<account::Model> for Account {
    fn from(a: account::Model) -> Self {
        Account {
            id: ID(a.id.to_string()),
            email: a.email,
            role: a.role.into(),
            status: match a.status {
                AccountStatus::Active => AccountStatusValue::Active,
                AccountStatus::Invited => AccountStatusValue::Invited,
            },
            created_at: a.created_at,
        }
    }
}
