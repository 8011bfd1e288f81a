//! Which tenant a request belongs to, when only its host can say: host normalisation, the app
//! catalog, slug rules, and the cached host → (tenant, app) resolver.

pub mod catalog;
pub mod context;
pub mod host;
pub mod known_hosts;
pub mod resolver;
pub mod slug;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::config::Config;
use crate::entities::tenant;
use crate::error::AppError;

/// The platform's own tenant, created by the migrations. Its slug is reserved.
pub const MAIN_SLUG: &str = "main";

/// The tenant with `slug`, if there is one.
pub async fn find_tenant(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<tenant::Model>, AppError> {
    Ok(tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// The tenant with `slug`, or `NOT_FOUND`.
pub async fn tenant_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<tenant::Model, AppError> {
    find_tenant(db, slug)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("tenant '{slug}' not found")))
}

/// `{slug}-{suffix}.{base_domain}`: the system host of a tenant's app.
pub fn system_host(config: &Config, slug: &str, app: &str) -> Result<String, AppError> {
    let suffix = config
        .apps
        .suffix(app)
        .ok_or_else(|| AppError::internal(format!("app {app} is not in the catalog")))?;
    Ok(format!("{slug}-{suffix}.{}", config.base_domain))
}
