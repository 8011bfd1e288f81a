//! Field guards: who may call what, declared on the field, never checked in a resolver body.

use async_graphql::{Context, Guard};

use super::context::principal;
use super::error::graphql_error;
use crate::auth::principal::require_role;
use crate::entities::account::Role;
use crate::error::AppError;

/// Admits callers holding `role` or a stronger one. Anonymous callers are `UNAUTHENTICATED`;
/// public keys and weaker roles are `FORBIDDEN`.
pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        require_role(principal(ctx), self.0).map_err(graphql_error)
    }
}

/// Admits any caller that names a tenant, public keys included.
pub struct TenantCallerGuard;

impl Guard for TenantCallerGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match principal(ctx).tenant {
            Some(_) => Ok(()),
            None => Err(graphql_error(AppError::unauthenticated(
                "credential_required",
                "send a public key (X-Api-Key: bpk_…) or sign in to use this field",
            ))),
        }
    }
}
