//! The tenant a piece of work acts in ([`TenantContext`]), and the platform, for work that spans
//! tenants ([`PlatformContext`]).
//!
//! Every service that reads or writes one tenant's rows takes a `TenantContext` and filters by
//! its [`id`](TenantContext::id), so a query without the tenant cannot be written by passing the
//! wrong id: there is no id to pass. Its fields are private, and it is built only where the
//! request proved which tenant it acts in:
//! - the Host resolver, for a host that routes to the tenant, or the slug of an active tenant
//!   that public discovery asks about ([`TenantContext::resolved`]);
//! - the credential guard, for a verified credential of the tenant
//!   ([`TenantContext::authenticated`]);
//! - a [`PlatformContext`], for an operator naming a tenant with `tenantSlug`, for the command line
//!   and for background tasks ([`PlatformContext::tenant`]).
//!
//! A `PlatformContext` is made from a principal the guard proved to be an operator of the
//! platform tenant ([`PlatformContext::operator`]), or by the process itself for the command
//! line, start-up and background tasks ([`PlatformContext::process`]).
//!
//! Which file may call each constructor is listed in the test below, which fails on any other
//! caller: a new one is a decision to be reviewed, not a line slipped into a handler.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::entities::tenant::{self, TenantStatus};
use crate::error::AppError;
use crate::tenancy::MAIN_SLUG;

/// One tenant, as the request proved it. Cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantContext {
    id: Uuid,
    slug: String,
    name: String,
    status: TenantStatus,
    rate_limit: Option<u32>,
}

impl TenantContext {
    fn of(tenant: &tenant::Model) -> Self {
        Self {
            id: tenant.id,
            slug: tenant.slug.clone(),
            name: tenant.name.clone(),
            status: tenant.status,
            rate_limit: tenant
                .rate_limit_per_minute
                .and_then(|n| u32::try_from(n).ok()),
        }
    }

    /// The tenant a request's host routes to (the Host resolver only).
    pub(crate) fn resolved(tenant: &tenant::Model) -> Self {
        Self::of(tenant)
    }

    /// The tenant of a credential the guard verified (the guard only).
    pub(crate) fn authenticated(tenant: &tenant::Model) -> Self {
        Self::of(tenant)
    }

    pub fn id(&self) -> Uuid {
        self.id
    }

    pub fn slug(&self) -> &str {
        &self.slug
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn status(&self) -> TenantStatus {
        self.status
    }

    /// The tenant's own request limit per minute, if operators set one.
    pub fn rate_limit(&self) -> Option<u32> {
        self.rate_limit
    }

    /// The platform's own tenant (`main`), whose accounts may be operators.
    pub fn is_main(&self) -> bool {
        self.slug == MAIN_SLUG
    }
}

/// Leave to act across tenants: operator listings and changes, provisioning, the background
/// re-check, the command line.
#[derive(Clone, Debug)]
pub struct PlatformContext {
    _sealed: (),
}

impl PlatformContext {
    /// An operator's: the caller of a principal the guard proved to be an operator of the
    /// platform tenant (see `Principal::platform`).
    pub(crate) fn operator() -> Self {
        Self { _sealed: () }
    }

    /// The process's own: the command line, start-up (the demo seed, the first operator) and
    /// background tasks act for the platform, with the database the operator gave them.
    pub fn process() -> Self {
        Self { _sealed: () }
    }

    /// Acts in `tenant`.
    pub fn tenant(&self, tenant: &tenant::Model) -> TenantContext {
        TenantContext::of(tenant)
    }

    /// Acts in the tenant with `slug`, or `NOT_FOUND`.
    pub async fn tenant_by_slug(
        &self,
        db: &impl ConnectionTrait,
        slug: &str,
    ) -> Result<TenantContext, AppError> {
        Ok(self.tenant(&crate::tenancy::tenant_by_slug(db, slug).await?))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Each constructor of a context, and the only files that may call it.
    const CALLERS: [(&str, &[&str]); 4] = [
        ("TenantContext::resolved", &["tenancy/resolver.rs"]),
        (
            "TenantContext::authenticated",
            &["http/middleware/guard.rs"],
        ),
        ("PlatformContext::operator", &["auth/principal.rs"]),
        ("PlatformContext::process", &["background.rs", "cli.rs"]),
    ];

    #[test]
    fn contexts_are_made_only_where_the_tenant_is_proven() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let files = crate::layers::rust_files(&src);
        for (constructor, allowed) in CALLERS {
            let callers: Vec<String> = files
                .iter()
                .map(|path| {
                    let relative = path.strip_prefix(&src).unwrap();
                    (relative.to_string_lossy().replace('\\', "/"), path)
                })
                .filter(|(relative, _)| relative != "tenancy/context.rs")
                // Unit tests build what they test; the scan reads the code they test.
                .filter(|(_, path)| crate::layers::code_of(path).contains(constructor))
                .map(|(relative, _)| relative)
                .collect();
            assert!(
                !callers.is_empty(),
                "the scan found no caller of {constructor}"
            );
            for caller in &callers {
                assert!(
                    allowed.contains(&caller.as_str()),
                    "{caller} calls {constructor}; only {allowed:?} may (list it in CALLERS if it must)"
                );
            }
        }
    }
}
