//! Which tenant a request belongs to, when only its host can say: host normalisation, slug rules,
//! and the cached host → (tenant, app) resolver, over the app catalog of the configuration.

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
        .tenancy
        .apps
        .suffix(app)
        .ok_or_else(|| AppError::internal(format!("app {app} is not in the catalog")))?;
    Ok(format!("{slug}-{suffix}.{}", config.tenancy.base_domain))
}

/// The configuration with its names checked as hosts are: the base domain normalised like any
/// host, the app catalog's keys and suffixes, room for a slug, reserved labels. Whatever builds
/// the application calls this once.
pub fn checked_config(mut config: Config) -> Result<Config, String> {
    let tenancy = &mut config.tenancy;
    tenancy.base_domain = host::normalise_name(&tenancy.base_domain).map_err(|_| {
        format!(
            "tenancy.base_domain '{}' is not a host name",
            tenancy.base_domain
        )
    })?;
    tenancy.apps = std::mem::take(&mut tenancy.apps).validated()?;
    for label in &tenancy.reserved_subdomains {
        let name = format!("{label}.{}", tenancy.base_domain);
        if host::normalise_name(&name).as_deref() != Ok(name.as_str()) {
            return Err(format!(
                "tenancy.reserved_subdomains: '{label}' is not a lower-case host label"
            ));
        }
    }
    if config.max_slug_len() == 0 {
        return Err("the base domain and app suffixes leave no room for a slug".into());
    }
    Ok(config)
}
