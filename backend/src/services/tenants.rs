//! Tenants: provisioning, status, look-ups.

use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use crate::cache::events::{self, CacheEvent};
use crate::config::Config;
use crate::db;
use crate::entities::account::{self, AccountStatus, Role};
use crate::entities::tenant::{self, TenantStatus};
use crate::entities::tenant_domain::{self, DomainKind};
use crate::error::{AppError, is_unique_violation};
use crate::services::audit::{self, Actor};
use crate::services::text::is_invisible;
use crate::services::{accounts, domains};
use crate::tenancy::context::{PlatformContext, TenantContext};
use crate::tenancy::slug;

pub use crate::tenancy::{MAIN_SLUG, system_host};

const MAX_NAME_LEN: usize = 200;

/// A newly provisioned tenant, the system domain of each of its apps, and its first admin.
pub struct Provisioned {
    pub tenant: tenant::Model,
    pub domains: Vec<tenant_domain::Model>,
    pub admin: Option<account::Model>,
}

/// What provisioning a tenant asks for.
#[derive(Debug)]
pub struct NewTenant<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    /// The apps to give a system domain; `None`: the whole catalog.
    pub apps: Option<&'a [String]>,
    /// The first admin's address, invited.
    pub admin_email: Option<&'a str>,
}

/// Creates a tenant, one verified system domain per app (`apps`, or the whole catalog) and, with
/// `admin_email`, its first admin (invited), in one transaction: a tenant never exists without
/// the admin it was provisioned with.
#[tracing::instrument(skip(db, config, platform, actor))]
pub async fn provision<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    config: &Config,
    platform: &PlatformContext,
    new: NewTenant<'_>,
    actor: &Actor,
) -> Result<Provisioned, AppError> {
    let NewTenant {
        slug,
        name,
        apps,
        admin_email,
    } = new;
    check_slug(config, slug)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(AppError::invalid(
            "name",
            format!("must be 1 to {MAX_NAME_LEN} characters"),
        ));
    }
    // The name goes into mail subjects and log lines: no line breaks or reordering there.
    if name.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(AppError::invalid(
            "name",
            "may not contain control characters or invisible formatting characters",
        ));
    }
    let apps = match apps {
        None => config.tenancy.apps.apps().map(str::to_owned).collect(),
        Some([]) => return Err(AppError::invalid("apps", "must name at least one app")),
        Some(apps) => {
            let mut checked = apps
                .iter()
                .map(|app| config.tenancy.apps.check("apps", app))
                .collect::<Result<Vec<_>, _>>()?;
            checked.sort();
            checked.dedup();
            checked
        }
    };

    let now = db::now();
    let txn = db.begin().await?;
    let tenant = tenant::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        status: Set(TenantStatus::Active),
        signup_enabled: Set(true),
        rate_limit_per_minute: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| match is_unique_violation(&e) {
        true => AppError::invalid("slug", format!("'{slug}' is already taken")),
        false => e.into(),
    })?;
    let context = platform.tenant(&tenant);
    let mut created = Vec::with_capacity(apps.len());
    for app in apps {
        let host = system_host(config, slug, &app)?;
        let domain = domains::insert_verified(
            &txn,
            Uuid::now_v7(),
            &context,
            app,
            host,
            DomainKind::System,
        )
        .await
        .map_err(|err| match err {
            AppError::Conflict(taken) => AppError::invalid("slug", format!("host {taken}")),
            err => err,
        })?;
        created.push(domain);
    }
    let admin = match admin_email {
        Some(email) => Some(
            accounts::create(&txn, &context, email, Role::Admin, AccountStatus::Invited)
                .await
                .map_err(|err| match err {
                    AppError::InvalidInput { message, .. } => {
                        AppError::invalid("adminEmail", message)
                    }
                    err => err,
                })?,
        ),
        None => None,
    };
    events::record(&txn, CacheEvent::HostsChanged).await?;
    let detail = match &admin {
        Some(admin) => format!("tenant '{slug}' provisioned, with admin {}", admin.email),
        None => format!("tenant '{slug}' provisioned"),
    };
    audit::record(&txn, &context, actor, "tenant.provisioned", detail).await?;
    txn.commit().await?;
    tracing::info!(tenant = %tenant.slug, "tenant provisioned");
    Ok(Provisioned {
        tenant,
        domains: created,
        admin,
    })
}

/// Whether `slug` could be provisioned now, with the reason when not.
pub async fn check_available(
    db: &impl ConnectionTrait,
    config: &Config,
    slug: &str,
) -> Result<(), AppError> {
    check_slug(config, slug)?;
    match find(db, slug).await? {
        Some(_) => Err(AppError::invalid(
            "slug",
            format!("'{slug}' is already taken"),
        )),
        None => Ok(()),
    }
}

fn check_slug(config: &Config, slug: &str) -> Result<(), AppError> {
    let mut reserved = config.tenancy.reserved_subdomains.clone();
    reserved.push(MAIN_SLUG.to_owned());
    slug::check(slug, config.max_slug_len(), &reserved)
        .map_err(|why| AppError::invalid("slug", why))
}

/// Suspends or reactivates a tenant. A suspended tenant's hosts answer "Tenant not found".
/// Answers whether the status changed; setting the status it has writes and announces nothing.
#[tracing::instrument(skip(db, actor))]
pub async fn set_status<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    platform: &PlatformContext,
    slug: &str,
    status: TenantStatus,
    actor: &Actor,
) -> Result<(tenant::Model, bool), AppError> {
    let tenant = get(db, slug).await?;
    if tenant.slug == MAIN_SLUG && status == TenantStatus::Suspended {
        return Err(AppError::invalid(
            "slug",
            "the platform tenant cannot be suspended",
        ));
    }
    if tenant.status == status {
        return Ok((tenant, false));
    }
    let txn = db.begin().await?;
    let mut active: tenant::ActiveModel = tenant.into();
    active.status = Set(status);
    active.updated_at = Set(db::now());
    let tenant = active.update(&txn).await?;
    let kind = match status {
        TenantStatus::Suspended => "tenant.suspended",
        TenantStatus::Active => "tenant.activated",
    };
    let context = platform.tenant(&tenant);
    audit::record(&txn, &context, actor, kind, format!("tenant '{slug}'")).await?;
    events::record(&txn, CacheEvent::TenantChanged(tenant.id)).await?;
    txn.commit().await?;
    tracing::info!(tenant = %tenant.slug, ?status, "tenant status changed");
    Ok((tenant, true))
}

/// One page of tenants by slug, after the slug `after`; `search` matches slug or name. Returns
/// whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    _: &PlatformContext,
    status: Option<TenantStatus>,
    search: Option<&str>,
    first: u64,
    after: Option<&str>,
) -> Result<(Vec<tenant::Model>, bool), AppError> {
    let mut query = tenant::Entity::find();
    if let Some(status) = status {
        query = query.filter(tenant::Column::Status.eq(status));
    }
    if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
        query = query.filter(
            tenant::Column::Slug
                .contains(search.to_lowercase())
                .or(tenant::Column::Name.contains(search)),
        );
    }
    if let Some(after) = after {
        query = query.filter(tenant::Column::Slug.gt(after));
    }
    super::page_of(db, query.order_by_asc(tenant::Column::Slug), first).await
}

pub async fn list(
    db: &impl ConnectionTrait,
    _: &PlatformContext,
) -> Result<Vec<tenant::Model>, AppError> {
    Ok(tenant::Entity::find()
        .order_by_asc(tenant::Column::Slug)
        .all(db)
        .await?)
}

pub use crate::tenancy::{find_tenant as find, tenant_by_slug as get};

/// The stored row of `tenant`, with the settings a context does not carry.
pub async fn row(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
) -> Result<tenant::Model, AppError> {
    tenant::Entity::find_by_id(tenant.id())
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("tenant not found".into()))
}

/// Opens or closes sign-up by email code for unknown addresses. Always closed on `main`.
/// Answers whether the setting changed.
pub async fn set_signup<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    context: &TenantContext,
    enabled: bool,
    actor: &Actor,
) -> Result<(tenant::Model, bool), AppError> {
    let tenant = row(db, context).await?;
    if tenant.slug == MAIN_SLUG && enabled {
        return Err(AppError::invalid(
            "signupEnabled",
            "sign-up is always off on the platform tenant",
        ));
    }
    if tenant.signup_enabled == enabled {
        return Ok((tenant, false));
    }
    let txn = db.begin().await?;
    let mut active: tenant::ActiveModel = tenant.into();
    active.signup_enabled = Set(enabled);
    active.updated_at = Set(db::now());
    let tenant = active.update(&txn).await?;
    let detail = match enabled {
        true => "sign-up by email code opened",
        false => "sign-up by email code closed",
    };
    audit::record(&txn, context, actor, "tenant.signup_changed", detail).await?;
    events::record(&txn, CacheEvent::TenantChanged(tenant.id)).await?;
    txn.commit().await?;
    Ok((tenant, true))
}

/// Most requests per minute a tenant's own limit may allow.
pub const MAX_RATE_LIMIT: i32 = 1_000_000;

/// Sets the tenant's own request limit per minute, or (`None`) returns it to the default.
/// Answers whether the limit changed.
#[tracing::instrument(skip(db, actor))]
pub async fn set_rate_limit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    platform: &PlatformContext,
    slug: &str,
    per_minute: Option<i32>,
    actor: &Actor,
) -> Result<(tenant::Model, bool), AppError> {
    if per_minute.is_some_and(|n| !(1..=MAX_RATE_LIMIT).contains(&n)) {
        return Err(AppError::invalid(
            "perMinute",
            format!("must be between 1 and {MAX_RATE_LIMIT}, or null for the default"),
        ));
    }
    let tenant = get(db, slug).await?;
    if tenant.rate_limit_per_minute == per_minute {
        return Ok((tenant, false));
    }
    let txn = db.begin().await?;
    let mut active: tenant::ActiveModel = tenant.into();
    active.rate_limit_per_minute = Set(per_minute);
    active.updated_at = Set(db::now());
    let tenant = active.update(&txn).await?;
    let detail = match per_minute {
        Some(n) => format!("{n} requests per minute"),
        None => "the default".to_owned(),
    };
    let context = platform.tenant(&tenant);
    audit::record(&txn, &context, actor, "tenant.rate_limit_set", detail).await?;
    events::record(&txn, CacheEvent::TenantChanged(tenant.id)).await?;
    txn.commit().await?;
    tracing::info!(tenant = %tenant.slug, ?per_minute, "tenant rate limit changed");
    Ok((tenant, true))
}

/// Whether an unknown address that proves its mailbox may become a `USER` of `tenant`: the
/// tenant's setting, and never on the platform tenant.
pub fn signup_open(tenant: &tenant::Model) -> bool {
    tenant.signup_enabled && tenant.slug != MAIN_SLUG
}
