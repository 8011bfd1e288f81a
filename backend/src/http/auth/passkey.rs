//! Passkeys: adding one to a signed-in account, and signing in with one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::*;
use crate::auth::step_up;
use crate::error::{AppError, ErrorBody};
use crate::http::client_ip::ClientIp;
use crate::http::host_tenant::FromHost;
use crate::http::json_body::JsonBody;
use crate::http::responses::{
    HostJsonRefusals, HostNotFound, Invalid, NotJson, TooLarge, Unavailable,
};
use crate::services::identity::Proof;
use crate::services::passkeys;
use crate::state::AppState;

/// A challenge for the browser's `navigator.credentials`, and the id to finish it with.
#[derive(Serialize, ToSchema)]
#[schema(bound = "")]
pub struct Challenge<O> {
    ceremony_id: Uuid,
    /// WebAuthn `PublicKeyCredentialCreationOptions` or `…RequestOptions`, as JSON.
    #[schema(value_type = Object)]
    options: O,
}

/// A passkey just registered.
#[derive(Serialize, ToSchema)]
pub struct PasskeyAdded {
    id: Uuid,
    /// What the passkey is called in the owner's list.
    name: String,
    /// The relying party it was made for: the app's system host.
    rp_id: String,
    created_at: DateTime<Utc>,
}

/// The browser's answer to a challenge from the matching `start` route.
#[derive(Deserialize, ToSchema)]
#[schema(bound = "")]
pub struct PasskeyFinish<C> {
    #[schema(value_type = Uuid, required = true)]
    ceremony_id: Option<Uuid>,
    /// The browser's `PublicKeyCredential`, as JSON.
    #[schema(value_type = Object, required = true)]
    credential: Option<C>,
    /// Registration only: what to call the new passkey ("Work laptop", at most 100 characters;
    /// default "Passkey <date>").
    #[schema(max_length = 100)]
    name: Option<String>,
}

fn challenge(ceremony_id: Uuid, options: impl Serialize) -> Response {
    token_response(&Challenge {
        ceremony_id,
        options,
    })
}

fn finishing<C>(body: PasskeyFinish<C>) -> Result<(Uuid, C), AppError> {
    let ceremony = body
        .ceremony_id
        .ok_or_else(|| AppError::invalid("ceremony_id", "is required"))?;
    let credential = body
        .credential
        .ok_or_else(|| AppError::invalid("credential", "is required"))?;
    Ok((ceremony, credential))
}

/// Starts adding a passkey to the signed-in account, for the host's app. Needs a recent step-up.
#[utoipa::path(
    post,
    path = "/auth/passkey/register/start",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A registration challenge",
            body = inline(Challenge<serde_json::Value>),
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, or a host of no app (passkeys belong to an app)"),
        (status = 401, body = ErrorBody,
            description = "No valid `Authorization: Bearer` token (missing, expired, revoked, another tenant's)"),
        (status = 403, body = ErrorBody,
            description = "The token carries no recent step-up (`reason`: `ELEVATION_REQUIRED`): `POST /auth/elevate` first"),
        (status = 404, response = HostNotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn passkey_register_start(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    // A passkey is a way in for good: a token without a fresh proof may not add one.
    step_up::require(&signed_in.principal)?;
    let account = signed_in.account(&state).await?;
    let (ceremony, options) =
        passkeys::start_registration(&state.db, &signed_in.host, &account).await?;
    Ok(challenge(ceremony, options))
}

/// Stores the passkey the browser made for a registration challenge.
#[utoipa::path(
    post,
    path = "/auth/passkey/register/finish",
    tag = "auth",
    request_body = inline(PasskeyFinish<serde_json::Value>),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The passkey was added", body = PasskeyAdded),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, a host of no app, or malformed JSON"),
        (status = 401, body = ErrorBody,
            description = "No valid `Authorization: Bearer` token, or the ceremony or the passkey was not accepted"),
        (status = 404, response = HostNotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = NotJson),
        (status = 422, response = Invalid),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn passkey_register_finish(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedIn,
    JsonBody(body): JsonBody<PasskeyFinish<RegisterPublicKeyCredential>>,
) -> Result<Response, AppError> {
    let name = body.name.clone();
    let (ceremony, credential) = finishing(body)?;
    let account = signed_in.account(&state).await?;
    let key = passkeys::finish_registration(
        &state.db,
        &state.mailer,
        &signed_in.host,
        &account,
        ceremony,
        &credential,
        name.as_deref(),
        ip,
    )
    .await?;
    let added = PasskeyAdded {
        id: key.id,
        name: key.name,
        rp_id: key.rp_id,
        created_at: key.created_at,
    };
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

/// Starts a passkey sign-in for an address; the challenge goes out even when the address has no
/// passkey, so the answer does not tell.
#[utoipa::path(
    post,
    path = "/auth/passkey/login/start",
    tag = "auth",
    request_body = EmailStart,
    responses(
        (status = 200, description = "A sign-in challenge",
            body = inline(Challenge<serde_json::Value>),
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, a host of no app, or malformed JSON"),
        HostJsonRefusals,
    ),
)]
pub async fn passkey_login_start(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<EmailStart>,
) -> Result<Response, AppError> {
    let email = required("email", body.email)?;
    spend_step(&state, &host.tenant, ip, &email, SignInStep::Secret).await?;
    let (ceremony, options) =
        passkeys::start_login(&state.db, &state.passkey_decoys, &host, &email).await?;
    Ok(challenge(ceremony, options))
}

/// Signs in with the passkey that answered a sign-in challenge.
#[utoipa::path(
    post,
    path = "/auth/passkey/login/finish",
    tag = "auth",
    request_body = inline(PasskeyFinish<serde_json::Value>),
    responses(
        (status = 200, description = "Signed in: a new session", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, a host of no app, or malformed JSON"),
        (status = 401, body = ErrorBody,
            description = "The ceremony is unknown, used or expired, or the passkey was not accepted"),
        HostJsonRefusals,
    ),
)]
pub async fn passkey_login_finish(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    ClientAgent(user_agent): ClientAgent,
    JsonBody(body): JsonBody<PasskeyFinish<PublicKeyCredential>>,
) -> Result<Response, AppError> {
    state.limits.sign_in(ip, host.tenant.id(), None).await?;
    let (ceremony, credential) = finishing(body)?;
    let proof = Proof::Passkey {
        ceremony,
        credential: Box::new(credential),
    };
    let tokens = identity(&state)
        .sign_in(&host, ip, user_agent, proof)
        .await?;
    Ok(token_response(&tokens))
}
