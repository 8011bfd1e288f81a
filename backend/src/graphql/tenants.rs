//! The operator's view of every tenant.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use super::accounts::Account;
use super::context::{actor, connection, page_size, platform, state};
use super::domains::Domain;
use super::error::FieldResult;
use super::guards::RoleGuard;
use crate::entities::account::Role;
use crate::entities::tenant::{self, TenantStatus};
use crate::error::AppError;
use crate::services::invitations;
use crate::services::tenants::{self, NewTenant};
use crate::tenancy::context::TenantContext;

#[derive(Default)]
pub struct TenantsQuery;

#[derive(Default)]
pub struct TenantsMutation;

#[derive(InputObject, Default)]
pub struct TenantFilter {
    pub status: Option<TenantStatusValue>,
    /// Part of the slug or the name.
    pub search: Option<String>,
}

#[derive(SimpleObject)]
pub struct ProvisionedTenant {
    pub tenant: Tenant,
    /// One verified system domain per app.
    pub domains: Vec<Domain>,
    /// The tenant's first administrator.
    pub admin: Account,
}

#[Object]
impl TenantsQuery {
    /// Every tenant, by slug.
    #[graphql(guard = "RoleGuard(Role::Operator)")]
    async fn tenants(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<TenantFilter>,
    ) -> FieldResult<Connection<String, Tenant>> {
        let filter = filter.unwrap_or_default();
        let first = page_size(first)?;
        let platform = platform(ctx)?;
        let (rows, more) = tenants::page(
            &state(ctx).db,
            &platform,
            filter.status.map(Into::into),
            filter.search.as_deref(),
            first,
            after.as_deref(),
        )
        .await?;
        Ok(connection(rows, more, after.is_some(), |t| {
            (t.slug.clone(), t.into())
        }))
    }

    #[graphql(guard = "RoleGuard(Role::Operator)")]
    async fn tenant(&self, ctx: &Context<'_>, slug: String) -> FieldResult<Option<Tenant>> {
        platform(ctx)?;
        Ok(tenants::find(&state(ctx).db, &slug).await?.map(Into::into))
    }
}

#[Object]
impl TenantsMutation {
    /// Creates a tenant, a verified system domain per app (`apps`, default: the whole catalog),
    /// and its first ADMIN account.
    #[graphql(guard = "RoleGuard(Role::Operator)")]
    async fn provision_tenant(
        &self,
        ctx: &Context<'_>,
        slug: String,
        name: String,
        apps: Option<Vec<String>>,
        admin_email: String,
    ) -> FieldResult<ProvisionedTenant> {
        let state = state(ctx);
        let provisioned = tenants::provision(
            &state.db,
            &state.config,
            &platform(ctx)?,
            NewTenant {
                slug: &slug,
                name: &name,
                apps: apps.as_deref(),
                admin_email: Some(&admin_email),
            },
            &actor(ctx),
        )
        .await?;
        let admin = provisioned
            .admin
            .ok_or_else(|| AppError::internal("the admin was not created"))?;
        // A new tenant's first mail: no budget of its address has been spent yet.
        let tenant = platform(ctx)?.tenant(&provisioned.tenant);
        let actor = actor(ctx);
        invitations::send(
            &state.db,
            &state.mailer,
            &tenant,
            &super::accounts::invitation(ctx, &actor),
            &admin,
        )
        .await?;
        Ok(ProvisionedTenant {
            tenant: provisioned.tenant.into(),
            domains: provisioned.domains.into_iter().map(Into::into).collect(),
            admin: admin.into(),
        })
    }

    /// Suspends or reactivates a tenant; takes effect at once on every host and credential.
    #[graphql(guard = "RoleGuard(Role::Operator)")]
    async fn set_tenant_status(
        &self,
        ctx: &Context<'_>,
        slug: String,
        status: TenantStatusValue,
    ) -> FieldResult<Tenant> {
        let state = state(ctx);
        let (tenant, _) = tenants::set_status(
            &state.db,
            &platform(ctx)?,
            &slug,
            status.into(),
            &actor(ctx),
        )
        .await?;
        Ok(tenant.into())
    }

    /// Sets a tenant's own limit on requests per minute over all its traffic (`null`: back to the
    /// configured default). Takes effect at once on every instance.
    #[graphql(guard = "RoleGuard(Role::Operator)")]
    async fn set_tenant_rate_limit(
        &self,
        ctx: &Context<'_>,
        slug: String,
        per_minute: Option<i32>,
    ) -> FieldResult<Tenant> {
        let state = state(ctx);
        let (tenant, _) =
            tenants::set_rate_limit(&state.db, &platform(ctx)?, &slug, per_minute, &actor(ctx))
                .await?;
        Ok(tenant.into())
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "TenantStatus")]
pub enum TenantStatusValue {
    Active,
    /// Its hosts answer "Tenant not found" and its credentials are refused.
    Suspended,
}

impl From<TenantStatus> for TenantStatusValue {
    fn from(status: TenantStatus) -> Self {
        match status {
            TenantStatus::Active => TenantStatusValue::Active,
            TenantStatus::Suspended => TenantStatusValue::Suspended,
        }
    }
}

impl From<TenantStatusValue> for TenantStatus {
    fn from(status: TenantStatusValue) -> Self {
        match status {
            TenantStatusValue::Active => TenantStatus::Active,
            TenantStatusValue::Suspended => TenantStatus::Suspended,
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Tenant {
    pub id: ID,
    pub slug: String,
    pub name: String,
    pub status: TenantStatusValue,
    /// The tenant's own limit on requests per minute over all its traffic; null: the default.
    pub rate_limit_per_minute: Option<i32>,
}

impl From<tenant::Model> for Tenant {
    fn from(t: tenant::Model) -> Self {
        Tenant {
            id: ID(t.id.to_string()),
            slug: t.slug,
            name: t.name,
            status: t.status.into(),
            rate_limit_per_minute: t.rate_limit_per_minute,
        }
    }
}

impl From<&TenantContext> for Tenant {
    fn from(t: &TenantContext) -> Self {
        Tenant {
            id: ID(t.id().to_string()),
            slug: t.slug().to_owned(),
            name: t.name().to_owned(),
            status: t.status().into(),
            rate_limit_per_minute: t.rate_limit().and_then(|n| i32::try_from(n).ok()),
        }
    }
}
