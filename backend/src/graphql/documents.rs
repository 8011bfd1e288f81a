//! Parsed and validated query documents, kept by their text: clients send the same few queries
//! over and over, and parsing and validating one cost more than everything else a small query
//! does. A clone of the parsed document costs a fraction of a parse.
//!
//! Validation also depends on the variables and the operation chosen, so only requests without
//! variables reuse a validation, under their operation name and text.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError, ServerResult, ValidationResult, Variables};
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

impl ExtensionFactory for ParsedDocuments {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Lookup {
            parsed: self.parsed.clone(),
            validated: self.validated.clone(),
            validation_key: Mutex::new(None),
        })
    }
}

/// One request's look-ups.
struct Lookup {
    parsed: Cache<Box<str>, Arc<ExecutableDocument>>,
    validated: Cache<Box<str>, ValidationResult>,
    /// Where this request's validation is kept, when it can be.
    validation_key: Mutex<Option<Box<str>>>,
}

#[async_trait::async_trait]
impl Extension for Lookup {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let request = next.run(ctx, request).await?;
        if request.variables.is_empty() && request.query.len() <= LONGEST_KEPT {
            let operation = request.operation_name.as_deref().unwrap_or_default();
            let key = format!("{operation}\n{}", request.query).into_boxed_str();
            *self
                .validation_key
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(key);
        }
        Ok(request)
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(document) = self.parsed.get(query) {
            return Ok(ExecutableDocument::clone(&document));
        }
        let document = next.run(ctx, query, variables).await?;
        if query.len() <= LONGEST_KEPT {
            self.parsed.insert(query.into(), Arc::new(document.clone()));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let key = self
            .validation_key
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(key) = key else {
            return next.run(ctx).await;
        };
        if let Some(result) = self.validated.get(&key) {
            return Ok(result);
        }
        let result = next.run(ctx).await?;
        self.validated.insert(key, result);
        Ok(result)
    }
}
