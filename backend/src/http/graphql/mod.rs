//! `/graphql` over HTTP: `GET` runs queries (and serves GraphiQL to a browser that asks for a
//! page), `POST` runs anything, one request or a batch; the guard's principal joins each request.
//! [`request`] reads the HTTP request, [`answer`] writes the answer.

mod answer;
mod request;
mod socket;

use async_graphql::BatchRequest;
use async_graphql_axum::GraphQLProtocol;
use axum::body::to_bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};

pub use self::answer::{credentialed, mark};

use self::answer::{Answering, coded};
use self::request::Unreadable;
use super::graphiql;
use super::host_tenant::FromHost;
use crate::auth::principal::{CallerIp, Principal};
use crate::error::AppError;
use crate::graphql::{AppSchema, OverGet, beyond_the_request, codes};
use crate::services::invitations::PublicOrigin;
use crate::state::AppState;

/// What the guard put on the request: taken off it rather than copied, as the request is not
/// handed on.
fn admitted(req: &mut Request) -> Option<(Principal, CallerIp, PublicOrigin)> {
    let extensions = req.extensions_mut();
    Some((
        extensions.remove::<Principal>()?,
        extensions.remove::<CallerIp>()?,
        extensions.remove::<PublicOrigin>()?,
    ))
}

pub async fn execute(
    State(state): State<AppState>,
    schema: AppSchema,
    mut req: Request,
) -> Response {
    let Some((principal, caller_ip, origin)) = admitted(&mut req) else {
        return AppError::internal("/graphql was reached without passing its guard")
            .into_response();
    };
    // Only a POST may change anything: a HEAD (routed with GET) is held to GET's rules.
    let over_get = req.method() != Method::POST;
    let answering = Answering::new(
        req.headers(),
        over_get,
        state.config.graphql.public_max_age_secs,
    );
    let (mut parts, body) = req.into_parts();
    if over_get && parts.headers.contains_key(header::UPGRADE) {
        return subscribe(state, schema, &mut parts, caller_ip).await;
    }
    let read = match over_get {
        true => request::from_query(&parts.uri).map(|r| BatchRequest::Single(r.data(OverGet))),
        // The guard's layer has read the whole body already, within the size limit.
        false => match to_bytes(body, usize::MAX).await {
            Ok(body) => request::from_body(&parts.headers, &body),
            Err(_) => Err(Unreadable::Malformed("the body could not be read".into())),
        },
    };
    let request = match read {
        Ok(request) => request,
        Err(Unreadable::NoQuery) => return graphiql_or_400(&state, &mut parts, &answering).await,
        Err(Unreadable::NotJson) => {
            return answering.refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "a POST to /graphql sends Content-Type: application/json",
                codes::BAD_USER_INPUT,
            );
        }
        Err(Unreadable::Malformed(message)) => return answering.malformed(&message),
    };
    if let BatchRequest::Batch(batch) = &request
        && batch.len() > state.config.graphql.max_batch
    {
        // Refused before anything runs, so not a 200.
        let message = format!(
            "a batch may hold at most {} operations; this one holds {}",
            state.config.graphql.max_batch,
            batch.len()
        );
        return answering.refused(
            StatusCode::BAD_REQUEST,
            &message,
            codes::GRAPHQL_VALIDATION_FAILED,
        );
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
    let request = request.data(principal).data(caller_ip).data(origin);
    let answer = match schema.execute_batch(request).await {
        async_graphql::BatchResponse::Single(response) => {
            async_graphql::BatchResponse::Single(coded(response))
        }
        async_graphql::BatchResponse::Batch(responses) => {
            async_graphql::BatchResponse::Batch(responses.into_iter().map(coded).collect())
        }
    };
    answering.executed(answer)
}

/// A WebSocket upgrade: subscriptions ([`socket`]).
async fn subscribe(
    state: AppState,
    schema: AppSchema,
    parts: &mut Parts,
    caller_ip: CallerIp,
) -> Response {
    let upgrade = match WebSocketUpgrade::from_request_parts(parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(refused) => return refused.into_response(),
    };
    // Only graphql-transport-ws, whatever else the client offers.
    let offered = parts
        .headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|protocol| protocol.trim() == socket::PROTOCOL);
    if !offered {
        let message = format!("subscriptions speak the {} subprotocol", socket::PROTOCOL);
        return (StatusCode::BAD_REQUEST, message).into_response();
    }
    let (mut only, ()) = axum::http::Request::builder()
        .header(header::SEC_WEBSOCKET_PROTOCOL, socket::PROTOCOL)
        .body(())
        .unwrap_or_default()
        .into_parts();
    let protocol = match GraphQLProtocol::from_request_parts(&mut only, &state).await {
        Ok(protocol) => protocol,
        Err(refused) => return refused.into_response(),
    };
    let origin = parts.headers.get(header::ORIGIN).cloned();
    socket::upgrade(state, schema, upgrade, protocol, origin, caller_ip)
}

/// A `GET` without a query: GraphiQL for a browser where GraphiQL is served, `400` otherwise.
async fn graphiql_or_400(state: &AppState, parts: &mut Parts, answering: &Answering) -> Response {
    let wants_a_page = parts
        .headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|accept| accept.contains("text/html"));
    if wants_a_page {
        let host = FromHost::from_request_parts(parts, state).await;
        if let Some(page) = graphiql::page(state, host, &parts.headers) {
            return page;
        }
    }
    answering.malformed("a GET to /graphql needs a `query` (or a persisted query's hash)")
}

/// What a request costs a per-IP budget: one per operation in a batch, and one more per
/// [`BYTES_PER_REQUEST`](crate::graphql::BYTES_PER_REQUEST) of each document, so that neither
/// batching nor a document near the size limits buys more work than the same number of small
/// requests would. (A document sent by its hash is charged once it is looked up.)
fn cost(request: &BatchRequest) -> usize {
    let one = |r: &async_graphql::Request| 1 + beyond_the_request(&r.query);
    match request {
        BatchRequest::Single(request) => one(request),
        BatchRequest::Batch(batch) => batch.iter().map(one).sum(),
    }
}
