//! Host → (tenant, app), from verified `tenant_domains` rows, cached.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::cache::DbCache;
use crate::config::Config;
use crate::entities::tenant::{self, TenantStatus};
use crate::entities::tenant_domain;
use crate::error::AppError;
use crate::metrics::{Lookups, Metrics};
use crate::tenancy::MAIN_SLUG;
use crate::tenancy::context::TenantContext;
use crate::tenancy::known_hosts::KnownHosts;

/// The tenant a request's host belongs to, and the app that host serves.
#[derive(Clone, Debug)]
pub struct HostTenant {
    pub tenant: TenantContext,
    /// `None` on the platform's own hosts that serve no particular app (the base domain, `www`).
    pub app: Option<String>,
    /// The normalised host that was resolved.
    pub host: String,
}

/// What a host resolves to. All three are cached: a flood of unknown hosts is answered from memory.
#[derive(Clone, Debug)]
pub enum Resolution {
    Tenant(Arc<HostTenant>),
    /// The host is the tenant's, and the tenant is suspended.
    Suspended,
    /// No verified row: unknown, unverified, or never configured.
    NotConfigured,
}

pub struct Resolver {
    cache: DbCache<String, Resolution>,
    pub known: KnownHosts,
    /// The known-host filter's: a "hit" is a host it ruled out.
    known_lookups: Lookups,
    /// The base domain and its reserved subdomains: the `main` tenant's, with the app whose suffix
    /// the label is (`admin.` → the console), if any.
    platform_hosts: HashMap<String, Option<String>>,
}

impl Resolver {
    pub fn new(config: &Config, metrics: Arc<Metrics>) -> Self {
        let base = &config.tenancy.base_domain;
        let mut platform_hosts = HashMap::from([(base.clone(), None)]);
        for label in &config.tenancy.reserved_subdomains {
            let app = config
                .tenancy
                .apps
                .app_with_suffix(label)
                .map(str::to_owned);
            platform_hosts.insert(format!("{label}.{base}"), app);
        }
        Self {
            cache: DbCache::new(
                "hosts",
                metrics.clone(),
                config.tenancy.cache_capacity,
                config.tenancy.cache_ttl,
            ),
            known: KnownHosts::default(),
            known_lookups: metrics.cache_lookups("known_hosts"),
            platform_hosts,
        }
    }

    /// Resolves a normalised host name.
    pub async fn resolve(
        &self,
        db: &impl ConnectionTrait,
        host: &str,
    ) -> Result<Resolution, AppError> {
        if !self.platform_hosts.contains_key(host) {
            let ruled_out = self.known.rules_out(host);
            self.known_lookups.count(ruled_out);
            if ruled_out {
                return Ok(Resolution::NotConfigured);
            }
        }
        self.cache
            .get_or_load(host.to_owned(), || self.load(db, host))
            .await
    }

    /// The active tenant a slug names, as public discovery asks for it (uncached: discovery is
    /// rare, and limited per client).
    pub async fn resolve_slug(
        &self,
        db: &impl ConnectionTrait,
        slug: &str,
    ) -> Result<Option<TenantContext>, AppError> {
        let tenant = super::find_tenant(db, slug).await?;
        let active = tenant.filter(|t| t.status == TenantStatus::Active);
        Ok(active.as_ref().map(TenantContext::resolved))
    }

    /// Drops the resolutions of tenant `id`'s hosts (and every suspended one, which names no
    /// tenant): its status or limit changed, not which hosts route where.
    pub fn tenant_changed(&self, id: Uuid) {
        self.cache
            .invalidate_if(move |_, resolution| match resolution {
                Resolution::Tenant(host) => host.tenant.id() == id,
                Resolution::Suspended => true,
                Resolution::NotConfigured => false,
            });
    }

    /// Drops every cached resolution; the next look-up of each host reads the database.
    pub fn invalidate_all(&self) {
        self.known.mark_stale();
        self.cache.invalidate_all();
    }

    async fn load(&self, db: &impl ConnectionTrait, host: &str) -> Result<Resolution, AppError> {
        let found = match self.platform_hosts.get(host) {
            Some(app) => super::find_tenant(db, MAIN_SLUG)
                .await?
                .map(|tenant| (tenant, app.clone())),
            None => tenant_domain::Entity::find()
                .filter(tenant_domain::Column::Host.eq(host))
                .filter(tenant_domain::Column::Verified.eq(true))
                .find_also_related(tenant::Entity)
                .one(db)
                .await?
                .and_then(|(domain, tenant)| tenant.map(|t| (t, Some(domain.app)))),
        };
        Ok(match found {
            None => Resolution::NotConfigured,
            Some((tenant, _)) if tenant.status == TenantStatus::Suspended => Resolution::Suspended,
            Some((tenant, app)) => Resolution::Tenant(Arc::new(HostTenant {
                tenant: TenantContext::resolved(&tenant),
                app,
                host: host.to_owned(),
            })),
        })
    }
}
