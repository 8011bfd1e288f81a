//! Sign-in by password, and resetting a forgotten one by mail.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use utoipa::ToSchema;

use super::*;
use crate::error::{AppError, ErrorBody};
use crate::http::client_ip::ClientIp;
use crate::http::host_tenant::FromHost;
use crate::http::json_body::JsonBody;
use crate::http::responses::HostJsonRefusals;
use crate::services::identity::Proof;
use crate::services::{email_codes, passwords};
use crate::state::AppState;

// Bodies are read with every field optional, so a missing one is a 422 naming it; the schemas say
// which ones are required.

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

#[derive(Serialize, ToSchema)]
pub struct PasswordChanged {
    #[schema(value_type = String, example = "password_changed")]
    status: &'static str,
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
        HostJsonRefusals,
    ),
)]
pub async fn password_login(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    ClientAgent(user_agent): ClientAgent,
    JsonBody(body): JsonBody<PasswordLogin>,
) -> Result<Response, AppError> {
    let email = required("email", body.email)?;
    let password = required("password", body.password)?;
    spend_step(&state, &host.tenant, ip, &email, SignInStep::Secret).await?;
    let proof = Proof::Password { email, password };
    let tokens = identity(&state)
        .sign_in(&host, ip, user_agent, proof)
        .await?;
    Ok(token_response(&tokens))
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
        HostJsonRefusals,
    ),
)]
pub async fn reset_start(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<EmailStart>,
) -> Result<Response, AppError> {
    let email = email_codes::normalise(&required("email", body.email)?)?;
    spend_step(&state, &host.tenant, ip, &email, SignInStep::Mail).await?;
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
        HostJsonRefusals,
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
