//! GraphiQL, for exploring the schema in a browser: served from the binary (a pinned GraphiQL
//! bundle, under `backend/graphiql/`), never from a third-party CDN, under a Content-Security-Policy
//! that allows scripts from this host only. Only while introspection is on (`serve --demo`, or
//! `graphql_introspection`), and never on an `ADMIN_CONSOLE` host: the console keeps its session in
//! that origin, and no script but the console's belongs there.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::embedded::Embedded;
use super::host_tenant::FromHost;
use crate::config::apps::ADMIN_CONSOLE;
use crate::error::AppError;
use crate::state::AppState;

/// Scripts only from this host; GraphiQL's editor sets inline styles, and its fonts are data URLs.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../graphiql/", $name)))),*]
    };
}

const FILES: &[(&str, &[u8])] = embed![
    "index.html",
    "page.css",
    "start.js",
    "graphiql.min.js",
    "graphiql.min.css",
    "react.production.min.js",
    "react-dom.production.min.js",
    "LICENSES.txt",
];

static ASSETS: LazyLock<Embedded> = LazyLock::new(|| Embedded::new(FILES, CONTENT_SECURITY_POLICY));

/// `GET /graphql` from a browser, without a query: the page, where GraphiQL is served.
pub fn page(
    state: &AppState,
    host: Result<FromHost, AppError>,
    headers: &HeaderMap,
) -> Option<Response> {
    serve(state, host, "index.html", headers).ok()
}

/// `GET /graphiql/{file}`: its scripts and styles.
pub async fn file(
    State(state): State<AppState>,
    host: Result<FromHost, AppError>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve(&state, host, &file, &headers)
}

fn serve(
    state: &AppState,
    host: Result<FromHost, AppError>,
    name: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    // A host of a tenant's other apps, or a host no tenant has (an address, `localhost`). Not a
    // host whose tenant cannot be served (suspended, say): that may be a console's host too.
    let allowed = match &host {
        Ok(FromHost(host)) => host.app.as_deref() != Some(ADMIN_CONSOLE),
        Err(AppError::DomainNotConfigured(_)) => true,
        Err(_) => false,
    };
    if !state.config.graphql.introspection || !allowed {
        return Err(AppError::NotFound("Not found".into()));
    }
    ASSETS.serve(name, headers, "Not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file added to `backend/graphiql/` but not to `FILES` would be missing from the binary.
    #[test]
    fn every_graphiql_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/graphiql");
        let on_disk = super::super::embedded::on_disk(dir);
        let mut embedded: Vec<String> = FILES.iter().map(|(name, _)| name.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn no_script_comes_from_elsewhere() {
        let page = String::from_utf8_lossy(FILES[0].1);
        assert!(page.contains("<script src=\"/graphiql/"));
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "{page}"
        );
        assert!(!page.contains("<script>"), "no inline script");
    }
}
