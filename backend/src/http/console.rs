//! The console: a web dashboard for operators and tenant admins, served on every `ADMIN_CONSOLE`
//! host (`admin.<base>` for the platform, `<slug>-admin.<base>` and custom admin domains for each
//! tenant). It is static files, embedded in the binary; everything it shows comes from
//! `/api/branding`, `/auth/*` and `/graphql` like any other client's.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::cacheable::Rendered;
use super::host_tenant::FromHost;
use super::openapi::{BadHost, HostNotFound, RateLimited, Unavailable};
use crate::error::AppError;
use crate::tenancy::catalog::ADMIN_CONSOLE;

/// Revalidate every time: a new build must reach browsers at once, and a `304` costs little.
const CACHE_CONTROL: &str = "no-cache";

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
    "ui.js",
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

static ASSETS: LazyLock<HashMap<&'static str, Rendered>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(name, body)| (name, Rendered::bytes(body.into(), content_type(name))))
        .collect()
});

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        _ => "application/octet-stream",
    }
}

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
pub async fn page(host: FromHost, headers: HeaderMap) -> Result<Response, AppError> {
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
    let asset = ASSETS
        .get(name)
        .ok_or_else(|| AppError::NotFound(format!("The console has no file '{name}'")))?;
    let security = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ];
    Ok((security, asset.respond(headers, CACHE_CONTROL)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file added to `backend/console/` but not to `FILES` would be missing from the binary.
    #[test]
    fn every_console_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/console");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("backend/console exists")
            .map(|entry| entry.expect("a directory entry").file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = FILES.iter().map(|(name, _)| name.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn files_are_served_with_their_type() {
        assert_eq!(content_type("main.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("console.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
    }
}
