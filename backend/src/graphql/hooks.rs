//! The schema's one async-graphql extension: persisted queries, the document limits and caches as
//! a request is parsed and validated, the `GET` rule (queries only), the codes of errors raised
//! before anything runs, and the step-up and discovery-budget checks as each field resolves.
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
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Request, ServerError, ServerResult, ValidationResult, Value, Variables};

use super::documents::ParsedDocuments;
use super::error::codes;
use super::limits::DocumentLimits;
use super::persisted::{Hash, PersistedQueries};
use super::{budget, step_up};

/// Request data marking a request that came as `GET`, which may only run a query.
pub struct OverGet;

/// The message of the error that refuses a mutation sent as `GET` (the transport answers it
/// `405`).
pub const ONLY_QUERIES_OVER_GET: &str = "only queries run over GET: send mutations with POST";

pub struct Hooks {
    limits: DocumentLimits,
    documents: ParsedDocuments,
    persisted: PersistedQueries,
}

impl Hooks {
    pub fn new(limits: DocumentLimits) -> Self {
        Self {
            limits,
            documents: ParsedDocuments::default(),
            persisted: PersistedQueries::default(),
        }
    }
}

impl ExtensionFactory for Hooks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestHooks {
            limits: self.limits,
            documents: self.documents.clone(),
            persisted: self.persisted.clone(),
            seen: Mutex::new(Seen::default()),
            discovered: AtomicUsize::new(0),
        })
    }
}

/// One request's pass.
struct RequestHooks {
    limits: DocumentLimits,
    documents: ParsedDocuments,
    persisted: PersistedQueries,
    seen: Mutex<Seen>,
    /// Discovery fields resolved so far.
    discovered: AtomicUsize,
}

/// What the request said that later stages need (they see the document, not the request).
#[derive(Default)]
struct Seen {
    /// Where this request's validation is kept, when it can be.
    validation_key: Option<Box<str>>,
    /// The hash to keep the document under, once it has parsed.
    persist_as: Option<Hash>,
    /// For a `GET`: the operation it asked for (`Some(None)`: the only one).
    over_get: Option<Option<String>>,
}

/// Whether a string of the request (a variable, or a literal of the document written as a
/// `\u0000` or `\u{0}` escape) holds a NUL.
fn carries_nul(request: &Request) -> bool {
    fn in_value(value: &async_graphql::Value) -> bool {
        match value {
            async_graphql::Value::String(text) => text.contains('\0'),
            async_graphql::Value::List(items) => items.iter().any(in_value),
            async_graphql::Value::Object(fields) => fields
                .iter()
                .any(|(name, value)| name.contains('\0') || in_value(value)),
            _ => false,
        }
    }
    let escaped_nul = |text: &str| {
        text.match_indices("\\u").any(|(at, _)| {
            let rest = &text[at + 2..];
            let digits = match rest.strip_prefix('{') {
                Some(braced) => braced.split('}').next().unwrap_or_default(),
                None => rest.get(..4).unwrap_or_default(),
            };
            !digits.is_empty() && digits.bytes().all(|b| b == b'0')
        })
    };
    request.query.contains('\0')
        || escaped_nul(&request.query)
        || request.variables.iter().any(|(_, value)| in_value(value))
}

impl RequestHooks {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl Extension for RequestHooks {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let mut request = next.run(ctx, request).await?;
        let by_hash = request.query.is_empty();
        let persist_as = self.persisted.resolve(&mut request)?;
        if by_hash && !request.query.is_empty() {
            budget::spend_by_hash(ctx, &request).await?;
        }
        if request.query.is_empty() {
            return Err(coded(
                ServerError::new(
                    "a request needs a `query` (or a persisted query's hash)",
                    None,
                ),
                codes::BAD_USER_INPUT,
            ));
        }
        // PostgreSQL refuses a NUL in text and SQLite cuts the text at it: no argument has one.
        if carries_nul(&request) {
            return Err(coded(
                ServerError::new("text may not contain a NUL character (U+0000)", None),
                codes::BAD_USER_INPUT,
            ));
        }
        let over_get = request
            .data
            .contains_key(&std::any::TypeId::of::<OverGet>())
            .then(|| request.operation_name.clone());
        *self.seen() = Seen {
            validation_key: ParsedDocuments::validation_key(&request),
            persist_as,
            over_get,
        };
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
        let document = match self.documents.parsed(query) {
            Some(document) => document,
            None => {
                let limit = |e| coded(e, codes::GRAPHQL_VALIDATION_FAILED);
                self.limits.check_text(query).map_err(limit)?;
                let document = next
                    .run(ctx, query, variables)
                    .await
                    .map_err(parse_failed)?;
                self.limits.check_parsed(&document).map_err(limit)?;
                self.documents.keep_parsed(query, &document);
                document
            }
        };
        let (persist_as, over_get) = {
            let mut seen = self.seen();
            (seen.persist_as.take(), seen.over_get.take())
        };
        if let Some(operation) = over_get
            && !runs_a_query(&document, operation.as_deref())
        {
            return Err(coded(
                ServerError::new(ONLY_QUERIES_OVER_GET, None),
                codes::BAD_USER_INPUT,
            ));
        }
        if let Some(hash) = persist_as {
            self.persisted.keep(hash, query);
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let key = self.seen().validation_key.take();
        let Some(key) = key else {
            return next.run(ctx).await.map_err(validation_failed);
        };
        if let Some(result) = self.documents.validated(&key) {
            return Ok(result);
        }
        let result = next.run(ctx).await.map_err(validation_failed)?;
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

/// Whether the operation `name` of `document` (or its only one) is a query. A name that matches
/// nothing is left for async-graphql to refuse.
fn runs_a_query(document: &ExecutableDocument, name: Option<&str>) -> bool {
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.is_none_or(|operation| operation.node.ty == OperationType::Query)
}

fn coded(mut error: ServerError, code: &'static str) -> ServerError {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

/// A syntax error; async-graphql's own limits on the parsed document (directives, recursion) are
/// limits like the others.
fn parse_failed(error: ServerError) -> ServerError {
    let limit = error.message.starts_with("The recursion depth")
        || error.message.starts_with("The number of directives");
    match limit {
        true => coded(error, codes::GRAPHQL_VALIDATION_FAILED),
        false => coded(error, codes::GRAPHQL_PARSE_FAILED),
    }
}

/// A value that does not fit its argument (a variable's, most often) or a variable without a
/// value is the client's input; anything else is a document that does not fit the schema or the
/// limits.
fn validation_failed(errors: Vec<ServerError>) -> Vec<ServerError> {
    errors
        .into_iter()
        .map(|error| {
            let input = error.message.starts_with("Invalid value for argument")
                || (error.message.starts_with("Variable ")
                    && error.message.ends_with("is not defined."));
            let code = match input {
                true => codes::BAD_USER_INPUT,
                false => codes::GRAPHQL_VALIDATION_FAILED,
            };
            coded(error, code)
        })
        .collect()
}
