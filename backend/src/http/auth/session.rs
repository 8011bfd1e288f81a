//! What a signed-in session does on its own: refresh, sign out, step up.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use webauthn_rs::prelude::PublicKeyCredential;

use super::*;
use crate::error::{AppError, ErrorBody};
use crate::http::client_ip::ClientIp;
use crate::http::host_tenant::FromHost;
use crate::http::json_body::JsonBody;
use crate::http::responses::{BadHost, HostJsonRefusals, HostNotFound, Unavailable};
use crate::services::audit::Actor;
use crate::services::identity::Proof;
use crate::services::{accounts, sessions};
use crate::state::AppState;

// Bodies are read with every field optional, so a missing one is a 422 naming it; the schemas say
// which ones are required.

#[derive(Deserialize, ToSchema)]
pub struct Refresh {
    #[schema(value_type = String, required = true)]
    refresh_token: Option<String>,
}

/// Re-proof for step-up, exactly one of: a password, a code from `/auth/email/start`, or a passkey
/// answering a challenge from `/auth/passkey/login/start` (`ceremony_id` with `credential`).
#[derive(Deserialize, ToSchema)]
pub struct Elevate {
    #[schema(format = Password)]
    password: Option<String>,
    code: Option<String>,
    ceremony_id: Option<Uuid>,
    /// The browser's `PublicKeyCredential`, as JSON.
    #[schema(value_type = Option<Object>)]
    credential: Option<PublicKeyCredential>,
}

/// An access token that carries a step-up elevation; the refresh token stays as it was.
#[derive(Serialize, ToSchema)]
pub struct Elevated {
    access_token: String,
    #[schema(value_type = String, example = "Bearer")]
    token_type: &'static str,
    expires_in: u64,
    /// Seconds the elevation lasts, which may end before the token does.
    elevation_expires_in: u64,
}

/// Trades a refresh token for new tokens; each refresh token works once, and a reused one ends
/// its session.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "auth",
    request_body = Refresh,
    responses(
        (status = 200, description = "New tokens of the same session", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, or malformed JSON"),
        (status = 401, body = ErrorBody,
            description = "The refresh token is wrong, expired, or was already used"),
        HostJsonRefusals,
    ),
)]
pub async fn refresh(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<Refresh>,
) -> Result<Response, AppError> {
    let token = required("refresh_token", body.refresh_token)?;
    state.limits.sign_in(ip, host.tenant.id(), None).await?;
    let (tokens, _) = sessions::refresh(&state.db, &state.tokens, &host.tenant, &token, ip).await?;
    Ok(token_response(&tokens))
}

/// Ends the session of the access token.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The session has ended"),
        (status = 400, response = BadHost),
        (status = 401, body = ErrorBody,
            description = "No valid `Authorization: Bearer` token (missing, expired, revoked, another tenant's)"),
        (status = 404, response = HostNotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    let session = signed_in.session()?;
    let account = signed_in
        .principal
        .account_id
        .ok_or_else(|| AppError::internal("a token names its account"))?;
    let actor = Actor::account(account, ip);
    sessions::sign_out(&state.db, &signed_in.host.tenant, session, &actor).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Steps up: a fresh proof of identity gives an access token that may do sensitive things for a
/// while.
#[utoipa::path(
    post,
    path = "/auth/elevate",
    tag = "auth",
    request_body = Elevate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "An elevated access token", body = Elevated,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, or malformed JSON"),
        (status = 401, body = ErrorBody,
            description = "No valid `Authorization: Bearer` token, or the proof is wrong"),
        HostJsonRefusals,
    ),
)]
pub async fn elevate(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedIn,
    JsonBody(body): JsonBody<Elevate>,
) -> Result<Response, AppError> {
    let SignedIn { principal, host } = &signed_in;
    let session = signed_in.session()?;
    let account_id = principal
        .account_id
        .ok_or_else(|| AppError::internal("a token names its account"))?;
    let account = accounts::get(&state.db, &host.tenant, account_id).await?;
    let proof = match (
        body.password,
        body.code,
        body.ceremony_id.zip(body.credential),
    ) {
        (Some(password), None, None) => Proof::Password {
            email: account.email.clone(),
            password,
        },
        (None, Some(code), None) => Proof::EmailCode {
            email: account.email.clone(),
            code,
        },
        (None, None, Some((ceremony, credential))) => Proof::Passkey {
            ceremony,
            credential: Box::new(credential),
        },
        _ => {
            return Err(AppError::invalid(
                "body",
                "give exactly one proof: password, code, or ceremony_id with credential",
            ));
        }
    };
    let step = match proof {
        Proof::EmailCode { .. } => SignInStep::Code,
        _ => SignInStep::Secret,
    };
    spend_step(&state, &host.tenant, ip, &account.email, step).await?;
    let elevated = identity(&state)
        .elevate(host, ip, &account, session, proof)
        .await?;
    let (access_token, until) = (elevated.access_token, elevated.until);
    Ok(token_response(&Elevated {
        access_token,
        token_type: "Bearer",
        expires_in: state.tokens.ttl().as_secs(),
        elevation_expires_in: (until - crate::db::now()).num_seconds().max(0) as u64,
    }))
}
