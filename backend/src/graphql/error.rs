//! The one error type of resolvers, guards and extensions, and its one way into a GraphQL error.
//!
//! Resolvers return [`FieldResult`] and use `?` on anything that converts into an [`AppError`]
//! (every service answer, database errors). [`FieldError`] deliberately has no `Display`:
//! async-graphql turns any `Display` type into an error carrying its message alone, so with
//! `Display` a `?` could take that path and drop `extensions.code`. Without it, the only way into
//! `async_graphql::Error` is the `From` below, where codes, `field` and `reason` are set.

use async_graphql::ErrorExtensions;

use crate::error::AppError;

/// The `extensions.code` values of errors raised outside resolvers, as Apollo's users know them
/// (resolvers' own come from [`AppError::code`]).
pub mod codes {
    /// The document is not GraphQL.
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The document does not fit the schema or the limits (depth, complexity, aliases, size,
    /// batch).
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// An argument or variable value, or a request parameter, is wrong.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// A persisted query's hash the server does not know: send the document with it.
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
}

/// A resolver's failure: a service error on its way to the caller.
#[derive(Debug)]
pub struct FieldError(AppError);

/// What a resolver answers.
pub type FieldResult<T> = Result<T, FieldError>;

impl<E: Into<AppError>> From<E> for FieldError {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

/// Every GraphQL error carries `extensions.code` (`AppError::code`), input errors the
/// `extensions.field` they concern, and refusals that can be cured (a step-up) their
/// `extensions.reason`. Internal causes are logged here and never shown.
impl From<FieldError> for async_graphql::Error {
    fn from(FieldError(err): FieldError) -> Self {
        err.log();
        let code = err.code();
        let field = match &err {
            AppError::InvalidInput { field, .. } => Some(field.clone()),
            _ => None,
        };
        let reason = match &err {
            AppError::Forbidden { reason, .. } => *reason,
            _ => None,
        };
        async_graphql::Error::new(err.to_string()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(field) = field {
                ext.set("field", field);
            }
            if let Some(reason) = reason {
                ext.set("reason", reason);
            }
        })
    }
}

/// For code that must hand async-graphql its own error type (guards, extensions).
pub fn graphql_error(err: AppError) -> async_graphql::Error {
    FieldError(err).into()
}

/// As [`graphql_error`], placed at the field `name` (an extension knows the field, not its
/// position in the document).
pub fn field_error(err: AppError, name: &str) -> async_graphql::ServerError {
    let mut error = graphql_error(err).into_server_error(async_graphql::Pos::default());
    error.locations.clear();
    error.path = vec![async_graphql::PathSegment::Field(name.to_owned())];
    error
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sea_orm::DbErr;

    use super::*;

    fn graphql(err: AppError) -> async_graphql::ServerError {
        graphql_error(err).into_server_error(async_graphql::Pos::default())
    }

    fn extension(err: &async_graphql::ServerError, key: &str) -> Option<async_graphql::Value> {
        err.extensions
            .as_ref()
            .and_then(|ext| ext.get(key).cloned())
    }

    fn string(value: &str) -> Option<async_graphql::Value> {
        Some(async_graphql::Value::String(value.into()))
    }

    #[test]
    fn every_variant_carries_its_code() {
        let cases: Vec<(AppError, &str)> = vec![
            (AppError::MissingHost, "BAD_USER_INPUT"),
            (AppError::InvalidHost, "BAD_USER_INPUT"),
            (
                AppError::DomainNotConfigured("x.example".into()),
                "NOT_FOUND",
            ),
            (
                AppError::LeadDomainNotConfigured("x.example".into()),
                "NOT_FOUND",
            ),
            (AppError::TenantNotFound, "NOT_FOUND"),
            (AppError::NotFound("no such tenant".into()), "NOT_FOUND"),
            (AppError::invalid("slug", "is reserved"), "BAD_USER_INPUT"),
            (AppError::BadRequest("bad".into()), "BAD_USER_INPUT"),
            (AppError::Conflict("taken".into()), "BAD_USER_INPUT"),
            (
                AppError::unauthenticated("expired_token", "token has expired"),
                "UNAUTHENTICATED",
            ),
            (AppError::forbidden("operators only"), "FORBIDDEN"),
            (
                AppError::RateLimited {
                    wait: Duration::from_secs(3),
                    scope: "tenant",
                },
                "RATE_LIMITED",
            ),
            (AppError::MethodNotAllowed, "BAD_USER_INPUT"),
            (AppError::PayloadTooLarge, "BAD_USER_INPUT"),
            (AppError::HeadersTooLarge, "BAD_USER_INPUT"),
            (
                AppError::Timeout(Duration::from_secs(30)),
                "INTERNAL_SERVER_ERROR",
            ),
            (AppError::UnsupportedMediaType, "BAD_USER_INPUT"),
            (
                AppError::Unavailable(DbErr::Custom("down".into())),
                "INTERNAL_SERVER_ERROR",
            ),
            (
                AppError::Busy {
                    what: "sign-ins",
                    wait: Duration::from_secs(1),
                },
                "INTERNAL_SERVER_ERROR",
            ),
            (AppError::internal("secret cause"), "INTERNAL_SERVER_ERROR"),
        ];
        for (err, code) in cases {
            let name = format!("{err:?}");
            assert_eq!(extension(&graphql(err), "code"), string(code), "{name}");
        }
    }

    #[test]
    fn a_question_mark_keeps_the_code() {
        fn resolver() -> FieldResult<()> {
            Err(AppError::forbidden("operators only"))?
        }
        let err: async_graphql::Error = resolver().unwrap_err().into();
        let err = err.into_server_error(async_graphql::Pos::default());
        assert_eq!(extension(&err, "code"), string("FORBIDDEN"));
    }

    #[test]
    fn internal_causes_never_reach_the_caller() {
        let err = graphql(AppError::internal("password=hunter2"));
        assert_eq!(err.message, "Internal server error");
    }

    #[test]
    fn forbidden_carries_its_reason() {
        let err = graphql(AppError::Forbidden {
            message: "elevation required".into(),
            reason: Some("ELEVATION_REQUIRED"),
        });
        assert_eq!(extension(&err, "reason"), string("ELEVATION_REQUIRED"));
    }

    #[test]
    fn invalid_input_names_its_field() {
        let err = graphql(AppError::invalid("slug", "is reserved"));
        assert_eq!(err.message, "slug: is reserved");
        assert_eq!(extension(&err, "field"), string("slug"));
    }

    #[test]
    fn an_extension_places_its_error_at_the_field() {
        let err = field_error(AppError::forbidden("no"), "provisionTenant");
        assert!(err.locations.is_empty());
        assert_eq!(
            err.path,
            vec![async_graphql::PathSegment::Field("provisionTenant".into())]
        );
    }
}
