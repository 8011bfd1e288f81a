//! What resolvers take from the request context: the state, the caller, and the tenant a
//! tenant-scoped field acts on.

use std::sync::LazyLock;

use async_graphql::{Context, ID};
use uuid::Uuid;

use crate::auth::principal::CallerIp;
use crate::auth::principal::Principal;
use crate::error::AppError;
use crate::services::audit::Actor;
use crate::state::AppState;
use crate::tenancy::context::{PlatformContext, TenantContext};

static ANONYMOUS: LazyLock<Principal> = LazyLock::new(Principal::anonymous);

pub fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The caller as the guard proved it; anonymous when the schema runs without the guard (SDL export).
pub fn principal<'a>(ctx: &Context<'a>) -> &'a Principal {
    ctx.data_opt::<Principal>().unwrap_or(&ANONYMOUS)
}

/// Who a mutation's audit event names: the signed-in person or the API key, and the client
/// address.
pub fn actor(ctx: &Context<'_>) -> Actor {
    let principal = principal(ctx);
    Actor {
        account: principal.account_id,
        key: principal.api_key.as_ref().map(|key| key.id),
        ip: ctx.data_opt::<CallerIp>().and_then(|CallerIp(ip)| *ip),
    }
}

/// The tenant a tenant-scoped field acts on: the caller's own, or, for operators only, the one
/// named by `tenantSlug`.
pub async fn tenant_scope(
    ctx: &Context<'_>,
    tenant_slug: Option<String>,
) -> Result<TenantContext, AppError> {
    let principal = principal(ctx);
    let own = principal.tenant.as_ref().ok_or_else(|| {
        AppError::unauthenticated(
            "credential_required",
            "sign in or send an API key to use this field",
        )
    })?;
    let Some(slug) = tenant_slug else {
        return Ok(own.clone());
    };
    let platform = principal
        .platform()
        .ok_or_else(|| AppError::forbidden("tenantSlug is honoured for operators only"))?;
    platform.tenant_by_slug(&state(ctx).db, &slug).await
}

/// Leave to act across tenants, for an operator; `FORBIDDEN` for anyone else.
pub fn platform(ctx: &Context<'_>) -> Result<PlatformContext, AppError> {
    principal(ctx)
        .platform()
        .ok_or_else(|| AppError::forbidden("this field needs the OPERATOR role"))
}

/// A GraphQL `ID` as the UUID it must be.
pub fn uuid(field: &str, id: &ID) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::invalid(field, "is not a valid id"))
}

/// `first` of a connection: 20 when absent, 1 to 100 when given.
pub fn page_size(first: Option<i32>) -> Result<u64, AppError> {
    match first {
        None => Ok(20),
        Some(n @ 1..=100) => Ok(n as u64),
        Some(_) => Err(AppError::invalid("first", "must be between 1 and 100")),
    }
}

/// A Relay connection over one page of rows, each with its cursor.
pub fn connection<R, N: async_graphql::OutputType>(
    rows: Vec<R>,
    more: bool,
    after: bool,
    edge: impl Fn(R) -> (String, N),
) -> async_graphql::connection::Connection<String, N> {
    let mut connection = async_graphql::connection::Connection::new(after, more);
    connection.edges.extend(rows.into_iter().map(|row| {
        let (cursor, node) = edge(row);
        async_graphql::connection::Edge::new(cursor, node)
    }));
    connection
}

/// An `after` cursor that names a row by its UUID.
pub fn uuid_cursor(after: Option<&String>) -> Result<Option<Uuid>, AppError> {
    after.map(|a| uuid("after", &ID(a.clone()))).transpose()
}
