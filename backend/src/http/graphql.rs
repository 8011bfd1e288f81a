//! `/graphql`: the guard's principal joins each request.

use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::principal::CallerIp;
use crate::auth::principal::Principal;
use crate::error::UNAVAILABLE;
use crate::graphql::AppSchema;
use crate::state::AppState;

pub async fn execute(
    State(state): State<AppState>,
    schema: AppSchema,
    Extension(principal): Extension<Principal>,
    Extension(caller_ip): Extension<CallerIp>,
    request: GraphQLBatchRequest,
) -> Response {
    let request = request.into_inner();
    if let BatchRequest::Batch(batch) = &request
        && batch.len() > state.config.graphql.max_batch
    {
        // Refused before anything runs, so not a 200.
        let message = format!(
            "a batch may hold at most {} operations; this one holds {}",
            state.config.graphql.max_batch,
            batch.len()
        );
        let body = json!({ "data": null, "errors": [{ "message": message, "extensions": { "code": "BAD_USER_INPUT" } }] });
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    if principal.tenant.is_none() || principal.is_public_key() {
        // The guard spent one request of the client's per-IP budget; what the batch and its
        // documents cost beyond that is spent now, at once, before anything is parsed or run.
        let beyond = u32::try_from(cost(&request) - 1).unwrap_or(u32::MAX);
        if beyond > 0
            && let Err(refused) = state.limits.graphql_ip_weighing(caller_ip.0, beyond).await
        {
            return refused.into_response();
        }
    }
    let request = request.data(principal).data(caller_ip);
    let answer = match schema.execute_batch(request).await {
        BatchResponse::Single(response) => BatchResponse::Single(coded(response)),
        BatchResponse::Batch(responses) => {
            BatchResponse::Batch(responses.into_iter().map(coded).collect())
        }
    };
    let responses = match &answer {
        BatchResponse::Single(response) => std::slice::from_ref(response),
        BatchResponse::Batch(responses) => responses.as_slice(),
    };
    let unavailable = responses
        .iter()
        .flat_map(|response| &response.errors)
        .any(|error| error.message == UNAVAILABLE);
    let mut response = GraphQLResponse::from(answer).into_response();
    if unavailable {
        // A load balancer or client retry policy reads the status, not the body.
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    response
}

/// Bytes of document text that cost one request of a per-IP budget.
const BYTES_PER_REQUEST: usize = 2048;

/// What a request costs a per-IP budget: one per operation in a batch, and one more per
/// [`BYTES_PER_REQUEST`] of each document, so that neither batching nor a document near the size
/// limits buys more work than the same number of small requests would.
fn cost(request: &BatchRequest) -> usize {
    let one = |r: &async_graphql::Request| 1 + r.query.len() / BYTES_PER_REQUEST;
    match request {
        BatchRequest::Single(request) => one(request),
        BatchRequest::Batch(batch) => batch.iter().map(one).sum(),
    }
}

/// Errors async-graphql raises itself (syntax, validation, depth and complexity limits, argument
/// coercion) carry no code; they are all the client's input, so they get `BAD_USER_INPUT`.
/// Errors from resolvers already carry theirs.
fn coded(mut response: async_graphql::Response) -> async_graphql::Response {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
    }
    response
}
