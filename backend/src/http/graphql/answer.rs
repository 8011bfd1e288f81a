//! Writing a GraphQL answer as GraphQL over HTTP says: the media type the client accepts, the
//! status that tells a request error from an executed one, and how the answer may be cached.
//!
//! - `Accept: application/graphql-response+json` (first among what the client accepts): a request
//!   that never ran (it did not parse, validate or name a known persisted query) answers `400`
//!   without `data`. With `application/json`, `*/*` or no `Accept`, such an answer is `200`, as
//!   older clients expect; neither ever carries `data` when nothing ran.
//! - An answer to a credential is `private, no-store`: it is one caller's. An anonymous query's
//!   answer to a `GET` may be kept by shared caches for `graphql.public_max_age_secs`; anything
//!   else is `no-store`. `Vary` names every header the answer depends on.

use async_graphql::{BatchResponse, ServerError};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::UNAVAILABLE;
use crate::graphql::{ONLY_QUERIES_OVER_GET, codes, is_malformed_persisted_query};

const JSON: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");
const GRAPHQL_RESPONSE_JSON: HeaderValue =
    HeaderValue::from_static("application/graphql-response+json; charset=utf-8");
const VARY: HeaderValue = HeaderValue::from_static("Accept, Authorization, X-Api-Key");
const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// How to answer one HTTP request.
pub struct Answering {
    /// `application/graphql-response+json` rather than `application/json`.
    graphql_response: bool,
    /// The request carried a credential (`Authorization` or `X-Api-Key`).
    credentialed: bool,
    over_get: bool,
    /// `Cache-Control` of a shareable answer.
    public: HeaderValue,
}

impl Answering {
    pub fn new(headers: &HeaderMap, over_get: bool, public_max_age_secs: u64) -> Self {
        let credentialed = credentialed(headers);
        let public = HeaderValue::from_str(&format!("public, max-age={public_max_age_secs}"))
            .unwrap_or(NO_STORE);
        Self {
            graphql_response: prefers_graphql_response(headers),
            credentialed,
            over_get,
            public,
        }
    }

    /// The answer to what ran (or was refused by async-graphql before running).
    pub fn executed(&self, answer: BatchResponse) -> Response {
        let (status, body, shareable) = match &answer {
            BatchResponse::Single(response) => {
                let refused = never_ran(response);
                let status = if any_error(response, ONLY_QUERIES_OVER_GET) {
                    StatusCode::METHOD_NOT_ALLOWED
                } else if any_error(response, UNAVAILABLE) {
                    // A load balancer or client retry policy reads the status, not the body.
                    StatusCode::SERVICE_UNAVAILABLE
                } else if refused && response.errors.iter().any(is_malformed_persisted_query) {
                    StatusCode::BAD_REQUEST
                } else if refused && any_code(response, "RATE_LIMITED") {
                    StatusCode::TOO_MANY_REQUESTS
                } else if refused && self.graphql_response {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::OK
                };
                let shareable = response.errors.is_empty();
                (status, body_of(response), shareable)
            }
            BatchResponse::Batch(responses) => {
                let unavailable = responses.iter().any(|r| any_error(r, UNAVAILABLE));
                let status = match unavailable {
                    true => StatusCode::SERVICE_UNAVAILABLE,
                    false => StatusCode::OK,
                };
                let bodies: Vec<serde_json::Value> = responses.iter().map(value_of).collect();
                let shareable = responses.iter().all(|r| r.errors.is_empty());
                let body = serde_json::to_vec(&bodies).unwrap_or_default();
                (status, body, shareable)
            }
        };
        self.respond(status, body, shareable)
    }

    /// A request refused before it reached the schema.
    pub fn refused(&self, status: StatusCode, message: &str, code: &str) -> Response {
        let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
        self.respond(status, body.to_string().into_bytes(), false)
    }

    /// A malformed request: `400`, whatever the media type.
    pub fn malformed(&self, message: &str) -> Response {
        self.refused(StatusCode::BAD_REQUEST, message, codes::BAD_USER_INPUT)
    }

    fn respond(&self, status: StatusCode, body: Vec<u8>, shareable: bool) -> Response {
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        let content_type = match self.graphql_response {
            true => GRAPHQL_RESPONSE_JSON,
            false => JSON,
        };
        headers.insert(header::CONTENT_TYPE, content_type);
        // `Vary`, and `private` for a credential, are set on every answer by [`mark`].
        let cache = if self.credentialed {
            PRIVATE
        } else if self.over_get && shareable && status == StatusCode::OK {
            self.public.clone()
        } else {
            NO_STORE
        };
        headers.insert(header::CACHE_CONTROL, cache);
        if status == StatusCode::METHOD_NOT_ALLOWED {
            headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

/// What every answer of `/graphql` says about caching, the guard's and the limits' refusals
/// included: `Vary` on the headers answers depend on, and `private, no-store` for a request that
/// carried a credential, whatever answered it.
pub fn mark(response: &mut Response, credentialed: bool) {
    let headers = response.headers_mut();
    if credentialed {
        headers.insert(header::CACHE_CONTROL, PRIVATE);
    } else if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, NO_STORE);
    }
    headers.append(header::VARY, VARY);
}

/// Whether a request carries a credential (`Authorization` or `X-Api-Key`), valid or not.
pub fn credentialed(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION) || headers.contains_key("x-api-key")
}

/// Whether nothing ran: no data and only errors raised before execution (those have no path).
fn never_ran(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn any_error(response: &async_graphql::Response, message: &str) -> bool {
    response.errors.iter().any(|e| e.message == message)
}

fn any_code(response: &async_graphql::Response, code: &str) -> bool {
    response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .is_some_and(|value| *value == async_graphql::Value::from(code))
    })
}

/// The JSON of one response; without `data` when nothing ran, as the GraphQL spec says.
fn body_of(response: &async_graphql::Response) -> Vec<u8> {
    match never_ran(response) {
        true => serde_json::to_vec(&value_of(response)),
        // The common case, written straight from the response.
        false => serde_json::to_vec(response),
    }
    .unwrap_or_default()
}

fn value_of(response: &async_graphql::Response) -> serde_json::Value {
    let mut body = serde_json::to_value(response).unwrap_or_default();
    if never_ran(response)
        && let Some(fields) = body.as_object_mut()
    {
        fields.remove("data");
    }
    body
}

/// Whether `application/graphql-response+json` comes before `application/json` (or any range
/// that covers it) among the media types the client accepts, leaving out those it refuses
/// (`q=0`).
fn prefers_graphql_response(headers: &HeaderMap) -> bool {
    let accepted = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for range in accepted {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim();
        let refused = parts.any(|parameter| {
            parameter
                .split_once('=')
                .is_some_and(|(name, q)| name.trim() == "q" && q.trim().parse() == Ok(0.0))
        });
        if refused {
            continue;
        }
        if media.eq_ignore_ascii_case("application/graphql-response+json") {
            return true;
        }
        if ["application/json", "application/*", "*/*"]
            .iter()
            .any(|json| media.eq_ignore_ascii_case(json))
        {
            return false;
        }
    }
    false
}

/// The code async-graphql's own errors lack: a pathless one came before execution (an unknown
/// operation name, say) and is the document's fault; one with a path is an argument's.
pub fn coded(mut response: async_graphql::Response) -> async_graphql::Response {
    for error in &mut response.errors {
        let code = match error.path.is_empty() {
            true => codes::GRAPHQL_VALIDATION_FAILED,
            false => codes::BAD_USER_INPUT,
        };
        set_code_if_missing(error, code);
    }
    response
}

fn set_code_if_missing(error: &mut ServerError, code: &'static str) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        headers
    }

    #[test]
    fn the_first_acceptable_media_type_wins() {
        for (accept, graphql_response) in [
            ("application/graphql-response+json", true),
            ("application/graphql-response+json, application/json", true),
            ("application/json, application/graphql-response+json", false),
            ("application/json", false),
            ("*/*", false),
            ("text/html", false),
            (
                "application/json;q=0, application/graphql-response+json",
                true,
            ),
            (
                "application/graphql-response+json;q=0, application/json",
                false,
            ),
        ] {
            assert_eq!(
                prefers_graphql_response(&accepting(accept)),
                graphql_response,
                "{accept}"
            );
        }
        assert!(!prefers_graphql_response(&HeaderMap::new()));
    }
}
