//! Sign-in by a code mailed to the address.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use tracing::Instrument;
use utoipa::ToSchema;

use super::*;
use crate::error::{AppError, ErrorBody};
use crate::http::client_ip::ClientIp;
use crate::http::host_tenant::FromHost;
use crate::http::json_body::JsonBody;
use crate::http::responses::HostJsonRefusals;
use crate::services::email_codes;
use crate::services::identity::Proof;
use crate::state::AppState;

// Bodies are read with every field optional, so a missing one is a 422 naming it; the schemas say
// which ones are required.

/// The code `/auth/email/start` mailed.
#[derive(Deserialize, ToSchema)]
pub struct EmailVerify {
    #[schema(value_type = String, required = true, format = "email")]
    email: Option<String>,
    #[schema(value_type = String, required = true)]
    code: Option<String>,
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
        HostJsonRefusals,
    ),
)]
pub async fn email_start(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<EmailStart>,
) -> Result<Response, AppError> {
    let email = email_codes::normalise(&required("email", body.email)?)?;
    spend_step(&state, &host.tenant, ip, &email, SignInStep::Mail).await?;
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
        HostJsonRefusals,
    ),
)]
pub async fn email_verify(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    ClientIp(ip): ClientIp,
    ClientAgent(user_agent): ClientAgent,
    JsonBody(body): JsonBody<EmailVerify>,
) -> Result<Response, AppError> {
    let email = required("email", body.email)?;
    let code = required("code", body.code)?;
    spend_step(&state, &host.tenant, ip, &email, SignInStep::Code).await?;
    let proof = Proof::EmailCode { email, code };
    let tokens = identity(&state)
        .sign_in(&host, ip, user_agent, proof)
        .await?;
    Ok(token_response(&tokens))
}
