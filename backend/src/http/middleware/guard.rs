//! The `/graphql` guard: identity headers out, the credential's principal in.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use crate::auth::api_key_format;
use crate::auth::principal::{CallerIp, Elevation, KeyRef, Principal};
use crate::db;
use crate::entities::account::Role;
use crate::entities::api_key::KeyKind;
use crate::entities::tenant::TenantStatus;
use crate::error::AppError;
use crate::http::client_ip;
use crate::services::invitations::PublicOrigin;
use crate::state::AppState;
use crate::tenancy::context::TenantContext;
use crate::tenancy::host::{self, RequestHost};
use crate::tenancy::resolver::Resolution;

/// Headers that name an identity. A client may send them; nothing ever reads what it sent.
pub const IDENTITY_HEADERS: [&str; 6] = [
    "x-tenant-id",
    "x-account-id",
    "x-session-id",
    "x-role",
    "x-partnership-id",
    "x-elevation-jti",
];
const API_KEY: HeaderName = HeaderName::from_static("x-api-key");
/// Set on every request and answer by the server, never taken from a client.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Removes every client-sent identity header (all values, any case) from every request, and any
/// `X-Request-Id`: request ids are ours, and one a client sent could forge or collide with
/// another's in the logs.
pub async fn strip_client_headers(mut req: Request, next: Next) -> Response {
    for name in IDENTITY_HEADERS {
        req.headers_mut().remove(name);
    }
    req.headers_mut().remove(REQUEST_ID);
    next.run(req).await
}

/// Builds the caller's [`Principal`] from its credential and hands it on; a credential that is
/// present and bad is refused here with 401, never treated as anonymous.
pub async fn authenticate(state: &AppState, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let peer = client_ip::peer(&parts);
    let caller_ip = peer.map(|peer| client_ip::client_ip(&parts.headers, peer, &state.config));
    let admitted = match principal(state, &parts.headers, caller_ip).await {
        Ok(principal) => within_limits(state, &principal, caller_ip)
            .await
            .map(|()| principal),
        Err(err) => Err(err),
    };
    match admitted {
        Ok(principal) => {
            parts.extensions.insert(principal);
            parts.extensions.insert(CallerIp(caller_ip));
            parts.extensions.insert(PublicOrigin {
                scheme: client_ip::scheme(&parts.headers, peer, &state.config),
                port: client_ip::public_port(&parts.headers, peer, &state.config),
            });
            next.run(Request::from_parts(parts, body)).await
        }
        Err(err) => refusal(err),
    }
}

/// The principal of `headers`' credential, counted against its limits as a request would be: what
/// a subscription's `connection_init` is held to.
pub async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    caller_ip: Option<std::net::IpAddr>,
) -> Result<Principal, AppError> {
    let principal = principal(state, headers, caller_ip).await?;
    within_limits(state, &principal, caller_ip).await?;
    Ok(principal)
}

/// The principal of `headers`' credential as it stands now, spending nothing: how an open
/// subscription checks that its credential still stands.
pub async fn still_admitted(
    state: &AppState,
    headers: &HeaderMap,
    caller_ip: Option<std::net::IpAddr>,
) -> Result<Principal, AppError> {
    principal(state, headers, caller_ip).await
}

/// Spends one request of `principal`'s budget, as a request with its credential would: what each
/// operation sent over a subscription socket costs.
pub async fn spend(
    state: &AppState,
    principal: &Principal,
    caller_ip: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    within_limits(state, principal, caller_ip).await
}

/// Counts the request against its key's limit, and against its tenant's when a secret key or a
/// member of the tenant makes it; a `USER` (who signed themselves up) counts against their own
/// account's budget, and a request without a credential or with a public key (which ships inside
/// apps, so anyone has it) against its client's address: neither spends the tenant's budget.
async fn within_limits(
    state: &AppState,
    principal: &Principal,
    caller_ip: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    if let Some(key) = &principal.api_key {
        state.limits.api_key(key.id).await?;
    }
    if let Some(tenant) = &principal.tenant {
        tracing::Span::current().record("tenant", tenant.slug());
    }
    match (&principal.tenant, principal.role, principal.account_id) {
        // Anyone can sign themselves up as a USER: such an account has a budget of its own.
        (Some(_), Some(Role::User), Some(account)) => state.limits.account(account).await,
        (Some(tenant), _, _) if !principal.is_public_key() => {
            state.limits.tenant(tenant.id(), tenant.rate_limit()).await
        }
        _ => state.limits.graphql_ip(caller_ip).await,
    }
}

/// The first credential present decides: `Authorization: Bearer`, then `X-Api-Key`.
async fn principal(
    state: &AppState,
    headers: &HeaderMap,
    caller_ip: Option<std::net::IpAddr>,
) -> Result<Principal, AppError> {
    if let Some(token) = bearer(headers)? {
        let verified = from_token(state, token).await;
        if verified.is_err() {
            // A refused token spends its client's anonymous budget, as a request without one
            // would: otherwise forged tokens would be the way around that budget.
            state.limits.graphql_ip(caller_ip).await?;
        }
        return verified;
    }
    if let Some(value) = headers.get(API_KEY) {
        let key = value
            .to_str()
            .map_err(|_| refused("malformed_credential", "X-Api-Key is malformed"))?
            .trim();
        let origin = headers
            .get(header::ORIGIN)
            .map(|v| v.to_str().unwrap_or("null"));
        return from_key(state, key, origin, caller_ip).await;
    }
    Ok(Principal::anonymous())
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case): `None` without the
/// header; refused as `malformed_credential` when it is not text or names another scheme. The one
/// reader of the header, for `/graphql` and the signed-in `/auth/*` steps alike.
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        refused(
            "malformed_credential",
            "Authorization header is not valid text",
        )
    })?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(token.trim())),
        _ => Err(refused(
            "malformed_credential",
            "Authorization must be `Bearer <token>`",
        )),
    }
}

/// The principal of a Bearer access token.
pub async fn from_token(state: &AppState, token: &str) -> Result<Principal, AppError> {
    let claims = state.tokens.verify(&state.db, token).await?;
    let tenant = active_tenant(state, claims.tid).await?;
    let account = state
        .directory
        .account(&state.db, claims.sub)
        .await?
        .filter(|account| account.tenant_id == tenant.id())
        .ok_or_else(|| refused("account_gone", "the token's account no longer exists"))?;
    let session_live = state
        .directory
        .session(&state.db, claims.sid)
        .await?
        .is_some_and(|s| {
            s.account_id == account.id && s.revoked_at.is_none() && s.expires_at > db::now()
        });
    if !session_live {
        return Err(refused("session_ended", "the token's session has ended"));
    }
    let now = db::now().timestamp();
    let elevation = claims
        .elev
        .as_ref()
        .filter(|elev| elev.exp > now)
        .and_then(|elev| {
            Some(Elevation {
                jti: elev.jti.clone(),
                expires_at: chrono::DateTime::from_timestamp(elev.exp, 0)?,
            })
        });
    Ok(Principal {
        // The account's current role: a change of role takes effect at once, not at expiry.
        role: Some(account.role),
        account_id: Some(account.id),
        account_email: Some(account.email.clone()),
        session_id: Some(claims.sid),
        partnership_id: claims.pid.clone(),
        elevation,
        api_key: None,
        tenant: Some(tenant),
    })
}

async fn from_key(
    state: &AppState,
    key: &str,
    origin: Option<&str>,
    caller_ip: Option<std::net::IpAddr>,
) -> Result<Principal, AppError> {
    api_key_format::parse(key).map_err(|err| refused("malformed_credential", &err.to_string()))?;
    // Reading a key not in memory costs a database read, and a key's checksum is public: made-up
    // keys are read only within their client's anonymous budget. A key in use stays in memory,
    // so this is spent about once a cache lifetime.
    let row = state
        .directory
        .api_key(
            &state.db,
            &api_key_format::hash(key),
            state.limits.graphql_ip(caller_ip),
        )
        .await?
        .ok_or_else(|| refused("unknown_key", "API key is not recognised"))?;
    if row.revoked_at.is_some() {
        return Err(refused("revoked_key", "API key has been revoked"));
    }
    if row.expires_at.is_some_and(|at| at <= db::now()) {
        return Err(refused("expired_key", "API key has expired"));
    }
    let tenant = active_tenant(state, row.tenant_id).await?;
    if row.kind == KeyKind::Public
        && let Some(origin) = origin
        && origin_tenant(state, origin).await? != Some(tenant.id())
    {
        return Err(refused(
            "origin_mismatch",
            &format!("public key is not valid for origin '{origin}'"),
        ));
    }
    state.key_usage.record(row.id);
    Ok(Principal {
        role: match row.kind {
            KeyKind::Secret => row.role,
            KeyKind::Public => None,
        },
        api_key: Some(KeyRef {
            id: row.id,
            name: row.name.clone(),
            kind: row.kind,
            app: row.app.clone(),
        }),
        tenant: Some(tenant),
        ..Principal::default()
    })
}

async fn active_tenant(state: &AppState, id: Uuid) -> Result<TenantContext, AppError> {
    let tenant = state
        .directory
        .tenant(&state.db, id)
        .await?
        .ok_or_else(|| {
            refused(
                "tenant_unavailable",
                "the credential's tenant does not exist",
            )
        })?;
    if tenant.status == TenantStatus::Suspended {
        return Err(refused(
            "tenant_unavailable",
            "the credential's tenant is suspended",
        ));
    }
    Ok(TenantContext::authenticated(&tenant))
}

/// The tenant whose verified host a browser `Origin` (`scheme://host[:port]`) names, if any.
pub async fn origin_tenant(state: &AppState, origin: &str) -> Result<Option<Uuid>, AppError> {
    let Some((_, authority)) = origin.split_once("://") else {
        return Ok(None);
    };
    let Ok(RequestHost::Name(name)) = host::normalise(authority) else {
        return Ok(None);
    };
    Ok(match state.resolver.resolve(&state.db, &name).await? {
        Resolution::Tenant(host) => Some(host.tenant.id()),
        Resolution::Suspended | Resolution::NotConfigured => None,
    })
}

fn refused(reason: &'static str, why: &str) -> AppError {
    AppError::unauthenticated(reason, why)
}

/// A GraphQL-shaped refusal (401 for a bad credential): the request was not executed.
fn refusal(err: AppError) -> Response {
    err.log();
    let body = json!({
        "data": null,
        "errors": [{ "message": err.to_string(), "extensions": { "code": err.code() } }],
    });
    let mut response = (err.status(), Json(body)).into_response();
    if err.status() == StatusCode::UNAUTHORIZED {
        let challenge = HeaderValue::from_static("Bearer");
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    err.mark(&mut response);
    response
}
