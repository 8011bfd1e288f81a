//! The demo tenant `serve --demo` makes sure of, so a fresh checkout has something to look at.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};

use crate::config::Config;
use crate::entities::account::{AccountStatus, Role};
use crate::entities::api_key::{self, KeyKind};
use crate::entities::app_link::AndroidApp;
use crate::error::AppError;
use crate::services::api_keys::{self, NewKey};
use crate::services::app_links::{self, AppLinks};
use crate::services::audit::Actor;
use crate::services::branding::{self, BrandingFields};
use crate::services::tenants::{self, NewTenant};
use crate::services::{accounts, domains};
use crate::tenancy::context::{PlatformContext, TenantContext};

pub const DEMO_SLUG: &str = "acme";
pub const DEMO_OPERATOR: &str = "operator@example.com";
pub const DEMO_ADMIN: &str = "admin@acme.example";
/// The name of the keys the demo makes; each start revokes the previous ones.
const DEMO_KEY_NAME: &str = "demo (serve --demo)";

/// What the demo prints: the demo tenant's hosts by app, and fresh keys to call the API with.
pub struct Demo {
    pub hosts: Vec<(String, String)>,
    pub operator_key: String,
    pub admin_key: String,
    pub public_key: String,
}

/// Makes sure the demo tenant `acme` (branding, app links, an admin) and a platform operator
/// exist, and mints fresh demo keys (secrets are stored hashed, so old ones cannot be shown again).
pub async fn ensure<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    config: &Config,
    platform: &PlatformContext,
) -> Result<Demo, AppError> {
    let acme = ensure_tenant(db, config, platform).await?;
    let main = platform.tenant_by_slug(db, tenants::MAIN_SLUG).await?;
    accounts::ensure_operator(db, platform, DEMO_OPERATOR).await?;
    if accounts::find_by_email(db, &acme, DEMO_ADMIN)
        .await?
        .is_none()
    {
        accounts::create(db, &acme, DEMO_ADMIN, Role::Admin, AccountStatus::Active).await?;
    }
    for tenant in [&main, &acme] {
        revoke_demo_keys(db, tenant).await?;
    }
    let key = |kind, role, app: Option<&str>| NewKey {
        kind,
        name: DEMO_KEY_NAME.into(),
        role,
        app: app.map(str::to_owned),
        expires_at: None,
    };
    let operator = key(KeyKind::Secret, Some(Role::Operator), None);
    let admin = key(KeyKind::Secret, Some(Role::Admin), None);
    let public = key(KeyKind::Public, None, Some("TAXI_PASSENGER"));
    Ok(Demo {
        hosts: domains::list(db, &acme)
            .await?
            .into_iter()
            .map(|d| (d.app, d.host))
            .collect(),
        operator_key: api_keys::create(db, config, &main, operator, &Actor::PLATFORM)
            .await?
            .secret,
        admin_key: api_keys::create(db, config, &acme, admin, &Actor::PLATFORM)
            .await?
            .secret,
        public_key: api_keys::create(db, config, &acme, public, &Actor::PLATFORM)
            .await?
            .secret,
    })
}

async fn revoke_demo_keys<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
) -> Result<(), AppError> {
    let keys = api_key::Entity::find()
        .filter(api_key::Column::TenantId.eq(tenant.id()))
        .filter(api_key::Column::Name.eq(DEMO_KEY_NAME))
        .filter(api_key::Column::RevokedAt.is_null())
        .all(db)
        .await?;
    for key in keys {
        api_keys::revoke(db, tenant, key.id, &Actor::PLATFORM).await?;
    }
    Ok(())
}

/// Tenant `acme` with branding and app links, created once.
async fn ensure_tenant<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    config: &Config,
    platform: &PlatformContext,
) -> Result<TenantContext, AppError> {
    if let Some(existing) = tenants::find(db, DEMO_SLUG).await? {
        return Ok(platform.tenant(&existing));
    }
    let provisioned = tenants::provision(
        db,
        config,
        platform,
        NewTenant {
            slug: DEMO_SLUG,
            name: "Acme Mobility",
            apps: None,
            admin_email: None,
        },
        &Actor::PLATFORM,
    )
    .await?
    .tenant;
    let tenant = platform.tenant(&provisioned);
    let some = |s: &str| Some(s.to_owned());
    let defaults = BrandingFields {
        display_name: some("Acme"),
        logo_url: some("https://cdn.acme.example/logo.svg"),
        favicon_url: some("https://cdn.acme.example/favicon.ico"),
        primary_color: some("#0F62FE"),
        accent_color: some("#FF832B"),
        background_color: some("#FFFFFF"),
        text_color: some("#161616"),
        seo_title: some("Acme Mobility"),
        seo_description: some("Rides, deliveries and parking from Acme."),
    };
    branding::set(db, &tenant, None, defaults, &Actor::PLATFORM).await?;
    let rides = BrandingFields {
        display_name: some("Acme Rides"),
        seo_title: some("Acme Rides: a car in minutes"),
        ..BrandingFields::default()
    };
    branding::set(db, &tenant, Some("TAXI_PASSENGER"), rides, &Actor::PLATFORM).await?;
    let links = AppLinks {
        ios_app_ids: vec!["ABCDE12345.com.acme.rides".into()],
        android_apps: vec![AndroidApp {
            package_name: "com.acme.rides".into(),
            sha256_cert_fingerprints: vec![
                "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5".into(),
            ],
        }],
        webauthn_origins: vec![],
    };
    app_links::set(db, &tenant, "TAXI_PASSENGER", links, &Actor::PLATFORM).await?;
    Ok(tenant)
}
