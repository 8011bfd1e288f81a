//! `/.well-known/*`: the documents Apple, Google and browsers fetch from a tenant's host before
//! they trust its apps and passkeys. Always valid JSON for a known tenant, empty lists when
//! nothing is declared.

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cacheable::{Document, IfNoneMatch, Respond};
use super::client_ip::PublicScheme;
use super::host_tenant::FromHost;
use super::responses::{BadHost, HostNotFound, RateLimited, Unavailable};
use crate::error::AppError;
use crate::services::app_links;
use crate::state::AppState;

/// The app-link and passkey documents under `/.well-known`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(apple_app_site_association))
        .routes(routes!(assetlinks))
        .routes(routes!(webauthn))
}

const CACHE_CONTROL: &str = "public, max-age=300";

/// Universal links and shared web credentials of the host's app for iOS.
#[utoipa::path(
    get,
    path = "/.well-known/apple-app-site-association",
    tag = "well-known",
    params(("If-None-Match" = Option<String>, Header, nullable = false,
        description = "An `ETag` from an earlier answer")),
    responses(
        (status = 200, body = schema::AppleAppSiteAssociation,
            description = "The document; empty lists when nothing is declared", headers(
            ("ETag" = String, description = "Strong tag over the body"),
            ("Cache-Control" = String),
            ("Vary" = String),
        )),
        (status = 304, description = "The client's copy (`If-None-Match`) is current",
            headers(("ETag" = String), ("Cache-Control" = String), ("Vary" = String))),
        (status = 400, response = BadHost),
        (status = 404, response = HostNotFound),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn apple_app_site_association(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    if_none_match: IfNoneMatch,
) -> Result<Response, AppError> {
    let document = state
        .documents
        .get(
            Document::AppleAppSiteAssociation,
            &host.host,
            host.tenant.id(),
            || async {
                let links = app_links::for_host(&state.db, &host).await?;
                Ok(app_links::apple_app_site_association(&links))
            },
        )
        .await?;
    Ok(document.respond(&if_none_match, CACHE_CONTROL))
}

/// App links and shared sign-in credentials of the host's app for Android.
#[utoipa::path(
    get,
    path = "/.well-known/assetlinks.json",
    tag = "well-known",
    params(("If-None-Match" = Option<String>, Header, nullable = false,
        description = "An `ETag` from an earlier answer")),
    responses(
        (status = 200, body = [schema::AssetLinkStatement],
            description = "The document; empty lists when nothing is declared", headers(
            ("ETag" = String, description = "Strong tag over the body"),
            ("Cache-Control" = String),
            ("Vary" = String),
        )),
        (status = 304, description = "The client's copy (`If-None-Match`) is current",
            headers(("ETag" = String), ("Cache-Control" = String), ("Vary" = String))),
        (status = 400, response = BadHost),
        (status = 404, response = HostNotFound),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn assetlinks(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    if_none_match: IfNoneMatch,
) -> Result<Response, AppError> {
    let document = state
        .documents
        .get(
            Document::AssetLinks,
            &host.host,
            host.tenant.id(),
            || async {
                let links = app_links::for_host(&state.db, &host).await?;
                Ok(app_links::assetlinks(&links))
            },
        )
        .await?;
    Ok(document.respond(&if_none_match, CACHE_CONTROL))
}

/// The origins whose passkeys this host's relying party accepts.
#[utoipa::path(
    get,
    path = "/.well-known/webauthn",
    tag = "well-known",
    params(("If-None-Match" = Option<String>, Header, nullable = false,
        description = "An `ETag` from an earlier answer")),
    responses(
        (status = 200, body = schema::WebauthnOrigins,
            description = "The document; empty lists when nothing is declared", headers(
            ("ETag" = String, description = "Strong tag over the body"),
            ("Cache-Control" = String),
            ("Vary" = String),
        )),
        (status = 304, description = "The client's copy (`If-None-Match`) is current",
            headers(("ETag" = String), ("Cache-Control" = String), ("Vary" = String))),
        (status = 400, response = BadHost),
        (status = 404, response = HostNotFound),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn webauthn(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    PublicScheme(scheme): PublicScheme,
    if_none_match: IfNoneMatch,
) -> Result<Response, AppError> {
    let document = state
        .documents
        .get(
            Document::Webauthn { scheme },
            &host.host,
            host.tenant.id(),
            || async {
                let links = app_links::for_host(&state.db, &host).await?;
                app_links::webauthn(&state.db, &host, &links, scheme).await
            },
        )
        .await?;
    Ok(document.respond(&if_none_match, CACHE_CONTROL))
}

/// The documents as OpenAPI describes them: only described, never built (the handlers build
/// JSON values).
#[expect(dead_code, reason = "described for OpenAPI, never built")]
mod schema {
    use utoipa::ToSchema;

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
}
