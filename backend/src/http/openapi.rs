//! `GET /openapi.json`: the OpenAPI 3.1 document of the REST routes.
//!
//! Generated from the code (each handler's `#[utoipa::path]` and the `ToSchema` of the types it
//! reads and writes) rather than kept beside it by hand, so it moves with the handlers. The few
//! documents built as JSON values are described by schema-only types at the end of this file;
//! `.ci/schemathesis` checks those and everything else against a live server. `/graphql` is left
//! out: GraphQL describes itself, and its SDL is the committed `schema.graphql`.

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToResponse, ToSchema};

use super::{auth, branding, console, contact, health, jwks, well_known};
use crate::error::ErrorBody;

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
    paths(
        health::healthz,
        health::readyz,
        openapi_json,
        branding::branding,
        contact::contact,
        well_known::apple_app_site_association,
        well_known::assetlinks,
        well_known::webauthn,
        jwks::jwks,
        auth::email_start,
        auth::email_verify,
        auth::password_login,
        auth::reset_start,
        auth::reset_finish,
        auth::refresh,
        auth::logout,
        auth::elevate,
        auth::passkey_register_start,
        auth::passkey_register_finish,
        auth::passkey_login_start,
        auth::passkey_login_finish,
        console::page,
        console::file,
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

/// The document as served: built once, it never changes while the process runs.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .expect("the OpenAPI document serialises")
});

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
        DOCUMENT.as_str(),
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

// Error answers shared by many routes, referenced as `(status = …, response = …)`.

/// No `Host`, or one that is not a valid host name.
#[derive(ToResponse)]
pub struct BadHost(pub ErrorBody);

/// The host is not a verified domain (or is an address literal), or its tenant is suspended.
#[derive(ToResponse)]
pub struct HostNotFound(pub ErrorBody);

/// The body is over the route's limit (64 KiB).
#[derive(ToResponse)]
pub struct TooLarge(pub ErrorBody);

/// The body is not JSON (`Content-Type` is not `application/json` or `application/*+json`).
#[derive(ToResponse)]
pub struct NotJson(pub ErrorBody);

/// A field is missing or breaks a rule; `detail` starts with the field's name.
#[derive(ToResponse)]
pub struct Invalid(pub ErrorBody);

/// Too many attempts from this client or for this address; nothing was done.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u64, description = "Seconds to wait before trying again")))]
pub struct RateLimited(pub ErrorBody);

/// The database cannot be reached; nothing changed and the request may be retried.
#[derive(ToResponse)]
pub struct Unavailable(pub ErrorBody);

// Schemas of documents the handlers build as JSON values: only described, never built.

/// A JSON Web Key Set (RFC 7517) of Ed25519 keys (RFC 8037).
#[derive(ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One public key; retired keys stay listed while tokens they signed can still be valid.
#[derive(ToSchema)]
pub struct Jwk {
    #[schema(example = "OKP")]
    pub kty: String,
    #[schema(example = "Ed25519")]
    pub crv: String,
    #[schema(example = "EdDSA")]
    pub alg: String,
    #[schema(rename = "use", example = "sig")]
    pub use_: String,
    pub kid: String,
    /// The public key, base64url without padding.
    pub x: String,
}

/// Apple's associated-domains file
/// (<https://developer.apple.com/documentation/xcode/supporting-associated-domains>).
#[derive(ToSchema)]
pub struct AppleAppSiteAssociation {
    pub applinks: AppleAppLinks,
    pub webcredentials: AppleWebCredentials,
}

#[derive(ToSchema)]
pub struct AppleAppLinks {
    /// One entry covering every path when the app declares iOS apps; empty otherwise.
    pub details: Vec<AppleAppLinkDetail>,
}

#[derive(ToSchema)]
pub struct AppleAppLinkDetail {
    /// `<team id>.<bundle id>`.
    #[schema(rename = "appIDs")]
    pub app_ids: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub components: Vec<serde_json::Value>,
}

#[derive(ToSchema)]
pub struct AppleWebCredentials {
    pub apps: Vec<String>,
}

/// One Digital Asset Links statement
/// (<https://developers.google.com/digital-asset-links/v1/getting-started>).
#[derive(ToSchema)]
pub struct AssetLinkStatement {
    pub relation: Vec<String>,
    pub target: AssetLinkTarget,
}

#[derive(ToSchema)]
pub struct AssetLinkTarget {
    #[schema(example = "android_app")]
    pub namespace: String,
    pub package_name: String,
    pub sha256_cert_fingerprints: Vec<String>,
}

/// WebAuthn related origins (<https://w3c.github.io/webauthn/#sctn-related-origins>).
#[derive(ToSchema)]
pub struct WebauthnOrigins {
    pub origins: Vec<String>,
}
