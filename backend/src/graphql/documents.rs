//! Parsed and validated query documents, kept by their text: clients send the same few queries
//! over and over, and parsing and validating one cost more than everything else a small query
//! does. A clone of the parsed document costs a fraction of a parse. [`super::hooks`] consults
//! them.
//!
//! Validation also depends on the variables and the operation chosen, so only requests without
//! variables reuse a validation, under their operation name and text.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ValidationResult};
use moka::sync::Cache;

/// Bytes of query text kept in each cache; a parsed document takes a few times its text.
const CAPACITY_BYTES: u64 = 4 * 1024 * 1024;
/// Longer queries are parsed every time: one must not push out hundreds of common ones.
const LONGEST_KEPT: usize = 16 * 1024;

fn cache<V: Clone + Send + Sync + 'static>() -> Cache<Box<str>, V> {
    Cache::<Box<str>, V>::builder()
        .weigher(|text, _| u32::try_from(text.len()).unwrap_or(u32::MAX))
        .max_capacity(CAPACITY_BYTES)
        .build()
}

#[derive(Clone)]
pub struct ParsedDocuments {
    parsed: Cache<Box<str>, Arc<ExecutableDocument>>,
    /// By operation name and text, for requests without variables.
    validated: Cache<Box<str>, ValidationResult>,
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        Self {
            parsed: cache(),
            validated: cache(),
        }
    }
}

impl ParsedDocuments {
    /// The document `query` parsed to, when it passed the limits before.
    pub fn parsed(&self, query: &str) -> Option<ExecutableDocument> {
        self.parsed
            .get(query)
            .map(|document| ExecutableDocument::clone(&document))
    }

    /// Keeps a document that passed the limits.
    pub fn keep_parsed(&self, query: &str, document: &ExecutableDocument) {
        if query.len() <= LONGEST_KEPT {
            self.parsed.insert(query.into(), Arc::new(document.clone()));
        }
    }

    /// Where `request`'s validation is kept, when it can be.
    pub fn validation_key(request: &Request) -> Option<Box<str>> {
        if !request.variables.is_empty() || request.query.len() > LONGEST_KEPT {
            return None;
        }
        let operation = request.operation_name.as_deref().unwrap_or_default();
        Some(format!("{operation}\n{}", request.query).into_boxed_str())
    }

    pub fn validated(&self, key: &str) -> Option<ValidationResult> {
        self.validated.get(key)
    }

    pub fn keep_validated(&self, key: Box<str>, result: ValidationResult) {
        self.validated.insert(key, result);
    }
}
