//! Public discovery: which active tenant a slug or a host names, with its apps and branding, for
//! anyone who asks (an app before sign-in, a page choosing its look).

use sea_orm::ConnectionTrait;

use crate::auth::directory::Directory;
use crate::entities::tenant::TenantStatus;
use crate::error::AppError;
use crate::services::branding::{self, BrandingFields};
use crate::services::{domains, tenants};
use crate::tenancy::host::{self, RequestHost};
use crate::tenancy::resolver::{Resolution, Resolver};

/// What a discovery asks by.
pub enum Ask {
    Slug(String),
    Host(String),
}

/// What anyone may know of an active tenant.
pub struct Discovered {
    pub slug: String,
    pub name: String,
    /// Catalog keys of the tenant's apps.
    pub apps: Vec<String>,
    /// The app the asked-for host serves, when the tenant was found by host.
    pub app: Option<String>,
    /// The branding of that app, or the tenant's defaults.
    pub branding: BrandingFields,
}

/// The active tenant `ask` names, or `None` (unknown, suspended, or a host that routes nowhere).
/// A host that is not a valid name is refused.
pub async fn discover(
    db: &impl ConnectionTrait,
    resolver: &Resolver,
    directory: &Directory,
    ask: Ask,
) -> Result<Option<Discovered>, AppError> {
    let (tenant_id, app) = match ask {
        Ask::Slug(slug) => match tenants::find(db, &slug).await? {
            Some(t) if t.status == TenantStatus::Active => (t.id, None),
            _ => return Ok(None),
        },
        Ask::Host(raw) => {
            let Ok(RequestHost::Name(name)) = host::normalise(&raw) else {
                return Err(AppError::invalid("host", "is not a valid host name"));
            };
            match resolver.resolve(db, &name).await? {
                Resolution::Tenant(t) => (t.tenant_id, t.app.clone()),
                Resolution::Suspended | Resolution::NotConfigured => return Ok(None),
            }
        }
    };
    let tenant = directory
        .tenant(db, tenant_id)
        .await?
        .ok_or_else(|| AppError::internal("resolved tenant vanished"))?;
    Ok(Some(Discovered {
        slug: tenant.slug.clone(),
        name: tenant.name.clone(),
        apps: domains::apps(db, tenant_id).await?,
        branding: branding::effective(db, tenant_id, app.as_deref()).await?,
        app,
    }))
}
