//! The tenant a piece of work acts in ([`TenantContext`]), and the platform, for work that spans
//! tenants ([`PlatformContext`]).
//!
//! Every service that reads or writes one tenant's rows takes a `TenantContext` and filters by
//! its [`id`](TenantContext::id), so a query without the tenant cannot be written by passing the
//! wrong id: there is no id to pass. Its fields are private, and it is built only where the
//! request proved which tenant it acts in:
//! - the Host resolver, for a host that routes to the tenant, or the slug of an active tenant
//!   that public discovery asks about ([`TenantContext::resolved`], visible inside `tenancy`
//!   only);
//! - the credential guard, for a credential of the tenant ([`TenantContext::authenticated`], which
//!   needs a [`CredentialProof`] that only the guard can make);
//! - a [`PlatformContext`], for an operator naming a tenant with `tenantSlug`, the command line
//!   and background tasks ([`PlatformContext::tenant`]).
//!
//! A `PlatformContext` is made from an operator's principal, or by the process itself for the
//! command line, start-up and background tasks ([`PlatformContext::process`]; a test below
//! keeps the list of its callers).

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::auth::guard::CredentialProof;
use crate::auth::principal::Principal;
use crate::entities::tenant::{self, TenantStatus};
use crate::error::AppError;
use crate::services::tenants::{self, MAIN_SLUG};

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

    /// The tenant a request's host routes to.
    pub(in crate::tenancy) fn resolved(tenant: &tenant::Model) -> Self {
        Self::of(tenant)
    }

    /// The tenant of a credential the guard verified.
    pub fn authenticated(_: &CredentialProof, tenant: &tenant::Model) -> Self {
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
    /// An operator's: the caller is an account or secret key of the platform tenant with the
    /// `OPERATOR` role, as the guard proved it.
    pub fn of_operator(principal: &Principal) -> Option<Self> {
        let main = principal
            .tenant
            .as_ref()
            .is_some_and(TenantContext::is_main);
        (main && principal.is_operator() && !principal.is_public_key())
            .then_some(Self { _sealed: () })
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
        Ok(self.tenant(&tenants::get(db, slug).await?))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::auth::principal::KeyRef;
    use crate::entities::account::Role;
    use crate::entities::api_key::KeyKind;

    fn tenant(slug: &str) -> TenantContext {
        TenantContext::of(&tenant::Model {
            id: Uuid::now_v7(),
            slug: slug.into(),
            name: slug.into(),
            status: TenantStatus::Active,
            signup_enabled: false,
            rate_limit_per_minute: None,
            created_at: crate::db::now(),
            updated_at: crate::db::now(),
        })
    }

    fn principal(slug: &str, role: Option<Role>, key: Option<KeyKind>) -> Principal {
        Principal {
            tenant: Some(tenant(slug)),
            role,
            api_key: key.map(|kind| KeyRef {
                id: Uuid::now_v7(),
                name: "k".into(),
                kind,
                app: None,
            }),
            ..Principal::default()
        }
    }

    #[test]
    fn only_an_operator_of_the_platform_tenant_acts_across_tenants() {
        let operator = Some(Role::Operator);
        assert!(PlatformContext::of_operator(&principal(MAIN_SLUG, operator, None)).is_some());
        let key = Some(KeyKind::Secret);
        assert!(PlatformContext::of_operator(&principal(MAIN_SLUG, operator, key)).is_some());
        // The role alone, on another tenant, or through a public key, or another role on main:
        assert!(PlatformContext::of_operator(&principal("acme", operator, None)).is_none());
        let public = Some(KeyKind::Public);
        assert!(PlatformContext::of_operator(&principal(MAIN_SLUG, operator, public)).is_none());
        let admin = Some(Role::Admin);
        assert!(PlatformContext::of_operator(&principal(MAIN_SLUG, admin, None)).is_none());
        assert!(PlatformContext::of_operator(&Principal::anonymous()).is_none());
        let no_tenant = Principal {
            role: operator,
            ..Principal::default()
        };
        assert!(PlatformContext::of_operator(&no_tenant).is_none());
    }

    /// The files that may act for the platform without an operator's principal. A new caller of
    /// `PlatformContext::process` is a decision to be reviewed, and fails here until listed.
    const PROCESS_CALLERS: [&str; 4] = ["background.rs", "cli.rs", "lib.rs", "tenancy/context.rs"];

    fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }

    #[test]
    fn only_the_command_line_start_up_and_background_tasks_act_as_the_process() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let callers: Vec<String> = files
            .iter()
            .filter(|path| {
                std::fs::read_to_string(path)
                    .unwrap()
                    .contains("PlatformContext::process()")
            })
            .map(|path| {
                let relative = path.strip_prefix(&src).unwrap();
                relative.to_string_lossy().replace('\\', "/")
            })
            .collect();
        assert!(callers.len() > 1, "the scan found no callers: {callers:?}");
        for caller in &callers {
            assert!(
                PROCESS_CALLERS.contains(&caller.as_str()),
                "{caller} acts as the process (PlatformContext::process); list it here if it must"
            );
        }
    }
}
