//! Limits every request is held to before a handler sees it: the size of its header lines and of
//! its body, and the time it may take.

use axum::body::{Body, HttpBody, to_bytes};
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::http::client_ip;
use crate::state::AppState;

/// `431` when the header lines together exceed `max_header_bytes`. The HTTP layer already refuses
/// absurd header blocks; this keeps what reaches the resolver and the guard small.
pub fn header_size(state: &AppState, req: &Request) -> Result<(), AppError> {
    let size: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    match size > state.config.http.max_header_bytes {
        true => Err(AppError::HeadersTooLarge),
        false => Ok(()),
    }
}

/// `504` with a body saying so when `work` runs longer than `request_timeout`. The request's work
/// is dropped there; a database transaction it had open is rolled back.
pub async fn deadline(state: &AppState, work: impl Future<Output = Response>) -> Response {
    let limit = state.config.http.request_timeout;
    match tokio::time::timeout(limit, work).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout(limit).into_response(),
    }
}

/// `413` at once for a body whose declared length (`Content-Length`) is past `limit`: reading
/// would otherwise wait, until the deadline, for bytes that the refusal then ignores.
pub fn declared_size(req: &Request, limit: usize) -> Result<(), AppError> {
    match req.body().size_hint().lower() > limit as u64 {
        true => Err(AppError::PayloadTooLarge),
        false => Ok(()),
    }
}

/// The largest form or sign-in body.
pub const SMALL_BODY: usize = 64 * 1024;

/// Reads the whole body, `413` past `max_body_bytes`, for handlers whose extractor would read any
/// amount (the GraphQL one does).
pub async fn whole_body(state: &AppState, req: Request) -> Result<Request, AppError> {
    declared_size(&req, state.config.http.max_body_bytes)?;
    let (parts, body) = req.into_parts();
    match to_bytes(body, state.config.http.max_body_bytes).await {
        Ok(bytes) => Ok(Request::from_parts(parts, Body::from(bytes))),
        Err(_) => Err(AppError::PayloadTooLarge),
    }
}

/// One request of the client's per-IP budget for the anonymous Host routes (branding, the
/// console's files), spent when the handler extracts it: first, before the host is resolved.
/// `/.well-known/*` is not behind it: Apple's and Google's fetchers read many tenants' files from
/// few addresses, and the files are cached.
///
/// An extractor rather than a route layer: a layer on a route costs each of its requests a boxed
/// clone of the route.
pub struct PublicBudget;

impl FromRequestParts<AppState> for PublicBudget {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let ip = client_ip::peer(parts)
            .map(|peer| client_ip::client_ip(&parts.headers, peer, &state.config));
        state.limits.public_ip(ip).await?;
        Ok(Self)
    }
}
