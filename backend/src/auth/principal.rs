//! The caller, as proven by its credential.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::entities::account::Role;
use crate::entities::api_key::KeyKind;
use crate::tenancy::context::TenantContext;

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
}
