//! `/auth/*`: signing in before any credential exists, so the tenant comes from the host. What they
//! hand out at the end is the access token `/graphql` accepts.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use utoipa::ToSchema;
use uuid::Uuid;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::client_ip::ClientIp;
use super::host_tenant::FromHost;
use super::json_body::JsonBody;
use super::responses::{
    BadHost, HostNotFound, Invalid, NotJson, RateLimited, TooLarge, Unavailable,
};
use crate::auth::principal::Principal;
use crate::auth::{guard, step_up};
use crate::entities::account;
use crate::error::{AppError, ErrorBody};
use crate::services::audit::Actor;
use crate::services::identity::{Identity, Proof};
use crate::services::sessions::TokenResponse;
use crate::services::{accounts, email_codes, passkeys, passwords, sessions};
use crate::state::AppState;
use crate::tenancy::context::TenantContext;

// Bodies are read with every field optional, so a missing one is a 422 naming it; the schemas say
// which ones are required.

/// An address to send a code, a reset link or a passkey challenge for.
#[derive(Deserialize, ToSchema)]
pub struct EmailStart {
    #[schema(value_type = String, required = true, format = "email")]
    email: Option<String>,
}

/// The code `/auth/email/start` mailed.
#[derive(Deserialize, ToSchema)]
pub struct EmailVerify {
    #[schema(value_type = String, required = true, format = "email")]
    email: Option<String>,
    #[schema(value_type = String, required = true)]
    code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordLogin {
    #[schema(value_type = String, required = true, format = "email")]
    email: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
}

/// The token a reset mail carried, and the new password.
#[derive(Deserialize, ToSchema)]
pub struct ResetFinish {
    #[schema(value_type = String, required = true)]
    token: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    new_password: Option<String>,
}

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

/// The answer of the routes that may send mail: the same whether or not the address is known.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    #[schema(value_type = String, example = "accepted")]
    status: &'static str,
    #[schema(value_type = String)]
    detail: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordChanged {
    #[schema(value_type = String, example = "password_changed")]
    status: &'static str,
}

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

/// Mails a sign-in code when the address can sign in here (an account, or open sign-up).
#[utoipa::path(
    post,
    path = "/auth/email/start",
    tag = "auth",
    request_body = EmailStart,
    responses(
        (status = 202, description = "Accepted, whether or not a code is sent", body = Accepted),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, or malformed JSON"),
        (status = 404, response = HostNotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = NotJson),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn email_start(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<EmailStart>,
) -> Result<Response, AppError> {
    let email = email_codes::normalise(&required("email", body.email)?)?;
    state
        .limits
        .sign_in(ip, host.tenant.id(), Some(&email))
        .await?;
    // Sent after answering: how long the answer takes must not tell known addresses apart.
    let send = async move {
        let sent = email_codes::start(&state.db, &state.config, &state.mailer, &host, &email).await;
        if let Err(err) = sent {
            tracing::error!(error = %err.chain(), "cannot send a sign-in code");
        }
    };
    // The request's span goes along, so the delivery's log lines carry its request id.
    tokio::spawn(send.in_current_span());
    Ok(accepted())
}

/// Signs in with the code `/auth/email/start` mailed.
#[utoipa::path(
    post,
    path = "/auth/email/verify",
    tag = "auth",
    request_body = EmailVerify,
    responses(
        (status = 200, description = "Signed in: a new session", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, or malformed JSON"),
        (status = 401, description = "The code is wrong, used or expired", body = ErrorBody),
        (status = 404, response = HostNotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = NotJson),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn email_verify(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<EmailVerify>,
) -> Result<Response, AppError> {
    let email = required("email", body.email)?;
    let code = required("code", body.code)?;
    state
        .limits
        .sign_in(ip, host.tenant.id(), Some(&email_codes::budget_key(&email)))
        .await?;
    let proof = Proof::EmailCode { email, code };
    let tokens = identity(&state).sign_in(&host, ip, proof).await?;
    Ok(token_response(&tokens))
}

/// Signs in with an address and password.
#[utoipa::path(
    post,
    path = "/auth/password/login",
    tag = "auth",
    request_body = PasswordLogin,
    responses(
        (status = 200, description = "Signed in: a new session", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, or malformed JSON"),
        (status = 401, description = "The address or password is wrong", body = ErrorBody),
        (status = 404, response = HostNotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = NotJson),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn password_login(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<PasswordLogin>,
) -> Result<Response, AppError> {
    let email = required("email", body.email)?;
    let password = required("password", body.password)?;
    state
        .limits
        .sign_in(ip, host.tenant.id(), Some(&email_codes::budget_key(&email)))
        .await?;
    let proof = Proof::Password { email, password };
    let tokens = identity(&state).sign_in(&host, ip, proof).await?;
    Ok(token_response(&tokens))
}

/// The identity use-cases, on this server's database, keys and hashing.
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

/// Mails a password reset link when the address has an account here.
#[utoipa::path(
    post,
    path = "/auth/password/reset/start",
    tag = "auth",
    request_body = EmailStart,
    responses(
        (status = 202, description = "Accepted, whether or not a mail is sent", body = Accepted),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, or malformed JSON"),
        (status = 404, response = HostNotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = NotJson),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn reset_start(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<EmailStart>,
) -> Result<Response, AppError> {
    let email = email_codes::normalise(&required("email", body.email)?)?;
    state
        .limits
        .sign_in(ip, host.tenant.id(), Some(&email))
        .await?;
    // Answered before the work, so the answer's timing says nothing about the address.
    let send = async move {
        let (db, config, mailer) = (&state.db, &state.config, &state.mailer);
        if let Err(err) = passwords::start_reset(db, config, mailer, &host, &email, ip).await {
            tracing::error!(error = %err.chain(), "cannot send a password reset");
        }
    };
    tokio::spawn(send.in_current_span());
    Ok(accepted())
}

/// Sets a new password with a reset token; every session of the account ends.
#[utoipa::path(
    post,
    path = "/auth/password/reset/finish",
    tag = "auth",
    request_body = ResetFinish,
    responses(
        (status = 200, description = "The password was changed", body = PasswordChanged),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, or malformed JSON"),
        (status = 401, description = "The token is wrong, used or expired", body = ErrorBody),
        (status = 404, response = HostNotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = NotJson),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn reset_finish(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<ResetFinish>,
) -> Result<Response, AppError> {
    let token = required("token", body.token)?;
    let new_password = required("new_password", body.new_password)?;
    state.limits.sign_in(ip, host.tenant.id(), None).await?;
    passwords::finish_reset(
        &state.db,
        &state.passwords,
        &state.mailer,
        &host,
        &token,
        &new_password,
        ip,
    )
    .await?;
    Ok(Json(PasswordChanged {
        status: "password_changed",
    })
    .into_response())
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
        (status = 404, response = HostNotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = NotJson),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
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
        (status = 404, response = HostNotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = NotJson),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
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
    state
        .limits
        .sign_in(ip, host.tenant.id(), Some(&account.email))
        .await?;
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
        (status = 404, response = HostNotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = NotJson),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn passkey_login_start(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<EmailStart>,
) -> Result<Response, AppError> {
    let email = required("email", body.email)?;
    state
        .limits
        .sign_in(ip, host.tenant.id(), Some(&email_codes::budget_key(&email)))
        .await?;
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
        (status = 404, response = HostNotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = NotJson),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn passkey_login_finish(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<PasskeyFinish<PublicKeyCredential>>,
) -> Result<Response, AppError> {
    state.limits.sign_in(ip, host.tenant.id(), None).await?;
    let (ceremony, credential) = finishing(body)?;
    let proof = Proof::Passkey {
        ceremony,
        credential: Box::new(credential),
    };
    let tokens = identity(&state).sign_in(&host, ip, proof).await?;
    Ok(token_response(&tokens))
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
