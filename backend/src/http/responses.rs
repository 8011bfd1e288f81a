//! Error answers shared by many REST routes, for their OpenAPI entries: referenced as
//! `(status = …, response = …)`. Each is the `{"detail": …}` body of [`ErrorBody`].

use utoipa::{IntoResponses, ToResponse};

use crate::error::ErrorBody;

/// No `Host`, or one that is not a valid host name.
#[derive(ToResponse)]
pub struct BadHost(pub ErrorBody);

/// The host is not a verified domain (or is an address literal), or its tenant is suspended.
#[derive(ToResponse)]
pub struct HostNotFound(pub ErrorBody);

/// The body is over the route's limit (64 KiB).
#[derive(ToResponse)]
pub struct TooLarge(pub ErrorBody);

/// The body is not JSON (`Content-Type` is not `application/json` or `application/*+json`).
#[derive(ToResponse)]
pub struct NotJson(pub ErrorBody);

/// A field is missing or breaks a rule; `detail` starts with the field's name.
#[derive(ToResponse)]
pub struct Invalid(pub ErrorBody);

/// Too many attempts from this client or for this address; nothing was done.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u64, description = "Seconds to wait before trying again")))]
pub struct RateLimited(pub ErrorBody);

/// The database cannot be reached; nothing changed and the request may be retried.
#[derive(ToResponse)]
pub struct Unavailable(pub ErrorBody);

/// What a JSON route on a tenant's host may answer before its own refusals: the host is unknown,
/// the body too large, not JSON or missing a field, the budget spent, the database away.
#[derive(IntoResponses)]
pub enum HostJsonRefusals {
    #[response(status = 404)]
    HostNotFound(#[ref_response] HostNotFound),
    #[response(status = 413)]
    TooLarge(#[ref_response] TooLarge),
    #[response(status = 415)]
    NotJson(#[ref_response] NotJson),
    #[response(status = 422)]
    Invalid(#[ref_response] Invalid),
    #[response(status = 429)]
    RateLimited(#[ref_response] RateLimited),
    #[response(status = 503)]
    Unavailable(#[ref_response] Unavailable),
}
