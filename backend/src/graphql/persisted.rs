//! Automatic persisted queries, as Apollo's clients speak them: a client sends the SHA-256 of its
//! document in `extensions.persistedQuery.sha256Hash`, alone; when the server does not know it,
//! the answer is `PersistedQueryNotFound` and the client sends hash and document once, which the
//! server checks and keeps. A `GET` that carries only the hash is short enough for any URL and for
//! a CDN to cache.
//!
//! The store is per process and bounded, like the parsed documents: an instance that lost a
//! document asks for it again, and the protocol is built for that.

use std::sync::Arc;

use async_graphql::{Request, ServerError, ServerResult, Value};
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use super::error::codes;

/// Bytes of document text kept; the longest document a request may carry is far smaller.
const CAPACITY_BYTES: u64 = 8 * 1024 * 1024;

/// What Apollo's clients look for in the error's message, and its code.
pub const NOT_FOUND: &str = "PersistedQueryNotFound";
const MISMATCH: &str = "the document's SHA-256 is not persistedQuery.sha256Hash";
const BAD_VERSION: &str = "persistedQuery.version must be 1";
const MALFORMED: &str =
    "persistedQuery must be {\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}";

/// Whether `error` refuses a malformed persisted query (a malformed request: `400` whatever the
/// media type), rather than an unknown hash.
pub fn is_malformed(error: &ServerError) -> bool {
    [MISMATCH, BAD_VERSION, MALFORMED].contains(&error.message.as_str())
}

/// A SHA-256, as raw bytes.
pub type Hash = [u8; 32];

#[derive(Clone)]
pub struct PersistedQueries {
    by_hash: Cache<Hash, Arc<str>>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        Self {
            by_hash: Cache::builder()
                .weigher(|_, text: &Arc<str>| u32::try_from(text.len()).unwrap_or(u32::MAX))
                .max_capacity(CAPACITY_BYTES)
                .build(),
        }
    }
}

impl PersistedQueries {
    /// Fills in the document of a request that carries only a hash, and checks the hash of one
    /// that carries both; returns the hash to keep the document under once it has parsed and
    /// passed the limits (a document that never would is not worth a place in the store).
    pub fn resolve(&self, request: &mut Request) -> ServerResult<Option<Hash>> {
        let Some(persisted) = request.extensions.0.get("persistedQuery") else {
            return Ok(None);
        };
        let hash = requested_hash(persisted)?;
        if request.query.is_empty() {
            let Some(document) = self.by_hash.get(&hash) else {
                return Err(coded(NOT_FOUND, codes::PERSISTED_QUERY_NOT_FOUND));
            };
            request.query = document.to_string();
            return Ok(None);
        }
        // Compared as hashes of public text: nothing secret depends on how long this takes.
        if Sha256::digest(request.query.as_bytes()).as_slice() != hash {
            return Err(coded(MISMATCH, codes::BAD_USER_INPUT));
        }
        Ok(Some(hash))
    }

    /// Keeps `query` under `hash`, which [`Self::resolve`] checked.
    pub fn keep(&self, hash: Hash, query: &str) {
        self.by_hash.insert(hash, Arc::from(query));
    }
}

/// The hash of `{"version": 1, "sha256Hash": "<64 hex digits>"}`.
fn requested_hash(persisted: &Value) -> ServerResult<Hash> {
    let Value::Object(fields) = persisted else {
        return Err(malformed());
    };
    if fields.get("version") != Some(&Value::from(1)) {
        return Err(coded(BAD_VERSION, codes::BAD_USER_INPUT));
    }
    let Some(Value::String(hex_digits)) = fields.get("sha256Hash") else {
        return Err(malformed());
    };
    let mut hash = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut hash).map_err(|_| malformed())?;
    Ok(hash)
}

fn malformed() -> ServerError {
    coded(MALFORMED, codes::BAD_USER_INPUT)
}

fn coded(message: &str, code: &'static str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

#[cfg(test)]
mod tests {
    use async_graphql::{Request, Variables};
    use serde_json::json;

    use super::*;

    fn request(query: &str, persisted: serde_json::Value) -> Request {
        let mut request = Request::new(query).variables(Variables::default());
        let value = Value::from_json(persisted).unwrap();
        request.extensions.0.insert("persistedQuery".into(), value);
        request
    }

    fn hex_of(text: &str) -> String {
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    fn code(error: &ServerError) -> Value {
        error
            .extensions
            .as_ref()
            .unwrap()
            .get("code")
            .unwrap()
            .clone()
    }

    #[test]
    fn a_document_is_kept_only_under_its_own_hash() {
        let store = PersistedQueries::default();
        let query = "{ apiVersion }";
        let hash = hex_of(query);
        let mut only_hash = request("", json!({ "version": 1, "sha256Hash": hash }));
        let error = store.resolve(&mut only_hash).unwrap_err();
        assert_eq!(error.message, NOT_FOUND);
        assert_eq!(code(&error), Value::from("PERSISTED_QUERY_NOT_FOUND"));

        // Another document under this hash is refused: it would answer every later client.
        let mut lying = request(
            "{ viewer { role } }",
            json!({ "version": 1, "sha256Hash": hash }),
        );
        let error = store.resolve(&mut lying).unwrap_err();
        assert_eq!(code(&error), Value::from("BAD_USER_INPUT"));

        let mut both = request(query, json!({ "version": 1, "sha256Hash": hash }));
        let kept = store.resolve(&mut both).unwrap().expect("a hash to keep");
        store.keep(kept, &both.query);
        let mut only_hash = request("", json!({ "version": 1, "sha256Hash": hash }));
        assert_eq!(store.resolve(&mut only_hash).unwrap(), None);
        assert_eq!(only_hash.query, query);
    }

    #[test]
    fn malformed_extensions_are_refused() {
        let store = PersistedQueries::default();
        for persisted in [
            json!("abc"),
            json!({ "version": 2, "sha256Hash": hex_of("x") }),
            json!({ "version": 1 }),
            json!({ "version": 1, "sha256Hash": "zz" }),
            json!({ "version": 1, "sha256Hash": hex_of("x")[..62] }),
        ] {
            let error = store
                .resolve(&mut request("", persisted.clone()))
                .unwrap_err();
            assert_eq!(code(&error), Value::from("BAD_USER_INPUT"), "{persisted}");
        }
    }
}
