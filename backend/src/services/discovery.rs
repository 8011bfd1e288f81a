//! Public discovery: which active tenant a slug or a host names, with its apps and branding, for
//! anyone who asks (an app before sign-in, a page choosing its look).

use sea_orm::ConnectionTrait;

use crate::error::AppError;
use crate::services::branding::{self, BrandingFields};
use crate::services::domains;
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
    ask: Ask,
) -> Result<Option<Discovered>, AppError> {
    let (tenant, app) = match ask {
        Ask::Slug(slug) => match resolver.resolve_slug(db, &slug).await? {
            Some(tenant) => (tenant, None),
            None => return Ok(None),
        },
        Ask::Host(raw) => {
            let Ok(RequestHost::Name(name)) = host::normalise(&raw) else {
                return Err(AppError::invalid("host", "is not a valid host name"));
            };
            match resolver.resolve(db, &name).await? {
                Resolution::Tenant(t) => (t.tenant.clone(), t.app.clone()),
                Resolution::Suspended | Resolution::NotConfigured => return Ok(None),
            }
        }
    };
    Ok(Some(Discovered {
        slug: tenant.slug().to_owned(),
        name: tenant.name().to_owned(),
        apps: domains::apps(db, &tenant).await?,
        branding: branding::effective(db, &tenant, app.as_deref()).await?,
        app,
    }))
}
