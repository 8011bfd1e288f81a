//! The HTTP surface: `/graphql`, the Host-resolved REST routes, and health probes.

mod branding;
mod cacheable;
mod contact;
mod health;
mod host_tenant;
mod json_body;
mod well_known;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, Response};
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::error::AppError;
use crate::graphql;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application router.
pub fn app(state: AppState) -> Router {
    let schema = graphql::build_schema(state.clone());
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/branding", get(branding::branding))
        .route(
            "/api/contact",
            post(contact::contact).layer(contact::body_limit()),
        )
        .route(
            "/.well-known/apple-app-site-association",
            get(well_known::apple_app_site_association),
        )
        .route("/.well-known/assetlinks.json", get(well_known::assetlinks))
        .route("/.well-known/webauthn", get(well_known::webauthn))
        .route_service("/graphql", async_graphql_axum::GraphQL::new(schema))
        .fallback(|| async { AppError::NotFound("Not found".into()) })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .with_state(state)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(log_response),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        // Request ids are ours: one a client sent could forge or collide with another's in the logs.
        .layer(axum::middleware::map_request(
            |mut req: Request| async move {
                req.headers_mut().remove(REQUEST_ID);
                req
            },
        ))
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
