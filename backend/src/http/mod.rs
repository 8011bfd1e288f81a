//! The HTTP surface: `/graphql`, the Host-resolved REST routes, health probes, and the OpenAPI
//! document of the REST routes.

mod auth;
mod branding;
pub mod cacheable;
pub mod client_ip;
mod console;
mod contact;
mod embedded;
mod graphiql;
mod graphql;
mod health;
mod host_tenant;
mod json_body;
mod jwks;
pub mod listener;
pub mod middleware;
pub mod openapi;
pub mod responses;
mod well_known;

use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, Response, StatusCode, header};
use axum::routing::get;
use axum::{Extension, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use self::middleware::{guard, limits, read_your_writes};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::error::AppError;
use crate::graphql as schema;
use crate::metrics;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application router: each REST module's router (with its OpenAPI entries), the
/// GraphiQL assets and `/graphql`, then the layers every request passes.
pub fn app(state: AppState) -> Router {
    let (rest, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(console::router(&state))
        .merge(health::router())
        .merge(openapi::router())
        .merge(branding::router(&state))
        .merge(contact::router())
        .merge(well_known::router())
        .merge(jwks::router())
        .merge(auth::router())
        .split_for_parts();
    openapi::publish(&document);
    rest.route("/graphiql/{file}", get(graphiql::file))
        .merge(graphql_routes(state.clone()))
        .fallback(|| async { AppError::NotFound("Not found".into()) })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        // Route layers (they see the matched route pattern); the metrics count what the limits
        // refuse too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            read_your_writes::catch_up,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::deadline,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::header_size,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .with_state(state)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(log_response),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::from_fn(guard::strip_identity_headers))
        // Request ids are ours: one a client sent could forge or collide with another's in the logs.
        .layer(axum::middleware::map_request(
            |mut req: Request| async move {
                req.headers_mut().remove(REQUEST_ID);
                req
            },
        ))
}

/// Forms and sign-in bodies are small: a larger body is refused (413) before it is parsed.
pub(crate) fn small_body() -> DefaultBodyLimit {
    DefaultBodyLimit::max(64 * 1024)
}

/// `/graphql`, behind the guard, answering CORS for browsers on verified tenant hosts.
fn graphql_routes(state: AppState) -> Router<AppState> {
    let origins = {
        let state = state.clone();
        AllowOrigin::async_predicate(move |origin: HeaderValue, _| {
            let state = state.clone();
            async move {
                let Ok(origin) = origin.to_str() else {
                    return false;
                };
                matches!(guard::origin_tenant(&state, origin).await, Ok(Some(_)))
            }
        })
    };
    let cors = CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-api-key"),
        ])
        .max_age(Duration::from_secs(600));
    // The route declares OPTIONS: the outer router answers 405 to an undeclared method before any
    // layer here could answer the preflight.
    let graphql = get(graphiql::page)
        .post(graphql::execute)
        .options(|| async { StatusCode::NO_CONTENT });
    Router::new()
        .route("/graphql", graphql)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::authenticate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::body_size,
        ))
        .layer(Extension(schema::build_schema(state)))
        .layer(cors)
}

fn request_span(req: &Request<Body>) -> Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        tenant = tracing::field::Empty,
    )
}

fn log_response(res: &Response<Body>, latency: Duration, _span: &Span) {
    tracing::info!(
        status = res.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request finished"
    );
}
