//! `/auth/*`: signing in before any credential exists, so the tenant comes from the host. What they
//! hand out at the end is the access token `/graphql` accepts.
//!
//! One module per flow: [`email`] (codes), [`password`] (sign-in and reset), [`session`] (refresh,
//! logout, step-up) and [`passkey`]; what they share is here.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::principal::Principal;
use crate::entities::account;
use crate::error::AppError;
use crate::http::host_tenant::FromHost;
use crate::http::middleware::guard;
use crate::rate_limit::SignInStep;
use crate::services::devices::UserAgent;
use crate::services::identity::Identity;
use crate::services::{accounts, email_codes};
use crate::state::AppState;
use crate::tenancy::context::TenantContext;

mod email;
mod passkey;
mod password;
mod session;

pub use self::email::*;
pub use self::passkey::*;
pub use self::password::*;
pub use self::session::*;

/// The OAuth 2.0 token response (RFC 6749 §5.1) the sign-in routes send: the schema of
/// [`crate::services::sessions::TokenResponse`].
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TokenResponse {
    access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    token_type: String,
    expires_in: u64,
    refresh_token: String,
}

/// Every sign-in step under `/auth`, each with a small body.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(email_start))
        .routes(routes!(email_verify))
        .routes(routes!(password_login))
        .routes(routes!(reset_start))
        .routes(routes!(reset_finish))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(elevate))
        .routes(routes!(passkey_register_start))
        .routes(routes!(passkey_register_finish))
        .routes(routes!(passkey_login_start))
        .routes(routes!(passkey_login_finish))
        .layer(crate::http::small_body())
}

// Bodies are read with every field optional, so a missing one is a 422 naming it; the schemas say
// which ones are required.

/// An address to send a code, a reset link or a passkey challenge for.
#[derive(Deserialize, ToSchema)]
pub struct EmailStart {
    #[schema(value_type = String, required = true, format = "email")]
    email: Option<String>,
}

/// The answer of the routes that may send mail: the same whether or not the address is known.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    #[schema(value_type = String, example = "accepted")]
    status: &'static str,
    #[schema(value_type = String)]
    detail: &'static str,
}

fn required(field: &str, value: Option<String>) -> Result<String, AppError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| AppError::invalid(field, "is required"))
}

/// The same answer whether or not the address can sign in here.
fn accepted() -> Response {
    let body = Accepted {
        status: "accepted",
        detail: "If this address can sign in here, a message is on its way.",
    };
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

/// The identity use-cases, on this server's database, keys and hashing.
/// Spends one sign-in step that names `email` on `tenant`'s host: a request of its client's
/// budget, and one of the address's budget for this kind of step (every spelling that reaches
/// one account counts as that account's address).
async fn spend_step(
    state: &AppState,
    tenant: &TenantContext,
    ip: Option<std::net::IpAddr>,
    email: &str,
    step: SignInStep,
) -> Result<(), AppError> {
    let address = email_codes::budget_key(email);
    state
        .limits
        .sign_in(ip, tenant.id(), Some((&address, step)))
        .await
}

fn identity(state: &AppState) -> Identity<'_> {
    Identity {
        db: &state.db,
        config: &state.config,
        tokens: &state.tokens,
        passwords: &state.passwords,
    }
}

fn token_response(body: &impl Serialize) -> Response {
    // RFC 6749 §5.1: token responses are never cached.
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// The `User-Agent` a sign-in came with, cleaned and bounded: the new session keeps it to name
/// its device to its owner. Bytes outside visible ASCII are read leniently rather than refused.
pub struct ClientAgent(pub Option<UserAgent>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAgent {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let sent = parts.headers.get(header::USER_AGENT);
        let text = sent.map(|value| String::from_utf8_lossy(value.as_bytes()));
        Ok(ClientAgent(text.and_then(|text| UserAgent::parse(&text))))
    }
}

/// A signed-in person on one of their own tenant's hosts: a Bearer token of another tenant is
/// refused here just as on `/graphql`.
pub struct SignedIn {
    pub principal: Principal,
    pub host: std::sync::Arc<crate::tenancy::resolver::HostTenant>,
}

impl SignedIn {
    async fn account(&self, state: &AppState) -> Result<account::Model, AppError> {
        let id = self
            .principal
            .account_id
            .ok_or_else(|| AppError::internal("a token names its account"))?;
        accounts::get(&state.db, &self.host.tenant, id).await
    }

    fn session(&self) -> Result<Uuid, AppError> {
        self.principal
            .session_id
            .ok_or_else(|| AppError::internal("a token names its session"))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let FromHost(host) = FromHost::from_request_parts(parts, state).await?;
        let token = guard::bearer(&parts.headers)?.ok_or_else(|| {
            AppError::unauthenticated(
                "credential_required",
                "send `Authorization: Bearer <access token>`",
            )
        })?;
        let principal = guard::from_token(state, token).await?;
        if principal.tenant.as_ref().map(TenantContext::id) != Some(host.tenant.id()) {
            return Err(AppError::unauthenticated(
                "invalid_token",
                "this token belongs to another tenant",
            ));
        }
        Ok(SignedIn { principal, host })
    }
}
