//! Answering the Host routes' rendered documents (kept in [`crate::cache::documents`]): with their
//! strong `ETag`, and `304 Not Modified` when the client already holds them.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub use crate::cache::documents::{Document, Rendered};

/// The answer depends on the host, which may arrive in any of these from a trusted proxy.
const VARY: &str = "Host, X-Forwarded-Host, Forwarded";

/// The request's `If-None-Match` lines: all that an answer reads of the request's headers (a
/// handler taking the whole `HeaderMap` would copy every header of every request).
pub struct IfNoneMatch(Vec<HeaderValue>);

impl IfNoneMatch {
    pub fn of(headers: &HeaderMap) -> Self {
        Self(
            headers
                .get_all(header::IF_NONE_MATCH)
                .iter()
                .cloned()
                .collect(),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(&parts.headers))
    }
}

/// A rendered document as an HTTP answer.
pub trait Respond {
    /// The document, or `304 Not Modified` when the client already holds it (RFC 9110 §13.1.2).
    fn respond(&self, request: &IfNoneMatch, cache_control: &'static str) -> Response;
}

impl Respond for Rendered {
    fn respond(&self, request: &IfNoneMatch, cache_control: &'static str) -> Response {
        let headers = [
            (header::ETAG, self.etag().clone()),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            ),
            (header::VARY, HeaderValue::from_static(VARY)),
        ];
        if matches_if_none_match(request, self.etag().as_bytes()) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        let content_type = [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type()),
        )];
        (headers, content_type, self.body().clone()).into_response()
    }
}

/// `If-None-Match` holds `*` or our tag; weak comparison, as the RFC asks for this header.
fn matches_if_none_match(request: &IfNoneMatch, etag: &[u8]) -> bool {
    request
        .0
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .any(|tag| tag == b"*" || tag.strip_prefix(b"W/").unwrap_or(tag) == etag)
}
