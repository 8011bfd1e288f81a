//! Field guards: who may call what, declared on the field, never checked in a resolver body.

use async_graphql::{Context, ErrorExtensions, Guard};

use super::context::principal;
use crate::auth::guard::require_role;
use crate::entities::account::Role;
use crate::error::AppError;

/// Admits callers holding `role` or a stronger one. Anonymous callers are `UNAUTHENTICATED`;
/// public keys and weaker roles are `FORBIDDEN`.
pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        require_role(principal(ctx), self.0).map_err(|e| e.extend())
    }
}

/// Admits any caller that names a tenant, public keys included.
pub struct TenantCallerGuard;

impl Guard for TenantCallerGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match principal(ctx).tenant {
            Some(_) => Ok(()),
            None => Err(AppError::unauthenticated(
                "credential_required",
                "send a public key (X-Api-Key: bpk_…) or sign in to use this field",
            )
            .extend()),
        }
    }
}

/// Admits API keys, and people only with a recent step-up (`POST /auth/elevate`): sensitive
/// changes need a re-proof, not just a token that may have been left in a browser.
pub struct ElevationGuard;

impl Guard for ElevationGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let principal = principal(ctx);
        let is_person = principal.account_id.is_some();
        let elevated = principal
            .elevation
            .as_ref()
            .is_some_and(|e| e.expires_at > crate::db::now());
        if is_person && !elevated {
            return Err(AppError::Forbidden {
                message: "this change needs a recent step-up: POST /auth/elevate, then retry with the new token".into(),
                reason: Some("ELEVATION_REQUIRED"),
            }
            .extend());
        }
        Ok(())
    }
}
