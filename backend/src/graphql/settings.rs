//! A tenant's branding and app links.

use async_graphql::{Context, Object};

use super::context::{actor, state, tenant_scope};
use super::error::FieldResult;
use super::guards::RoleGuard;
use super::types::{AppLinksValue, Branding};
use crate::entities::account::Role;
use crate::services::{app_links, branding};
use crate::tenancy::context::TenantContext;

#[derive(Default)]
pub struct SettingsQuery;

/// What an admin edits: the values stored for one scope, not merged with the tenant's defaults
/// (the `branding` field answers the merged values an app shows).
#[Object]
impl SettingsQuery {
    /// The branding stored for `app` (omit it for the tenant's defaults); unset values are null
    /// and are inherited from the defaults.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn stored_branding(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: Option<String>,
    ) -> FieldResult<Branding> {
        let (tenant, app) = branding_scope(ctx, tenant_slug, app).await?;
        branding_stored_in(ctx, &tenant, app.as_deref()).await
    }

    /// The app links of `app`, from which its well-known files are built.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn app_links(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: String,
    ) -> FieldResult<AppLinksValue> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let app = state.config.apps.check("app", &app)?;
        Ok(app_links::get(&state.db, &tenant, &app).await?.into())
    }
}

#[derive(Default)]
pub struct SettingsMutation;

#[Object]
impl SettingsMutation {
    /// Replaces the branding of `app` (omit it for the tenant's defaults, which apps inherit).
    /// Returns what is now stored for that scope.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn update_branding(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: Option<String>,
        input: Branding,
    ) -> FieldResult<Branding> {
        let (tenant, app) = branding_scope(ctx, tenant_slug, app).await?;
        let state = state(ctx);
        let stored = branding::set(
            &state.db,
            &tenant,
            app.as_deref(),
            input.into(),
            &actor(ctx),
        )
        .await?;
        Ok(stored.into())
    }

    /// Replaces the app links of `app`, from which the well-known files are built.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn update_app_links(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: String,
        input: AppLinksValue,
    ) -> FieldResult<AppLinksValue> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let app = state.config.apps.check("app", &app)?;
        let stored = app_links::set(&state.db, &tenant, &app, input.into(), &actor(ctx)).await?;
        Ok(stored.into())
    }
}

/// The tenant in scope and the branding scope `app` names (`None`: the tenant's defaults).
async fn branding_scope(
    ctx: &Context<'_>,
    tenant_slug: Option<String>,
    app: Option<String>,
) -> FieldResult<(TenantContext, Option<String>)> {
    let tenant = tenant_scope(ctx, tenant_slug).await?;
    let app = app
        .map(|app| state(ctx).config.apps.check("app", &app))
        .transpose()?;
    Ok((tenant, app))
}

async fn branding_stored_in(
    ctx: &Context<'_>,
    tenant: &TenantContext,
    app: Option<&str>,
) -> FieldResult<Branding> {
    let stored = branding::stored(&state(ctx).db, tenant, app).await?;
    Ok(stored.into())
}
