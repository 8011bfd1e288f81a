//! `GET /openapi.json`: the OpenAPI 3.1 document of the REST routes.
//!
//! Generated from the code (each handler's `#[utoipa::path]` and the `ToSchema` of the types it
//! reads and writes) rather than kept beside it by hand: each route module's router (utoipa-axum)
//! carries its routes' entries, so a route and its description are written once, together. The few
//! documents built as JSON values are described by schema-only types beside their handlers;
//! `.ci/schemathesis` checks those and everything else against a live server. `/graphql` is left
//! out: GraphQL describes itself, and its SDL is the committed `schema.graphql`.

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::responses::{
    BadHost, HostNotFound, Invalid, NotJson, RateLimited, TooLarge, Unavailable,
};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tenantry REST API",
        description = "The REST routes of Tenantry. Routes under `/api`, `/auth` and most of \
            `/.well-known` serve the tenant of the request's host (`Host`, or `X-Forwarded-Host` / \
            `Forwarded` from a trusted proxy): a host that is no verified domain answers 404. \
            Every error answer is `{\"detail\": string}`.\n\n\
            GraphQL is served at `/graphql` (`POST`; `GET` opens GraphiQL where introspection is \
            on) and is not described here: its SDL is `schema.graphql` in the repository, also \
            printed by `tenantry schema`.",
    ),
    components(responses(
        BadHost,
        HostNotFound,
        TooLarge,
        NotJson,
        Invalid,
        RateLimited,
        Unavailable,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Probes for load balancers and orchestrators"),
        (name = "site", description = "What a tenant's pages need: branding and the contact form"),
        (name = "well-known", description = "Documents fetched from a tenant's host (RFC 8615)"),
        (name = "auth", description = "Sign-in on a tenant's host, for `/graphql`'s Bearer token"),
        (name = "console", description = "The web console, on each tenant's admin host"),
        (name = "meta", description = "This document"),
    ),
)]
pub struct ApiDoc;

/// The document as served: the routers' entries gathered once, when the first router is built; it
/// never changes while the process runs.
static DOCUMENT: OnceLock<String> = OnceLock::new();

/// `/openapi.json`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// Serves `document`: every route's entry, gathered from the routers.
pub fn publish(document: &utoipa::openapi::OpenApi) {
    DOCUMENT.get_or_init(|| document.to_json().expect("the OpenAPI document serialises"));
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of the REST routes",
        content_type = "application/json", body = Object)),
)]
pub async fn openapi_json() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT.get().map_or("{}", String::as_str),
    )
}

/// `Authorization: Bearer <access token>`, as handed out by the sign-in routes.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}
