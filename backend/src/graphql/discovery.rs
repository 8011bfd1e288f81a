//! Public questions: which tenant is this, how does it look, is this slug free.

use async_graphql::{Context, Object, SimpleObject};

use super::context::{principal, state};
use super::error::FieldResult;
use super::guards::TenantCallerGuard;
use super::settings::Branding;
use crate::error::AppError;
use crate::services::discovery::{self, Ask};
use crate::services::{branding, tenants};

#[derive(Default)]
pub struct DiscoveryQuery;

/// What anyone may know of an active tenant.
#[derive(SimpleObject)]
pub struct PublicTenant {
    pub slug: String,
    pub name: String,
    /// Catalog keys of the tenant's apps.
    pub apps: Vec<String>,
    /// The app the asked-for host serves, when the tenant was found by host.
    pub app: Option<String>,
    /// The branding of that app, or the tenant's defaults.
    pub branding: Branding,
}

#[derive(SimpleObject)]
pub struct SlugAvailability {
    pub slug: String,
    pub available: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

#[Object]
impl DiscoveryQuery {
    /// The active tenant with this slug, or the one this host belongs to (give exactly one).
    async fn tenant_discovery(
        &self,
        ctx: &Context<'_>,
        slug: Option<String>,
        host: Option<String>,
    ) -> FieldResult<Option<PublicTenant>> {
        let state = state(ctx);
        let ask = match (slug, host) {
            (Some(slug), None) => Ask::Slug(slug),
            (None, Some(host)) => Ask::Host(host),
            _ => {
                return Err(AppError::invalid("slug", "give exactly one of slug and host").into());
            }
        };
        let found = discovery::discover(&state.db, &state.resolver, ask).await?;
        Ok(found.map(|tenant| PublicTenant {
            slug: tenant.slug,
            name: tenant.name,
            apps: tenant.apps,
            app: tenant.app,
            branding: tenant.branding.into(),
        }))
    }

    /// The caller's tenant's branding for `app` (default: the app the caller's key is for, else
    /// the tenant's defaults). For public keys, which ship inside apps and pages.
    #[graphql(guard = "TenantCallerGuard")]
    async fn branding(&self, ctx: &Context<'_>, app: Option<String>) -> FieldResult<Branding> {
        let state = state(ctx);
        let principal = principal(ctx);
        let tenant = principal
            .tenant
            .as_ref()
            .ok_or_else(|| AppError::internal("guarded"))?;
        let app = match app {
            Some(app) => Some(state.config.tenancy.apps.check("app", &app)?),
            None => principal.api_key.as_ref().and_then(|k| k.app.clone()),
        };
        let fields = branding::effective(&state.db, tenant, app.as_deref()).await?;
        Ok(fields.into())
    }

    /// Whether a tenant could be provisioned with this slug now, and why not.
    async fn subdomain_available(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> FieldResult<SlugAvailability> {
        let state = state(ctx);
        Ok(
            match tenants::check_available(&state.db, &state.config, &slug).await {
                Ok(()) => SlugAvailability {
                    slug,
                    available: true,
                    reason: None,
                },
                Err(AppError::InvalidInput { message, .. }) => SlugAvailability {
                    slug,
                    available: false,
                    reason: Some(message),
                },
                Err(err) => return Err(err.into()),
            },
        )
    }
}
