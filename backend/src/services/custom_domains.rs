//! Custom domains a tenant attaches itself: claimed, proven, verified, kept healthy, removed.
//! A claim routes nothing; it becomes a routing domain row only when every check passes, and then
//! every other tenant's claim on the host is dropped.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use crate::auth::secrets;
use crate::cache::events::{self, CacheEvent};
use crate::config::Config;
use crate::db;
use crate::entities::domain_claim;
use crate::entities::tenant;
use crate::entities::tenant_domain::{self, DomainKind};
use crate::error::{AppError, is_unique_violation};
use crate::services::audit::{self, Actor};
use crate::services::domain_checks::{self, CheckResult, DomainChecker};
use crate::services::domains;
use crate::tenancy::context::{PlatformContext, TenantContext};
use crate::tenancy::host;

/// A custom domain as its tenant sees it: routing or not, and why.
#[derive(Clone, Debug)]
pub struct CustomDomain {
    pub id: Uuid,
    pub app: String,
    pub host: String,
    pub kind: DomainKind,
    pub verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    /// The TXT value that proves the claim (pending claims only).
    pub ownership_token: Option<String>,
    pub checks: Vec<CheckResult>,
    pub checked_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<domain_claim::Model> for CustomDomain {
    fn from(claim: domain_claim::Model) -> Self {
        CustomDomain {
            id: claim.id,
            app: claim.app,
            host: claim.host,
            kind: if claim.alias {
                DomainKind::Alias
            } else {
                DomainKind::Custom
            },
            verified: false,
            verified_at: None,
            ownership_token: Some(claim.token),
            checks: parse_checks(claim.checks.as_deref()),
            checked_at: claim.checked_at,
            expires_at: Some(claim.expires_at),
        }
    }
}

impl From<tenant_domain::Model> for CustomDomain {
    fn from(row: tenant_domain::Model) -> Self {
        CustomDomain {
            id: row.id,
            app: row.app,
            host: row.host,
            kind: row.kind,
            verified: row.verified,
            verified_at: row.verified_at,
            ownership_token: None,
            checks: parse_checks(row.checks.as_deref()),
            checked_at: row.checked_at,
            expires_at: None,
        }
    }
}

fn parse_checks(json: Option<&str>) -> Vec<CheckResult> {
    json.and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}

fn to_json(checks: &[CheckResult]) -> Result<String, AppError> {
    serde_json::to_string(checks).map_err(AppError::internal)
}

/// Claims `host` for a tenant's app. It must be a valid name outside the platform's domain, not an
/// address, not verified for anyone; one custom domain per app, aliases beside it.
pub async fn claim<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    config: &Config,
    tenant: &TenantContext,
    app: &str,
    raw_host: &str,
    alias: bool,
    actor: &Actor,
) -> Result<CustomDomain, AppError> {
    let app = config.tenancy.apps.check("app", app)?;
    let host = host::normalise_name(raw_host)
        .map_err(|_| AppError::invalid("host", format!("'{raw_host}' is not a valid host name")))?;
    if !host.contains('.') {
        return Err(AppError::invalid(
            "host",
            format!("'{host}' is not a public name: give the full name, like rides.example.com"),
        ));
    }
    let base = &config.tenancy.base_domain;
    if host == *base || host.ends_with(&format!(".{base}")) {
        return Err(AppError::invalid(
            "host",
            format!("'{host}' is under the platform domain '{base}'"),
        ));
    }
    let routing = tenant_domain::Entity::find()
        .filter(tenant_domain::Column::Host.eq(&host))
        .one(db)
        .await?;
    if let Some(row) = routing {
        let whose = if row.tenant_id == tenant.id() {
            "this tenant"
        } else {
            "another tenant"
        };
        return Err(AppError::invalid(
            "host",
            format!("'{host}' is already attached to {whose}"),
        ));
    }
    let mine = |kind: DomainKind| {
        tenant_domain::Entity::find()
            .filter(tenant_domain::Column::TenantId.eq(tenant.id()))
            .filter(tenant_domain::Column::App.eq(&app))
            .filter(tenant_domain::Column::Kind.eq(kind))
            .one(db)
    };
    let pending_custom = domain_claim::Entity::find()
        .filter(domain_claim::Column::TenantId.eq(tenant.id()))
        .filter(domain_claim::Column::App.eq(&app))
        .filter(domain_claim::Column::Alias.eq(false))
        .filter(domain_claim::Column::ExpiresAt.gt(db::now()))
        .one(db)
        .await?;
    let has_custom = mine(DomainKind::Custom).await?.is_some() || pending_custom.is_some();
    match (alias, has_custom) {
        (false, true) => {
            return Err(AppError::invalid(
                "host",
                format!("{app} already has a custom domain; add further hosts as aliases"),
            ));
        }
        (true, false) => {
            return Err(AppError::invalid(
                "alias",
                format!("{app} has no custom domain to alias; add one first"),
            ));
        }
        _ => {}
    }
    let ttl = chrono::Duration::from_std(config.domains.claim_ttl).map_err(AppError::internal)?;
    let txn = db.begin().await?;
    let claim = domain_claim::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.id()),
        app: Set(app),
        host: Set(host.clone()),
        alias: Set(alias),
        token: Set(secrets::random_token("tenantry-verify=")),
        checks: Set(None),
        checked_at: Set(None),
        created_at: Set(db::now()),
        expires_at: Set(db::now() + ttl),
    }
    .insert(&txn)
    .await
    .map_err(|e| match is_unique_violation(&e) {
        true => AppError::invalid(
            "host",
            format!("'{host}' is already claimed by this tenant"),
        ),
        false => e.into(),
    })?;
    let what = if alias {
        "an alias"
    } else {
        "the custom domain"
    };
    let detail = format!("{host} was claimed as {what} of {}", claim.app);
    audit::record(&txn, tenant, actor, "domain.claimed", detail).await?;
    txn.commit().await?;
    Ok(claim.into())
}

/// The tenant's hosts (system, custom and alias) and live claims, by app, system host first.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
) -> Result<Vec<CustomDomain>, AppError> {
    let rows = tenant_domain::Entity::find()
        .filter(tenant_domain::Column::TenantId.eq(tenant.id()))
        .all(db)
        .await?;
    let claims = domain_claim::Entity::find()
        .filter(domain_claim::Column::TenantId.eq(tenant.id()))
        .filter(domain_claim::Column::ExpiresAt.gt(db::now()))
        .order_by_asc(domain_claim::Column::Host)
        .all(db)
        .await?;
    let mut all: Vec<CustomDomain> = rows
        .into_iter()
        .map(Into::into)
        .chain(claims.into_iter().map(Into::into))
        .collect();
    all.sort_by(|a, b| {
        let key = |d: &CustomDomain| (d.app.clone(), d.kind != DomainKind::System, d.host.clone());
        key(a).cmp(&key(b))
    });
    Ok(all)
}

/// Runs the checks for a claim (and verifies it when all pass) or for an attached domain (which
/// a failure here never unroutes: only the background re-check does, after repeated failures,
/// and then the domain is a claim again).
pub async fn verify<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    config: &Config,
    checker: &DomainChecker,
    tenant: &TenantContext,
    id: Uuid,
    actor: &Actor,
) -> Result<CustomDomain, AppError> {
    if let Some(claim) = live_claim(db, tenant, id).await? {
        let token = config
            .domains
            .check_ownership
            .then_some(claim.token.as_str());
        let checks = checker.run(&claim.host, token).await;
        if !domain_checks::all_passed(&checks) {
            let txn = db.begin().await?;
            let detail = format!("{} failed its checks and does not route", claim.host);
            let mut active: domain_claim::ActiveModel = claim.into();
            active.checks = Set(Some(to_json(&checks)?));
            active.checked_at = Set(Some(db::now()));
            let claim = active.update(&txn).await?;
            audit::record(&txn, tenant, actor, "domain.check_failed", detail).await?;
            txn.commit().await?;
            return Ok(claim.into());
        }
        return promote(db, tenant, claim, &checks, actor).await;
    }
    let row = attached(db, tenant, id).await?;
    let checks = checker.run(&row.host, None).await;
    if !row.verified && row.auto_verified {
        // Unrouted by a re-check of an older version, which kept the row: a claim like any other
        // lapsed domain, which must prove ownership again.
        let txn = db.begin().await?;
        let claim = lapse(&txn, config, row, &checks).await?;
        txn.commit().await?;
        return Ok(claim.into());
    }
    let passed = domain_checks::all_passed(&checks);
    let (kind, detail) = match passed {
        true => ("domain.checked", format!("{} passed its checks", row.host)),
        false => (
            "domain.check_failed",
            format!("{} failed its checks", row.host),
        ),
    };
    let mut active: tenant_domain::ActiveModel = row.into();
    active.checks = Set(Some(to_json(&checks)?));
    active.checked_at = Set(Some(db::now()));
    if passed {
        active.failed_checks = Set(0);
    }
    let txn = db.begin().await?;
    let row = active.update(&txn).await?;
    audit::record(&txn, tenant, actor, kind, detail).await?;
    txn.commit().await?;
    Ok(row.into())
}

/// A claim that passed: it becomes a routing row, and every claim on the host (anyone's) goes.
async fn promote<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    claim: domain_claim::Model,
    checks: &[CheckResult],
    actor: &Actor,
) -> Result<CustomDomain, AppError> {
    let kind = if claim.alias {
        DomainKind::Alias
    } else {
        DomainKind::Custom
    };
    let txn = db.begin().await?;
    // The claim's id carries over: clients keep the id they were given.
    let row = domains::insert_verified(
        &txn,
        claim.id,
        tenant,
        claim.app.clone(),
        claim.host.clone(),
        kind,
    )
    .await
    .map_err(|err| match err {
        AppError::Conflict(_) => AppError::invalid(
            "host",
            format!("'{}' was verified by another tenant first", claim.host),
        ),
        err => err,
    })?;
    let mut active: tenant_domain::ActiveModel = row.into();
    active.auto_verified = Set(true);
    active.checks = Set(Some(to_json(checks)?));
    active.checked_at = Set(Some(db::now()));
    let row = active.update(&txn).await?;
    domain_claim::Entity::delete_many()
        .filter(domain_claim::Column::Host.eq(&claim.host))
        .exec(&txn)
        .await?;
    events::record(&txn, CacheEvent::HostsChanged).await?;
    let detail = format!("{} now routes to {}", row.host, row.app);
    audit::record(&txn, tenant, actor, "domain.verified", detail).await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Removes a claim or an attached custom domain (system domains stay); routing stops at once.
pub async fn remove<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    id: Uuid,
    actor: &Actor,
) -> Result<(), AppError> {
    let txn = db.begin().await?;
    if let Some(claim) = live_claim(&txn, tenant, id).await? {
        let detail = format!("the claim on {} was withdrawn", claim.host);
        claim.delete(&txn).await?;
        audit::record(&txn, tenant, actor, "domain.claim_removed", detail).await?;
        txn.commit().await?;
        return Ok(());
    }
    let row = attached(&txn, tenant, id).await?;
    let detail = format!("{} was removed", row.host);
    row.delete(&txn).await?;
    events::record(&txn, CacheEvent::HostsChanged).await?;
    audit::record(&txn, tenant, actor, "domain.removed", detail).await?;
    txn.commit().await?;
    Ok(())
}

/// Removes the tenant's custom domain, alias or live claim named `host` (the CLI names domains by
/// host, the API by id): the same rules as [`remove`]. A system domain is refused, not removed.
pub async fn remove_host<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    host: &str,
    actor: &Actor,
) -> Result<String, AppError> {
    let host = host::normalise_name(host)
        .map_err(|_| AppError::invalid("host", format!("'{host}' is not a valid host name")))?;
    let row = tenant_domain::Entity::find()
        .filter(tenant_domain::Column::TenantId.eq(tenant.id()))
        .filter(tenant_domain::Column::Host.eq(&host))
        .one(db)
        .await?;
    let id = match row {
        Some(row) if row.kind == DomainKind::System => {
            return Err(AppError::invalid(
                "host",
                format!("{host} is a system domain: it goes only with its tenant"),
            ));
        }
        Some(row) => row.id,
        None => domain_claim::Entity::find()
            .filter(domain_claim::Column::TenantId.eq(tenant.id()))
            .filter(domain_claim::Column::Host.eq(&host))
            .filter(domain_claim::Column::ExpiresAt.gt(db::now()))
            .one(db)
            .await?
            .map(|claim| claim.id)
            .ok_or_else(|| AppError::NotFound(format!("no custom domain {host} on this tenant")))?,
    };
    remove(db, tenant, id, actor).await?;
    Ok(host)
}

/// Re-checks every domain the checks verified (not the ones operators attached): DNS and the
/// probes, ownership having been proven once. One failure changes nothing; `domain_recheck_failures`
/// consecutive failures take the domain away: it goes back to being a claim (see [`lapse`]).
pub async fn recheck_all<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    config: &Config,
    checker: &DomainChecker,
    platform: &PlatformContext,
) -> Result<(), AppError> {
    domain_claim::Entity::delete_many()
        .filter(domain_claim::Column::ExpiresAt.lte(db::now()))
        .exec(db)
        .await?;
    let rows = tenant_domain::Entity::find()
        .filter(tenant_domain::Column::AutoVerified.eq(true))
        .filter(tenant_domain::Column::Verified.eq(true))
        .find_also_related(tenant::Entity)
        .all(db)
        .await?;
    for (row, tenant) in rows {
        let Some(tenant) = tenant.map(|t| platform.tenant(&t)) else {
            continue;
        };
        let checks = checker.run(&row.host, None).await;
        let passed = domain_checks::all_passed(&checks);
        let failures = if passed { 0 } else { row.failed_checks + 1 };
        if failures >= config.domains.recheck_failures {
            let host = row.host.clone();
            let reason = checks
                .iter()
                .find(|c| !c.passed)
                .map(|c| c.reason.clone())
                .unwrap_or_default();
            let detail = format!(
                "{host} stopped routing after {failures} failed checks: {reason}; it is a claim again and must prove ownership anew"
            );
            let txn = db.begin().await?;
            lapse(&txn, config, row, &checks).await?;
            events::record(&txn, CacheEvent::HostsChanged).await?;
            audit::record(&txn, &tenant, &Actor::PLATFORM, "domain.unverified", detail).await?;
            txn.commit().await?;
            continue;
        }
        let mut active: tenant_domain::ActiveModel = row.into();
        active.checks = Set(Some(to_json(&checks)?));
        active.checked_at = Set(Some(db::now()));
        active.failed_checks = Set(failures);
        active.update(db).await?;
    }
    Ok(())
}

/// A domain that stopped answering is no longer the tenant's: whoever controls the name now may
/// be someone else (an expired registration, a dangling CNAME). The routing row goes and a claim
/// takes its place, with the same id, a new ownership token and a fresh lifetime; it routes again
/// only after the TXT check passes anew, and meanwhile another tenant may claim and verify the
/// host (whose verification removes this claim).
async fn lapse(
    txn: &impl ConnectionTrait,
    config: &Config,
    row: tenant_domain::Model,
    checks: &[CheckResult],
) -> Result<domain_claim::Model, AppError> {
    let ttl = chrono::Duration::from_std(config.domains.claim_ttl).map_err(AppError::internal)?;
    let claim = domain_claim::ActiveModel {
        id: Set(row.id),
        tenant_id: Set(row.tenant_id),
        app: Set(row.app.clone()),
        host: Set(row.host.clone()),
        alias: Set(row.kind == DomainKind::Alias),
        token: Set(secrets::random_token("tenantry-verify=")),
        checks: Set(Some(to_json(checks)?)),
        checked_at: Set(Some(db::now())),
        created_at: Set(db::now()),
        expires_at: Set(db::now() + ttl),
    };
    row.delete(txn).await?;
    Ok(claim.insert(txn).await?)
}

async fn live_claim(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    id: Uuid,
) -> Result<Option<domain_claim::Model>, AppError> {
    Ok(domain_claim::Entity::find_by_id(id)
        .filter(domain_claim::Column::TenantId.eq(tenant.id()))
        .filter(domain_claim::Column::ExpiresAt.gt(db::now()))
        .one(db)
        .await?)
}

/// An attached custom or alias domain of the tenant; system domains and other tenants' are not
/// found.
async fn attached(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    id: Uuid,
) -> Result<tenant_domain::Model, AppError> {
    tenant_domain::Entity::find_by_id(id)
        .filter(tenant_domain::Column::TenantId.eq(tenant.id()))
        .filter(tenant_domain::Column::Kind.ne(DomainKind::System))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("custom domain not found".into()))
}
