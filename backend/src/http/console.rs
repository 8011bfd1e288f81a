//! The console: a web dashboard for operators and tenant admins, served on every `ADMIN_CONSOLE`
//! host (`admin.<base>` for the platform, `<slug>-admin.<base>` and custom admin domains for each
//! tenant). It is static files, embedded in the binary; everything it shows comes from
//! `/api/branding`, `/auth/*` and `/graphql` like any other client's.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::embedded::Embedded;
use super::host_tenant::FromHost;
use super::middleware::limits::PublicBudget;
use super::responses::{BadHost, HostNotFound, RateLimited, Unavailable};
use crate::config::apps::ADMIN_CONSOLE;
use crate::error::AppError;
use crate::state::AppState;

/// `/` and `/console/{file}`, within the anonymous per-IP budget ([`PublicBudget`]).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(page))
        .routes(routes!(file))
}

/// Scripts and styles only from this host; no inline code, no framing. Images (tenant logos) may
/// come from anywhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src * data:; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The files under `backend/console/`, by name.
macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../console/", $name)))),*]
    };
}

const FILES: &[(&str, &[u8])] = embed![
    "index.html",
    "console.css",
    "main.js",
    "api.js",
    "http.js",
    "session.js",
    "ui.js",
    "colour.js",
    "signin.js",
    "account.js",
    "tenants.js",
    "overview.js",
    "domains.js",
    "keys.js",
    "branding.js",
    "applinks.js",
    "members.js",
    "leads.js",
    "audit.js",
];

static ASSETS: LazyLock<Embedded> = LazyLock::new(|| Embedded::new(FILES, CONTENT_SECURITY_POLICY));

/// The console's page.
#[utoipa::path(
    get,
    path = "/",
    tag = "console",
    params(("If-None-Match" = Option<String>, Header, nullable = false,
        description = "An `ETag` from an earlier answer")),
    responses(
        (status = 200, description = "The console, on an admin host", content_type = "text/html",
            body = String),
        (status = 304, description = "The client's copy (`If-None-Match`) is current"),
        (status = 400, response = BadHost),
        (status = 404, response = HostNotFound),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn page(
    _: PublicBudget,
    host: FromHost,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve(&host, "index.html", &headers)
}

/// One of the console's scripts or style sheets.
#[utoipa::path(
    get,
    path = "/console/{file}",
    tag = "console",
    params(
        ("file" = String, Path, description = "`main.js`, `console.css`, …"),
        ("If-None-Match" = Option<String>, Header, nullable = false,
            description = "An `ETag` from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The file", content_type = "text/javascript", body = String),
        (status = 304, description = "The client's copy (`If-None-Match`) is current"),
        (status = 400, response = BadHost),
        (status = 404, response = HostNotFound),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn file(
    _: PublicBudget,
    host: FromHost,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve(&host, &file, &headers)
}

fn serve(FromHost(host): &FromHost, name: &str, headers: &HeaderMap) -> Result<Response, AppError> {
    if host.app.as_deref() != Some(ADMIN_CONSOLE) {
        return Err(AppError::NotFound(format!(
            "'{}' serves no console: it is on the tenant's admin host",
            host.host
        )));
    }
    ASSETS.serve(name, headers, &format!("The console has no file '{name}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file added to `backend/console/` but not to `FILES` would be missing from the binary.
    #[test]
    fn every_console_file_is_embedded() {
        let on_disk =
            super::super::embedded::on_disk(concat!(env!("CARGO_MANIFEST_DIR"), "/console"));
        let mut embedded: Vec<String> = FILES.iter().map(|(name, _)| name.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }
}
