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

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, Response, StatusCode, header};
use axum::routing::{MethodFilter, get, on};
use tower::ServiceBuilder;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use self::middleware::guard::{self, REQUEST_ID};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::error::AppError;
use crate::graphql as schema;
use crate::state::AppState;

/// The whole application router: each REST module's router (with its OpenAPI entries), the
/// GraphiQL assets and `/graphql`, then the layers every request passes.
pub fn app(state: AppState) -> Router {
    let (rest, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(console::router())
        .merge(health::router())
        .merge(openapi::router())
        .merge(branding::router())
        .merge(contact::router())
        .merge(well_known::router())
        .merge(jwks::router())
        .merge(auth::router())
        .split_for_parts();
    openapi::publish(&document);
    let routes = rest
        .route("/graphiql/{file}", get(graphiql::file))
        .merge(graphql_routes(state.clone()))
        .fallback(|| async { AppError::NotFound("Not found".into()) })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        // A route layer: it sees the matched route pattern, and the metrics count what the limits
        // refuse too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::every_route,
        ))
        .with_state(state);
    // Around the whole router rather than around each route: a `Router::layer` wraps every route
    // in a boxed service of its own, which each request would clone and drop.
    let around = ServiceBuilder::new()
        .layer(axum::middleware::from_fn(guard::strip_client_headers))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(log_response),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .service(routes);
    Router::new().fallback_service(around)
}

/// Forms and sign-in bodies are small: a larger body is refused (413) before it is parsed, and one
/// declared larger before it is read ([`json_body::JsonBody`]).
pub(crate) fn small_body() -> DefaultBodyLimit {
    DefaultBodyLimit::max(middleware::limits::SMALL_BODY)
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
        // A page's script may read how long to wait after a 429 and the id of a request to report.
        .expose_headers([header::RETRY_AFTER, REQUEST_ID])
        .max_age(Duration::from_secs(600));
    let schema = schema::build_schema(state.clone());
    let methods = on(
        MethodFilter::GET.or(MethodFilter::POST),
        move |state, request| graphql::execute(state, schema, request),
    )
    .options(|| async { StatusCode::NO_CONTENT })
    .fallback(|| async { AppError::MethodNotAllowed })
    .with_state(state.clone());
    // One service (CORS, then the body-size limit and the guard) rather than a layer each.
    let guarded = ServiceBuilder::new()
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(
            state,
            middleware::graphql,
        ))
        .service(methods);
    Router::new().route_service("/graphql", guarded)
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
        path = %LoggedPath(req.uri().path()),
        tenant = tracing::field::Empty,
    )
}

/// A request's path as the log shows it: its first [`LoggedPath::MAX`] bytes, with anything but
/// printable ASCII (and the quotes and braces of the line's own syntax) percent-encoded. A path
/// comes from anyone: unencoded, a line separator or a right-to-left override in it could make a
/// log line read as another, and an unrouted path of 64 KiB would be logged whole.
struct LoggedPath<'a>(&'a str);

impl LoggedPath<'_> {
    const MAX: usize = 256;
}

impl std::fmt::Display for LoggedPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        let bytes = self.0.as_bytes();
        for &byte in &bytes[..bytes.len().min(Self::MAX)] {
            match byte {
                b'"' | b'{' | b'}' | b'\\' => write!(f, "%{byte:02X}")?,
                b'!'..=b'~' => f.write_char(char::from(byte))?,
                _ => write!(f, "%{byte:02X}")?,
            }
        }
        if bytes.len() > Self::MAX {
            f.write_str("…")?;
        }
        Ok(())
    }
}

fn log_response(res: &Response<Body>, latency: Duration, _span: &Span) {
    // To the microsecond: `0.063`, not `0.06260700000000001`.
    let micros = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
    tracing::info!(
        status = res.status().as_u16(),
        latency_ms = f64::from(micros) / 1000.0,
        "request finished"
    );
}
