//! `GET /api/branding`: the host's branding, flat, for a page's first paint.

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cacheable::{Document, IfNoneMatch, Respond};
use super::host_tenant::FromHost;
use super::middleware::limits::PublicBudget;
use super::responses::{BadHost, HostNotFound, RateLimited, Unavailable};
use crate::entities::branding::with_branding_fields;
use crate::error::AppError;
use crate::services::branding;
use crate::state::AppState;

/// `/api/branding`, within the anonymous per-IP budget.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(branding))
}

macro_rules! document_schema {
    ($($field:ident: $column:ident,)*) => {
        /// The flat document `GET /api/branding` serves: the schema of what the service renders.
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code)]
        struct BrandingDocument {
            tenant_slug: String,
            tenant_name: String,
            app: Option<String>,
            $($field: Option<String>,)*
        }
    };
}
with_branding_fields!(document_schema);

/// Browsers and CDNs may keep it briefly and revalidate cheaply with `If-None-Match`.
const CACHE_CONTROL: &str = "public, max-age=60";

/// The branding of the host's app, over its tenant's defaults.
#[utoipa::path(
    get,
    path = "/api/branding",
    tag = "site",
    params(("If-None-Match" = Option<String>, Header, nullable = false,
        description = "An `ETag` from an earlier answer")),
    responses(
        (status = 200, description = "The host's branding", body = BrandingDocument, headers(
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
pub async fn branding(
    _: PublicBudget,
    State(state): State<AppState>,
    FromHost(host): FromHost,
    if_none_match: IfNoneMatch,
) -> Result<Response, AppError> {
    let document = state
        .documents
        .get(Document::Branding, &host.host, host.tenant.id(), || {
            branding::for_host(&state.db, &host)
        })
        .await?;
    Ok(document.respond(&if_none_match, CACHE_CONTROL))
}
