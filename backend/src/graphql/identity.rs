//! The signed-in person's sessions, a tenant's sign-in settings, and its audit trail.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::{
    actor, connection, page_size, principal, state, tenant_scope, uuid, uuid_cursor,
};
use super::error::FieldResult;
use super::guards::RoleGuard;
use crate::entities::account::Role;
use crate::entities::{audit_event, passkey, session};
use crate::error::AppError;
use crate::services::{audit, devices, passkeys, sessions, tenants};
use crate::tenancy::context::TenantContext;

#[derive(Default)]
pub struct IdentityQuery;

#[derive(Default)]
pub struct IdentityMutation;

#[derive(SimpleObject)]
pub struct Session {
    pub id: ID,
    /// The app whose host the session began on.
    pub app: Option<String>,
    /// The browser and system the session began on, read from the `User-Agent` of its sign-in
    /// ("Chrome on macOS"), so its owner can tell it from their others. Only as true as that
    /// header; null when none was sent.
    pub device: Option<String>,
    /// The client address the session began from.
    pub ip_address: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Whether the request asking is made with this session.
    pub current: bool,
}

/// One of the signed-in person's passkeys.
#[derive(SimpleObject)]
pub struct Passkey {
    pub id: ID,
    /// What its owner called it at registration.
    pub name: String,
    /// The relying party it was made for: the app's system host.
    pub rp_id: String,
    pub created_at: DateTime<Utc>,
    /// When it last signed in or stepped up; null: never.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<passkey::Model> for Passkey {
    fn from(p: passkey::Model) -> Self {
        Passkey {
            id: ID(p.id.to_string()),
            name: p.name,
            rp_id: p.rp_id,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }
    }
}

/// The signed-in person's tenant and account.
fn own_account<'a>(
    ctx: &Context<'a>,
    what: &str,
) -> Result<(&'a TenantContext, uuid::Uuid), AppError> {
    let principal = principal(ctx);
    match (&principal.tenant, principal.account_id) {
        (Some(tenant), Some(account)) => Ok((tenant, account)),
        _ => Err(AppError::invalid(
            what,
            "API keys have no account; sign in as a person",
        )),
    }
}

#[derive(SimpleObject)]
pub struct AuditEvent {
    pub id: ID,
    pub kind: String,
    pub detail: String,
    /// The person who did it, when a person did.
    pub account_id: Option<ID>,
    /// The API key that did it, when a server did. Neither is set for the platform itself (the
    /// operator's CLI, the background re-check).
    pub api_key_id: Option<ID>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<audit_event::Model> for AuditEvent {
    fn from(e: audit_event::Model) -> Self {
        AuditEvent {
            id: ID(e.id.to_string()),
            kind: e.kind,
            detail: e.detail,
            account_id: e.account_id.map(|id| ID(id.to_string())),
            api_key_id: e.api_key_id.map(|id| ID(id.to_string())),
            ip: e.ip,
            created_at: e.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct TenantSettings {
    /// Whether an unknown address that proves its mailbox becomes a USER.
    pub signup_enabled: bool,
}

fn session_view(s: session::Model, current: Option<uuid::Uuid>) -> Session {
    Session {
        id: ID(s.id.to_string()),
        app: s.app,
        device: s.user_agent.as_deref().map(devices::name),
        ip_address: s.ip_address,
        created_at: s.created_at,
        expires_at: s.expires_at,
        current: Some(s.id) == current,
    }
}

#[Object]
impl IdentityQuery {
    /// The signed-in person's sessions that have not ended, newest first.
    #[graphql(guard = "RoleGuard(Role::User)")]
    async fn sessions(&self, ctx: &Context<'_>) -> FieldResult<Vec<Session>> {
        let (tenant, account) = own_account(ctx, "sessions")?;
        let current = principal(ctx).session_id;
        let rows = sessions::list(&state(ctx).db, tenant, account).await?;
        Ok(rows.into_iter().map(|s| session_view(s, current)).collect())
    }

    /// The signed-in person's passkeys, newest first.
    #[graphql(guard = "RoleGuard(Role::User)")]
    async fn passkeys(&self, ctx: &Context<'_>) -> FieldResult<Vec<Passkey>> {
        let (tenant, account) = own_account(ctx, "passkeys")?;
        let rows = passkeys::list(&state(ctx).db, tenant, account).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn tenant_settings(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
    ) -> FieldResult<TenantSettings> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let tenant = tenants::row(&state(ctx).db, &tenant).await?;
        Ok(TenantSettings {
            signup_enabled: tenants::signup_open(&tenant),
        })
    }

    /// Security events, newest first: sign-ins, failures, resets, step-ups, revocations.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> FieldResult<Connection<String, AuditEvent>> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let first = page_size(first)?;
        let cursor = uuid_cursor(after.as_ref())?;
        let (rows, more) = audit::page(&state(ctx).db, &tenant, first, cursor).await?;
        Ok(connection(rows, more, after.is_some(), |e| {
            (e.id.to_string(), e.into())
        }))
    }
}

#[Object]
impl IdentityMutation {
    /// Ends one of the signed-in person's own sessions.
    #[graphql(guard = "RoleGuard(Role::User)")]
    async fn revoke_session(&self, ctx: &Context<'_>, id: ID) -> FieldResult<ID> {
        let state = state(ctx);
        let (tenant, account) = own_account(ctx, "id")?;
        let session = uuid("id", &id)?;
        // Ending an ended session writes, announces and records nothing.
        sessions::revoke(&state.db, tenant, account, session, &actor(ctx)).await?;
        Ok(id)
    }

    /// Removes one of the signed-in person's passkeys; it never signs in again. Needs a recent
    /// step-up. Returns the removed passkey's id.
    #[graphql(guard = "RoleGuard(Role::User)")]
    async fn remove_passkey(&self, ctx: &Context<'_>, id: ID) -> FieldResult<ID> {
        let state = state(ctx);
        let (tenant, account) = own_account(ctx, "id")?;
        let passkey = uuid("id", &id)?;
        passkeys::remove(&state.db, tenant, account, passkey, &actor(ctx)).await?;
        Ok(id)
    }

    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn update_tenant_settings(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        signup_enabled: bool,
    ) -> FieldResult<TenantSettings> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let (tenant, _) =
            tenants::set_signup(&state.db, &tenant, signup_enabled, &actor(ctx)).await?;
        Ok(TenantSettings {
            signup_enabled: tenant.signup_enabled,
        })
    }
}
