//! The schema's one async-graphql extension: the document limits and caches as a request is
//! parsed and validated, and the step-up and discovery-budget checks as each field resolves.
//!
//! One extension rather than one per concern: async-graphql runs every extension's hooks at every
//! stage of every request and around every field, so each extra extension costs every request
//! (a boxed future per stage and per field) whether it has anything to check or not.

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextResolve,
    NextValidation, ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError, ServerResult, ValidationResult, Value, Variables};

use super::documents::ParsedDocuments;
use super::limits::DocumentLimits;
use super::{budget, step_up};

pub struct Hooks {
    limits: DocumentLimits,
    documents: ParsedDocuments,
}

impl Hooks {
    pub fn new(limits: DocumentLimits) -> Self {
        Self {
            limits,
            documents: ParsedDocuments::default(),
        }
    }
}

impl ExtensionFactory for Hooks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestHooks {
            limits: self.limits,
            documents: self.documents.clone(),
            validation_key: Mutex::new(None),
            discovered: AtomicUsize::new(0),
        })
    }
}

/// One request's pass.
struct RequestHooks {
    limits: DocumentLimits,
    documents: ParsedDocuments,
    /// Where this request's validation is kept, when it can be.
    validation_key: Mutex<Option<Box<str>>>,
    /// Discovery fields resolved so far.
    discovered: AtomicUsize,
}

#[async_trait::async_trait]
impl Extension for RequestHooks {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let request = next.run(ctx, request).await?;
        *self
            .validation_key
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = ParsedDocuments::validation_key(&request);
        Ok(request)
    }

    /// A document parsed before passed the limits then; a new one is held to them before and
    /// after it is parsed, and kept only when it passes.
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(document) = self.documents.parsed(query) {
            return Ok(document);
        }
        self.limits.check_text(query)?;
        let document = next.run(ctx, query, variables).await?;
        self.limits.check_parsed(&document)?;
        self.documents.keep_parsed(query, &document);
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
        if let Some(result) = self.documents.validated(&key) {
            return Ok(result);
        }
        let result = next.run(ctx).await?;
        self.documents.keep_validated(key, result);
        Ok(result)
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        step_up::check(ctx, &info)?;
        budget::spend(ctx, &info, &self.discovered).await?;
        next.run(ctx, info).await
    }
}
