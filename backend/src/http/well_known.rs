//! `/.well-known/*`: the documents Apple, Google and browsers fetch from a tenant's host before
//! they trust its apps and passkeys. Always valid JSON for a known tenant, empty lists when
//! nothing is declared.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::cacheable::Document;
use super::client_ip::PublicScheme;
use super::host_tenant::FromHost;
use super::openapi::{
    AppleAppSiteAssociation, AssetLinkStatement, BadHost, HostNotFound, RateLimited, Unavailable,
    WebauthnOrigins,
};
use crate::error::AppError;
use crate::services::app_links;
use crate::state::AppState;

const CACHE_CONTROL: &str = "public, max-age=300";

/// Universal links and shared web credentials of the host's app for iOS.
#[utoipa::path(
    get,
    path = "/.well-known/apple-app-site-association",
    tag = "well-known",
    params(("If-None-Match" = Option<String>, Header, nullable = false,
        description = "An `ETag` from an earlier answer")),
    responses(
        (status = 200, body = AppleAppSiteAssociation,
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
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let document = state
        .documents
        .get(Document::AppleAppSiteAssociation, &host, || async {
            let links = app_links::for_host(&state.db, &host).await?;
            Ok(app_links::apple_app_site_association(&links))
        })
        .await?;
    Ok(document.respond(&headers, CACHE_CONTROL))
}

/// App links and shared sign-in credentials of the host's app for Android.
#[utoipa::path(
    get,
    path = "/.well-known/assetlinks.json",
    tag = "well-known",
    params(("If-None-Match" = Option<String>, Header, nullable = false,
        description = "An `ETag` from an earlier answer")),
    responses(
        (status = 200, body = [AssetLinkStatement],
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
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let document = state
        .documents
        .get(Document::AssetLinks, &host, || async {
            let links = app_links::for_host(&state.db, &host).await?;
            Ok(app_links::assetlinks(&links))
        })
        .await?;
    Ok(document.respond(&headers, CACHE_CONTROL))
}

/// The origins whose passkeys this host's relying party accepts.
#[utoipa::path(
    get,
    path = "/.well-known/webauthn",
    tag = "well-known",
    params(("If-None-Match" = Option<String>, Header, nullable = false,
        description = "An `ETag` from an earlier answer")),
    responses(
        (status = 200, body = WebauthnOrigins,
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
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let document = state
        .documents
        .get(Document::Webauthn { scheme }, &host, || async {
            let links = app_links::for_host(&state.db, &host).await?;
            app_links::webauthn(&state.db, &host, &links, scheme).await
        })
        .await?;
    Ok(document.respond(&headers, CACHE_CONTROL))
}
