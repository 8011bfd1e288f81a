//! The caller, as proven by its credential.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::entities::account::Role;
use crate::entities::api_key::KeyKind;
use crate::error::AppError;
use crate::tenancy::context::{PlatformContext, TenantContext};

/// The API key a principal authenticated with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRef {
    pub id: Uuid,
    pub name: String,
    pub kind: KeyKind,
    pub app: Option<String>,
}

/// A recent re-proof of identity, carried by the access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elevation {
    pub jti: String,
    pub expires_at: DateTime<Utc>,
}

/// Everything downstream code may know about the caller. Built only by the guard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Principal {
    /// `None` for anonymous callers.
    pub tenant: Option<TenantContext>,
    /// `None` for anonymous callers and public keys.
    pub role: Option<Role>,
    pub account_id: Option<Uuid>,
    pub account_email: Option<String>,
    pub session_id: Option<Uuid>,
    pub partnership_id: Option<String>,
    pub elevation: Option<Elevation>,
    pub api_key: Option<KeyRef>,
}

impl Principal {
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn is_anonymous(&self) -> bool {
        self.tenant.is_none()
    }

    pub fn is_public_key(&self) -> bool {
        self.api_key
            .as_ref()
            .is_some_and(|key| key.kind == KeyKind::Public)
    }

    pub fn is_operator(&self) -> bool {
        self.role == Some(Role::Operator)
    }

    /// Leave to act across tenants, for an operator of the platform tenant (an account or a secret
    /// key, never a public key); `None` for anyone else.
    pub fn platform(&self) -> Option<PlatformContext> {
        let main = self.tenant.as_ref().is_some_and(TenantContext::is_main);
        (main && self.is_operator() && !self.is_public_key()).then(PlatformContext::operator)
    }
}

/// The client's address, for limits that count per client (anonymous and public-key callers).
#[derive(Clone, Copy, Debug)]
pub struct CallerIp(pub Option<std::net::IpAddr>);

/// A role required by a field, checked against the caller.
pub fn require_role(principal: &Principal, needed: Role) -> Result<(), AppError> {
    if principal.is_anonymous() {
        return Err(AppError::unauthenticated(
            "credential_required",
            "sign in or send an API key to use this field",
        ));
    }
    if principal.is_public_key() {
        return Err(AppError::forbidden(
            "public keys grant public operations only",
        ));
    }
    match principal.role {
        Some(role) if role.rank() >= needed.rank() => Ok(()),
        _ => Err(AppError::forbidden(format!(
            "this field needs the {} role",
            needed.as_str()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::tenant::{self, TenantStatus};
    use crate::tenancy::MAIN_SLUG;

    fn principal(slug: &str, role: Option<Role>, key: Option<KeyKind>) -> Principal {
        let tenant = tenant::Model {
            id: Uuid::now_v7(),
            slug: slug.into(),
            name: slug.into(),
            status: TenantStatus::Active,
            signup_enabled: false,
            rate_limit_per_minute: None,
            created_at: crate::db::now(),
            updated_at: crate::db::now(),
        };
        Principal {
            tenant: Some(TenantContext::authenticated(&tenant)),
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
        assert!(principal(MAIN_SLUG, operator, None).platform().is_some());
        let secret = Some(KeyKind::Secret);
        assert!(principal(MAIN_SLUG, operator, secret).platform().is_some());
        // The role on another tenant, through a public key, another role on main, no tenant:
        assert!(principal("acme", operator, None).platform().is_none());
        let public = Some(KeyKind::Public);
        assert!(principal(MAIN_SLUG, operator, public).platform().is_none());
        let admin = Some(Role::Admin);
        assert!(principal(MAIN_SLUG, admin, None).platform().is_none());
        assert!(Principal::anonymous().platform().is_none());
        let no_tenant = Principal {
            role: operator,
            ..Principal::default()
        };
        assert!(no_tenant.platform().is_none());
    }
}
