//! Cacheable JSON answers for the Host routes.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// The answer depends on the host, which may arrive in any of these from a trusted proxy.
const VARY: &str = "Host, X-Forwarded-Host, Forwarded";

/// A JSON answer with a strong `ETag` over its bytes, and `304 Not Modified` when the client
/// already holds it (RFC 9110 §13.1.2).
pub fn cacheable_json(
    request: &HeaderMap,
    document: &impl Serialize,
    cache_control: &'static str,
) -> Result<Response, AppError> {
    let body = serde_json::to_vec(document).map_err(AppError::internal)?;
    let digest = Sha256::digest(&body);
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    let headers = [
        (
            header::ETAG,
            HeaderValue::from_str(&etag).map_err(AppError::internal)?,
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        ),
        (header::VARY, HeaderValue::from_static(VARY)),
    ];
    if matches_if_none_match(request, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let content_type = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    Ok((headers, content_type, body).into_response())
}

/// `If-None-Match` holds `*` or our tag; weak comparison, as the RFC asks for this header.
fn matches_if_none_match(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}
