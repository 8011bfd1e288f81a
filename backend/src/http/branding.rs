//! `GET /api/branding`: the host's branding, flat, for a page's first paint.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::cacheable::cacheable_json;
use super::host_tenant::FromHost;
use crate::error::AppError;
use crate::services::branding;
use crate::state::AppState;

/// Browsers and CDNs may keep it briefly and revalidate cheaply with `If-None-Match`.
const CACHE_CONTROL: &str = "public, max-age=60";

pub async fn branding(
    State(state): State<AppState>,
    FromHost(host): FromHost,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let document = branding::for_host(&state.db, &host).await?;
    cacheable_json(&headers, &document, CACHE_CONTROL)
}
