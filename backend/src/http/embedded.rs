//! Files built into the binary (the console, GraphiQL), each served with an `ETag`, revalidated on
//! every use, and under its set's Content-Security-Policy with the usual hardening headers.

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::cacheable::{IfNoneMatch, Rendered, Respond};
use crate::error::AppError;

/// Revalidate every time: a new build must reach browsers at once, and a `304` costs little.
const CACHE_CONTROL: &str = "no-cache";

/// One set of embedded files and the policy they are served under.
pub struct Embedded {
    files: HashMap<&'static str, Rendered>,
    policy: &'static str,
}

impl Embedded {
    pub fn new(files: &[(&'static str, &'static [u8])], policy: &'static str) -> Self {
        let files = files
            .iter()
            .map(|&(name, body)| (name, Rendered::bytes(body.into(), content_type(name))))
            .collect();
        Self { files, policy }
    }

    /// The file `name`, or `None` when the set has no such file.
    pub fn respond(&self, name: &str, request: &HeaderMap) -> Option<Response> {
        let file = self.files.get(name)?;
        let security = [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(self.policy),
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
        Some(
            (
                security,
                file.respond(&IfNoneMatch::of(request), CACHE_CONTROL),
            )
                .into_response(),
        )
    }

    /// `respond`, with a `404` naming what is missing.
    pub fn serve(
        &self,
        name: &str,
        request: &HeaderMap,
        missing: &str,
    ) -> Result<Response, AppError> {
        self.respond(name, request)
            .ok_or_else(|| AppError::NotFound(missing.to_owned()))
    }
}

pub fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Names of the files in `dir` (under the crate), for the tests that check every one is embedded.
#[cfg(test)]
pub fn on_disk(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the directory exists")
        .map(|entry| entry.expect("a directory entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn files_are_served_with_their_type() {
        assert_eq!(content_type("main.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("console.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("LICENSES.txt"), "text/plain; charset=utf-8");
    }
}
