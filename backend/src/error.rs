//! The one error type. Each variant says what the caller sees; internal causes are logged with
//! their chain and never sent.

use std::error::Error as StdError;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use serde::Serialize;

use crate::metrics::Refusal;

/// What a caller is told while the database cannot be reached.
pub const UNAVAILABLE: &str = "Service temporarily unavailable";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: a Host route reached with no host at all.
    #[error("Missing Host header")]
    MissingHost,
    /// 400: the host (or a trusted proxy's forwarded host) is not a valid host name.
    #[error("Invalid Host header")]
    InvalidHost,
    /// 404: no verified domain row (or an address literal); the host is the normalised one.
    #[error("Domain '{0}' is not configured")]
    DomainNotConfigured(String),
    /// 404: as [`AppError::DomainNotConfigured`], in the words the contact form promises.
    #[error("Domain '{0}' is not configured. Unable to process lead.")]
    LeadDomainNotConfigured(String),
    /// 404: the host belongs to a suspended tenant. Said apart from an unknown domain, so a
    /// tenant's visitors learn the domain is right and the tenant is away.
    #[error("Tenant not found")]
    TenantNotFound,
    /// 401 / `UNAUTHENTICATED`: a credential was sent and is not good (or one is needed and none
    /// was sent). Says what is wrong, never echoing the secret.
    /// `reason` is a fixed word for the metrics (`expired_token`, `revoked_key`, …).
    #[error("{message}")]
    Unauthenticated {
        reason: &'static str,
        message: String,
    },
    /// 403 / `FORBIDDEN`: the caller is known and may not do this; `reason` is machine-readable
    /// (`extensions.reason`) where one applies.
    #[error("{message}")]
    Forbidden {
        message: String,
        reason: Option<&'static str>,
    },
    /// 404 / `NOT_FOUND`: a named thing does not exist for this caller.
    #[error("{0}")]
    NotFound(String),
    /// 422 / `BAD_USER_INPUT`: one field of the input breaks a rule.
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    /// 400: the request itself is malformed (bad JSON, a bad header).
    #[error("{0}")]
    BadRequest(String),
    /// 405: the route exists, the method does not.
    #[error("Method not allowed")]
    MethodNotAllowed,
    /// 409: the request conflicts with what exists (a taken slug, a reused idempotency key).
    #[error("{0}")]
    Conflict(String),
    /// 413: the body exceeds the route's limit.
    #[error("Request body is too large")]
    PayloadTooLarge,
    /// 431: the request's header lines together exceed the limit.
    #[error("Request headers are too large")]
    HeadersTooLarge,
    /// 504: the request ran past the deadline and was stopped.
    #[error("The request took longer than {} seconds and was stopped", .0.as_secs_f64())]
    Timeout(std::time::Duration),
    /// 415: the body is not JSON.
    #[error("Expected a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// 429 / `RATE_LIMITED`: too many requests; `Retry-After` says when to try again. The request
    /// was not executed.
    /// `scope` names the limit (`tenant`, `api_key`, `ip`, `address`) for the metrics.
    #[error("Too many requests; try again in {} seconds", .wait.as_secs().max(1))]
    RateLimited {
        wait: std::time::Duration,
        scope: &'static str,
    },
    /// 503: too many of one costly kind of work (`what`: password checks, scans of a tenant's
    /// leads) are waiting already; `Retry-After` says when to come back. The request changed
    /// nothing.
    #[error("Too many {what} at once; try again in {} seconds", .wait.as_secs().max(1))]
    Busy {
        what: &'static str,
        wait: std::time::Duration,
    },
    /// 503: the database cannot be reached; the request changed nothing and may be retried.
    #[error("{}", UNAVAILABLE)]
    Unavailable(#[source] DbErr),
    /// 500 / `INTERNAL_SERVER_ERROR`: anything else. Logged with its cause; the caller sees only this line.
    #[error("Internal server error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn unauthenticated(reason: &'static str, message: impl Into<String>) -> Self {
        AppError::Unauthenticated {
            reason,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden {
            message: message.into(),
            reason: None,
        }
    }

    pub fn internal(cause: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        AppError::Internal(cause.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::MissingHost | AppError::InvalidHost | AppError::BadRequest(_) => {
                StatusCode::BAD_REQUEST
            }
            AppError::DomainNotConfigured(_)
            | AppError::LeadDomainNotConfigured(_)
            | AppError::TenantNotFound
            | AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::InvalidInput { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            AppError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The GraphQL `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::InvalidInput { .. }
            | AppError::BadRequest(_)
            | AppError::Conflict(_)
            | AppError::MethodNotAllowed
            | AppError::PayloadTooLarge
            | AppError::HeadersTooLarge
            | AppError::UnsupportedMediaType
            | AppError::MissingHost
            | AppError::InvalidHost => "BAD_USER_INPUT",
            AppError::DomainNotConfigured(_)
            | AppError::LeadDomainNotConfigured(_)
            | AppError::TenantNotFound
            | AppError::NotFound(_) => "NOT_FOUND",
            AppError::Unauthenticated { .. } => "UNAUTHENTICATED",
            AppError::Forbidden { .. } => "FORBIDDEN",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::Unavailable(_)
            | AppError::Busy { .. }
            | AppError::Timeout(_)
            | AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The error and every cause beneath it, for logs and the CLI (never for HTTP clients).
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = self.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }

    /// What the metrics count this error as, if anything.
    fn refusal(&self) -> Option<Refusal> {
        match self {
            AppError::Unauthenticated { reason, .. } => Some(Refusal::Auth(reason)),
            AppError::RateLimited { scope, .. } => Some(Refusal::RateLimited(scope)),
            _ => None,
        }
    }

    /// Adds what every answer of this error carries besides its body, whatever shape the body
    /// has (REST or GraphQL): `Retry-After`, and the refusal the metrics count.
    pub fn mark(&self, response: &mut Response) {
        if let AppError::RateLimited { wait, .. } | AppError::Busy { wait, .. } = self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry_after(*wait));
        }
        if let Some(refusal) = self.refusal() {
            response.extensions_mut().insert(refusal);
        }
    }

    /// Logs what a caller must not see; called wherever an error becomes a response.
    pub(crate) fn log(&self) {
        if matches!(
            self,
            AppError::Unavailable(_) | AppError::Timeout(_) | AppError::Internal(_)
        ) {
            tracing::error!(error = %self.chain(), "request failed");
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_outage(&err) {
            AppError::Unavailable(err)
        } else {
            AppError::Internal(Box::new(err))
        }
    }
}

/// Whether the database could not be reached (no connection, a connection lost mid-statement),
/// as opposed to a statement it refused: the first is worth a retry, the second is a bug.
fn is_outage(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(_)) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => matches!(
            e.as_ref(),
            Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::Protocol(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed
        ),
        _ => false,
    }
}

/// The body of every REST error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words fit to show; never an internal cause.
    pub detail: String,
    /// A machine-readable reason where one applies (`ELEVATION_REQUIRED`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub reason: Option<&'static str>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let reason = match &self {
            AppError::Forbidden { reason, .. } => *reason,
            _ => None,
        };
        let body = ErrorBody {
            detail: self.to_string(),
            reason,
        };
        let mut response = (self.status(), Json(body)).into_response();
        self.mark(&mut response);
        response
    }
}

/// `Retry-After` in whole seconds, at least one.
fn retry_after(wait: std::time::Duration) -> axum::http::HeaderValue {
    axum::http::HeaderValue::from(wait.as_secs().max(1))
}

/// Whether an insert failed on a unique index: how callers learn a slug, host or idempotency key is
/// already taken without a racy look-up first.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_its_status_and_code() {
        let cases: Vec<(AppError, StatusCode, &str)> = vec![
            (
                AppError::MissingHost,
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
            ),
            (
                AppError::InvalidHost,
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
            ),
            (
                AppError::DomainNotConfigured("x.example".into()),
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
            ),
            (
                AppError::LeadDomainNotConfigured("x.example".into()),
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
            ),
            (AppError::TenantNotFound, StatusCode::NOT_FOUND, "NOT_FOUND"),
            (
                AppError::NotFound("no such tenant".into()),
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
            ),
            (
                AppError::invalid("slug", "is reserved"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "BAD_USER_INPUT",
            ),
            (
                AppError::BadRequest("bad".into()),
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
            ),
            (
                AppError::Conflict("taken".into()),
                StatusCode::CONFLICT,
                "BAD_USER_INPUT",
            ),
            (
                AppError::unauthenticated("expired_token", "token has expired"),
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
            ),
            (
                AppError::forbidden("operators only"),
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
            ),
            (
                AppError::RateLimited {
                    wait: std::time::Duration::from_secs(3),
                    scope: "tenant",
                },
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
            ),
            (
                AppError::MethodNotAllowed,
                StatusCode::METHOD_NOT_ALLOWED,
                "BAD_USER_INPUT",
            ),
            (
                AppError::PayloadTooLarge,
                StatusCode::PAYLOAD_TOO_LARGE,
                "BAD_USER_INPUT",
            ),
            (
                AppError::HeadersTooLarge,
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "BAD_USER_INPUT",
            ),
            (
                AppError::Timeout(std::time::Duration::from_secs(30)),
                StatusCode::GATEWAY_TIMEOUT,
                "INTERNAL_SERVER_ERROR",
            ),
            (
                AppError::UnsupportedMediaType,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "BAD_USER_INPUT",
            ),
            (
                AppError::Unavailable(DbErr::Custom("down".into())),
                StatusCode::SERVICE_UNAVAILABLE,
                "INTERNAL_SERVER_ERROR",
            ),
            (
                AppError::Busy {
                    what: "sign-ins",
                    wait: std::time::Duration::from_secs(1),
                },
                StatusCode::SERVICE_UNAVAILABLE,
                "INTERNAL_SERVER_ERROR",
            ),
            (
                AppError::internal("secret cause"),
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
            ),
        ];
        for (err, status, code) in cases {
            let name = format!("{err:?}");
            assert_eq!(err.status(), status, "{name}");
            assert_eq!(err.code(), code, "{name}");
        }
    }
}
