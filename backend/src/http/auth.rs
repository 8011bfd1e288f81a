//! `/auth/*`: signing in before any credential exists, so the tenant comes from the host. What they
//! hand out at the end is the access token `/graphql` accepts.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::Instrument;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::client_ip::ClientIp;
use super::host_tenant::FromHost;
use super::json_body::JsonBody;
use crate::auth::guard;
use crate::auth::principal::Principal;
use crate::entities::account;
use crate::error::AppError;
use crate::services::{accounts, audit, email_codes, passkeys, passwords, sessions};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct EmailStart {
    email: Option<String>,
}

#[derive(Deserialize)]
pub struct EmailVerify {
    email: Option<String>,
    code: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordLogin {
    email: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
pub struct ResetFinish {
    token: Option<String>,
    new_password: Option<String>,
}

#[derive(Deserialize)]
pub struct Refresh {
    refresh_token: Option<String>,
}

/// Re-proof for step-up: a password, a code from `/auth/email/start`, or a passkey answering a
/// challenge from `/auth/passkey/login/start`.
#[derive(Deserialize)]
pub struct Elevate {
    password: Option<String>,
    code: Option<String>,
    ceremony_id: Option<uuid::Uuid>,
    credential: Option<PublicKeyCredential>,
}

#[derive(Serialize)]
struct Elevated {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    elevation_expires_in: u64,
}

fn required(field: &str, value: Option<String>) -> Result<String, AppError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| AppError::invalid(field, "is required"))
}

/// The same answer whether or not the address can sign in here.
fn accepted() -> Response {
    let body = json!({ "status": "accepted", "detail": "If this address can sign in here, a message is on its way." });
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

pub async fn email_start(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<EmailStart>,
) -> Result<Response, AppError> {
    let email = email_codes::normalise(&required("email", body.email)?)?;
    state
        .limits
        .sign_in(ip, host.tenant_id, Some(&email))
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
        .sign_in(ip, host.tenant_id, Some(&email))
        .await?;
    let verified = email_codes::verify(&state.db, &state.config, &host, &email, &code).await;
    signed_in(&state, &host, ip, verified, "email code").await
}

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
        .sign_in(ip, host.tenant_id, Some(&email))
        .await?;
    let verified =
        passwords::login(&state.db, &state.config, host.tenant_id, &email, &password).await;
    signed_in(&state, &host, ip, verified, "password").await
}

/// Starts a session for a proven account and records the attempt either way.
async fn signed_in(
    state: &AppState,
    host: &crate::tenancy::resolver::HostTenant,
    ip: Option<std::net::IpAddr>,
    verified: Result<account::Model, AppError>,
    method: &str,
) -> Result<Response, AppError> {
    let account = match verified {
        Ok(account) => account,
        Err(err) => {
            if matches!(err, AppError::Unauthenticated { .. }) {
                audit::record(
                    &state.db,
                    host.tenant_id,
                    None,
                    "login.failed",
                    format!("{method} sign-in failed"),
                    ip,
                )
                .await;
            }
            return Err(err);
        }
    };
    let tokens = sessions::start(
        &state.db,
        &state.config,
        &state.tokens,
        &account,
        host.app.clone(),
    )
    .await?;
    audit::record(
        &state.db,
        host.tenant_id,
        Some(account.id),
        "login.succeeded",
        format!("{} signed in with {method}", account.email),
        ip,
    )
    .await;
    Ok(token_response(&tokens))
}

fn token_response(body: &impl Serialize) -> Response {
    // RFC 6749 §5.1: token responses are never cached.
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

pub async fn reset_start(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<EmailStart>,
) -> Result<Response, AppError> {
    let email = email_codes::normalise(&required("email", body.email)?)?;
    state
        .limits
        .sign_in(ip, host.tenant_id, Some(&email))
        .await?;
    let send = async move {
        let started =
            passwords::start_reset(&state.db, &state.config, &state.mailer, &host, &email).await;
        match started {
            Ok(Some(account)) => {
                audit::record(
                    &state.db,
                    host.tenant_id,
                    Some(account),
                    "password.reset_requested",
                    "a reset token was emailed",
                    ip,
                )
                .await;
            }
            Ok(None) => {}
            Err(err) => tracing::error!(error = %err.chain(), "cannot send a password reset"),
        }
    };
    tokio::spawn(send.in_current_span());
    Ok(accepted())
}

pub async fn reset_finish(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<ResetFinish>,
) -> Result<Response, AppError> {
    let token = required("token", body.token)?;
    let new_password = required("new_password", body.new_password)?;
    state.limits.sign_in(ip, host.tenant_id, None).await?;
    let account = passwords::finish_reset(
        &state.db,
        &state.config,
        host.tenant_id,
        &token,
        &new_password,
    )
    .await?;
    state.invalidate_caches();
    audit::record(
        &state.db,
        host.tenant_id,
        Some(account.id),
        "password.reset",
        format!(
            "{} chose a new password; every session was ended",
            account.email
        ),
        ip,
    )
    .await;
    Ok(Json(json!({ "status": "password_changed" })).into_response())
}

pub async fn refresh(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<Refresh>,
) -> Result<Response, AppError> {
    let token = required("refresh_token", body.refresh_token)?;
    state.limits.sign_in(ip, host.tenant_id, None).await?;
    let refreshed = sessions::refresh(&state.db, &state.tokens, host.tenant_id, &token, ip).await;
    if matches!(&refreshed, Err(AppError::Unauthenticated { reason, .. }) if *reason == sessions::REUSE_REASON)
    {
        // A detected reuse ended a session: drop what this process cached of it now (other
        // processes see the cache epoch move). Other refusals change nothing, so flush nothing.
        state.invalidate_caches();
    }
    Ok(token_response(&refreshed?.0))
}

pub async fn logout(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    let session = signed_in.session()?;
    sessions::end(&state.db, session).await?;
    state.invalidate_caches();
    Ok(StatusCode::NO_CONTENT.into_response())
}

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
    let account = accounts::get(&state.db, host.tenant_id, account_id).await?;
    state
        .limits
        .sign_in(ip, host.tenant_id, Some(&account.email))
        .await?;
    let proven = match (
        body.password,
        body.code,
        body.ceremony_id.zip(body.credential),
    ) {
        (Some(password), None, None) => {
            passwords::login(
                &state.db,
                &state.config,
                host.tenant_id,
                &account.email,
                &password,
            )
            .await
        }
        (None, Some(code), None) => {
            email_codes::verify(&state.db, &state.config, host, &account.email, &code).await
        }
        (None, None, Some((ceremony, credential))) => {
            passkeys::finish_login(&state.db, host, ceremony, &credential).await
        }
        _ => {
            return Err(AppError::invalid(
                "body",
                "give exactly one proof: password, code, or ceremony_id with credential",
            ));
        }
    };
    match proven {
        Ok(proven) if proven.id == account.id => {}
        Ok(_) | Err(AppError::Unauthenticated { .. }) => {
            audit::record(
                &state.db,
                host.tenant_id,
                Some(account.id),
                "elevation.failed",
                "step-up proof was wrong",
                ip,
            )
            .await;
            return Err(AppError::unauthenticated(
                "wrong_proof",
                "the proof is wrong",
            ));
        }
        Err(err) => return Err(err),
    }
    let (access_token, until) =
        sessions::elevated_token(&state.db, &state.config, &state.tokens, &account, session)
            .await?;
    audit::record(
        &state.db,
        host.tenant_id,
        Some(account.id),
        "elevation.granted",
        format!("{} stepped up", account.email),
        ip,
    )
    .await;
    Ok(token_response(&Elevated {
        access_token,
        token_type: "Bearer",
        expires_in: state.tokens.ttl().as_secs(),
        elevation_expires_in: (until - crate::db::now()).num_seconds().max(0) as u64,
    }))
}

#[derive(Deserialize)]
pub struct PasskeyFinish<C> {
    ceremony_id: Option<uuid::Uuid>,
    credential: Option<C>,
}

/// A challenge for the browser's `navigator.credentials`, and the id to finish it with.
fn challenge(ceremony_id: uuid::Uuid, options: impl Serialize) -> Response {
    token_response(&json!({ "ceremony_id": ceremony_id, "options": options }))
}

fn finishing<C>(body: PasskeyFinish<C>) -> Result<(uuid::Uuid, C), AppError> {
    let ceremony = body
        .ceremony_id
        .ok_or_else(|| AppError::invalid("ceremony_id", "is required"))?;
    let credential = body
        .credential
        .ok_or_else(|| AppError::invalid("credential", "is required"))?;
    Ok((ceremony, credential))
}

pub async fn passkey_register_start(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    let account = signed_in.account(&state).await?;
    let (ceremony, options) =
        passkeys::start_registration(&state.db, &signed_in.host, &account).await?;
    Ok(challenge(ceremony, options))
}

pub async fn passkey_register_finish(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedIn,
    JsonBody(body): JsonBody<PasskeyFinish<RegisterPublicKeyCredential>>,
) -> Result<Response, AppError> {
    let (ceremony, credential) = finishing(body)?;
    let account = signed_in.account(&state).await?;
    let key =
        passkeys::finish_registration(&state.db, &signed_in.host, &account, ceremony, &credential)
            .await?;
    audit::record(
        &state.db,
        account.tenant_id,
        Some(account.id),
        "passkey.added",
        format!("{} added a passkey for {}", account.email, key.rp_id),
        ip,
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": key.id, "rp_id": key.rp_id, "created_at": key.created_at })),
    )
        .into_response())
}

pub async fn passkey_login_start(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<EmailStart>,
) -> Result<Response, AppError> {
    let email = required("email", body.email)?;
    state
        .limits
        .sign_in(ip, host.tenant_id, Some(&email))
        .await?;
    let (ceremony, options) = passkeys::start_login(&state.db, &host, &email).await?;
    Ok(challenge(ceremony, options))
}

pub async fn passkey_login_finish(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<PasskeyFinish<PublicKeyCredential>>,
) -> Result<Response, AppError> {
    state.limits.sign_in(ip, host.tenant_id, None).await?;
    let (ceremony, credential) = finishing(body)?;
    let verified = passkeys::finish_login(&state.db, &host, ceremony, &credential).await;
    signed_in(&state, &host, ip, verified, "passkey").await
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
        accounts::get(&state.db, self.host.tenant_id, id).await
    }

    fn session(&self) -> Result<uuid::Uuid, AppError> {
        self.principal
            .session_id
            .ok_or_else(|| AppError::internal("a token names its session"))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let FromHost(host) = FromHost::from_request_parts(parts, state).await?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim().to_owned())
            .ok_or_else(|| {
                AppError::unauthenticated(
                    "credential_required",
                    "send `Authorization: Bearer <access token>`",
                )
            })?;
        let principal = guard::from_token(state, &token).await?;
        if principal.tenant.as_ref().map(|t| t.id) != Some(host.tenant_id) {
            return Err(AppError::unauthenticated(
                "invalid_token",
                "this token belongs to another tenant",
            ));
        }
        Ok(SignedIn { principal, host })
    }
}
