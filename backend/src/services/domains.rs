//! Tenant domains: the operator's path for attaching a host by hand, and listings.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use crate::cache::events::{self, CacheEvent};
use crate::config::Config;
use crate::db;
use crate::entities::tenant_domain::{self, DomainKind};
use crate::error::{AppError, is_unique_violation};
use crate::services::audit::{self, Actor};
use crate::tenancy::context::TenantContext;
use crate::tenancy::host;

/// Attaches `host` to a tenant's app as a verified custom domain (or an alias of it). This is the
/// operator's path: the operator vouches for the host, so it routes at once.
#[tracing::instrument(skip(db, config, actor))]
pub async fn add_verified<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    config: &Config,
    tenant: &TenantContext,
    app: &str,
    host: &str,
    alias: bool,
    actor: &Actor,
) -> Result<tenant_domain::Model, AppError> {
    let tenant_slug = tenant.slug();
    let app = config.tenancy.apps.check("app", app)?;
    let host = host::normalise_name(host)
        .map_err(|_| AppError::invalid("host", format!("'{host}' is not a valid host name")))?;
    let base = &config.tenancy.base_domain;
    if host == *base || host.ends_with(&format!(".{base}")) {
        return Err(AppError::invalid(
            "host",
            format!(
                "'{host}' is under the platform domain '{base}'; system hosts come with provisioning"
            ),
        ));
    }
    let custom = tenant_domain::Entity::find()
        .filter(tenant_domain::Column::TenantId.eq(tenant.id()))
        .filter(tenant_domain::Column::App.eq(&app))
        .filter(tenant_domain::Column::Kind.eq(DomainKind::Custom))
        .one(db)
        .await?;
    let kind = match (alias, custom) {
        (false, Some(existing)) => {
            return Err(AppError::invalid(
                "host",
                format!(
                    "{app} of '{tenant_slug}' already has custom domain '{}'; add further hosts as aliases",
                    existing.host
                ),
            ));
        }
        (true, None) => {
            return Err(AppError::invalid(
                "alias",
                format!("{app} of '{tenant_slug}' has no custom domain to alias; add one first"),
            ));
        }
        (false, None) => DomainKind::Custom,
        (true, Some(_)) => DomainKind::Alias,
    };

    let txn = db.begin().await?;
    let domain = insert_verified(&txn, Uuid::now_v7(), tenant, app, host, kind)
        .await
        .map_err(|err| match err {
            AppError::Conflict(taken) => AppError::invalid("host", taken),
            err => err,
        })?;
    events::record(&txn, CacheEvent::HostsChanged).await?;
    let detail = format!(
        "{} was attached to {} (vouched for)",
        domain.host, domain.app
    );
    audit::record(&txn, tenant, actor, "domain.attached", detail).await?;
    txn.commit().await?;
    tracing::info!(tenant = %tenant.slug(), host = %domain.host, "domain added");
    Ok(domain)
}

/// Stores a verified domain row; a host already in use is a `Conflict` naming it. The caller
/// records `HostsChanged` in the same transaction.
pub(crate) async fn insert_verified(
    db: &impl ConnectionTrait,
    id: Uuid,
    tenant: &TenantContext,
    app: String,
    host: String,
    kind: DomainKind,
) -> Result<tenant_domain::Model, AppError> {
    verified_row(id, tenant.id(), app, host.clone(), kind)
        .insert(db)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => AppError::Conflict(format!("'{host}' is already in use")),
            false => e.into(),
        })
}

/// The row of a domain verified now (by construction, or by an operator).
pub fn verified_row(
    id: Uuid,
    tenant_id: Uuid,
    app: String,
    host: String,
    kind: DomainKind,
) -> tenant_domain::ActiveModel {
    let now = db::now();
    tenant_domain::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        app: Set(app),
        host: Set(host),
        kind: Set(kind),
        verified: Set(true),
        verified_at: Set(Some(now)),
        created_at: Set(now),
        auto_verified: Set(false),
        failed_checks: Set(0),
        checks: Set(None),
        checked_at: Set(None),
    }
}

/// A tenant's domains, by app, system host first.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
) -> Result<Vec<tenant_domain::Model>, AppError> {
    let mut rows = tenant_domain::Entity::find()
        .filter(tenant_domain::Column::TenantId.eq(tenant.id()))
        .order_by_asc(tenant_domain::Column::App)
        .order_by_asc(tenant_domain::Column::Host)
        .all(db)
        .await?;
    rows.sort_by(|a, b| {
        (&a.app, a.kind != DomainKind::System).cmp(&(&b.app, b.kind != DomainKind::System))
    });
    Ok(rows)
}

/// The catalog keys of a tenant's apps (those it has a system domain for), sorted.
pub async fn apps(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
) -> Result<Vec<String>, AppError> {
    let rows = tenant_domain::Entity::find()
        .filter(tenant_domain::Column::TenantId.eq(tenant.id()))
        .filter(tenant_domain::Column::Kind.eq(DomainKind::System))
        .order_by_asc(tenant_domain::Column::App)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| row.app).collect())
}

/// The verified hosts of one app of a tenant, system host first.
pub async fn verified_hosts(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    app: &str,
) -> Result<Vec<String>, AppError> {
    let mut rows = tenant_domain::Entity::find()
        .filter(tenant_domain::Column::TenantId.eq(tenant.id()))
        .filter(tenant_domain::Column::App.eq(app))
        .filter(tenant_domain::Column::Verified.eq(true))
        .order_by_asc(tenant_domain::Column::Host)
        .all(db)
        .await?;
    rows.sort_by_key(|row| row.kind != DomainKind::System);
    Ok(rows.into_iter().map(|row| row.host).collect())
}
