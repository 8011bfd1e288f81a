//! `/.well-known/*`: the documents Apple, Google and browsers fetch from a tenant's host before
//! they trust its apps and passkeys. Always valid JSON for a known tenant, empty lists when
//! nothing is declared.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::cacheable::cacheable_json;
use super::host_tenant::FromHost;
use crate::error::AppError;
use crate::services::app_links;
use crate::state::AppState;

const CACHE_CONTROL: &str = "public, max-age=300";

pub async fn apple_app_site_association(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let links = app_links::for_host(&state.db, &host).await?;
    cacheable_json(
        &headers,
        &app_links::apple_app_site_association(&links),
        CACHE_CONTROL,
    )
}

pub async fn assetlinks(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let links = app_links::for_host(&state.db, &host).await?;
    cacheable_json(&headers, &app_links::assetlinks(&links), CACHE_CONTROL)
}

pub async fn webauthn(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let links = app_links::for_host(&state.db, &host).await?;
    let document = app_links::webauthn(&state.db, &host, &links).await?;
    cacheable_json(&headers, &document, CACHE_CONTROL)
}
