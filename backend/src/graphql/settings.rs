//! A tenant's branding and app links.

use async_graphql::{Context, Object};
use uuid::Uuid;

use super::context::{GqlResult, actor, scope, state};
use super::guards::RoleGuard;
use super::types::{AppLinksValue, Branding};
use crate::entities::account::Role;
use crate::services::{app_links, branding};

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
    ) -> async_graphql::Result<Branding> {
        let (tenant_id, app) = branding_scope(ctx, tenant_slug, app).await?;
        branding_stored_in(ctx, tenant_id, app.as_deref()).await
    }

    /// The app links of `app`, from which its well-known files are built.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn app_links(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: String,
    ) -> async_graphql::Result<AppLinksValue> {
        let scope = scope(ctx, tenant_slug).await.gql()?;
        let state = state(ctx);
        let app = state.config.apps.check("app", &app).gql()?;
        Ok(app_links::get(&state.db, scope.tenant_id, &app)
            .await
            .gql()?
            .into())
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
    ) -> async_graphql::Result<Branding> {
        let (tenant_id, app) = branding_scope(ctx, tenant_slug, app).await?;
        let state = state(ctx);
        branding::set(
            &state.db,
            tenant_id,
            app.as_deref(),
            input.into(),
            &actor(ctx),
        )
        .await
        .gql()?;
        branding_stored_in(ctx, tenant_id, app.as_deref()).await
    }

    /// Replaces the app links of `app`, from which the well-known files are built.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn update_app_links(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: String,
        input: AppLinksValue,
    ) -> async_graphql::Result<AppLinksValue> {
        let scope = scope(ctx, tenant_slug).await.gql()?;
        let state = state(ctx);
        let app = state.config.apps.check("app", &app).gql()?;
        app_links::set(&state.db, scope.tenant_id, &app, input.into(), &actor(ctx))
            .await
            .gql()?;
        Ok(app_links::get(&state.db, scope.tenant_id, &app)
            .await
            .gql()?
            .into())
    }
}

/// The tenant in scope and the branding scope `app` names (`None`: the tenant's defaults).
async fn branding_scope(
    ctx: &Context<'_>,
    tenant_slug: Option<String>,
    app: Option<String>,
) -> async_graphql::Result<(Uuid, Option<String>)> {
    let scope = scope(ctx, tenant_slug).await.gql()?;
    let app = app
        .map(|app| state(ctx).config.apps.check("app", &app))
        .transpose()
        .gql()?;
    Ok((scope.tenant_id, app))
}

async fn branding_stored_in(
    ctx: &Context<'_>,
    tenant_id: Uuid,
    app: Option<&str>,
) -> async_graphql::Result<Branding> {
    let stored = branding::stored(&state(ctx).db, tenant_id, app)
        .await
        .gql()?;
    Ok(stored.into())
}
