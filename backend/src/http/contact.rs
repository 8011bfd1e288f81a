//! `POST /api/contact`: lead capture for the host's tenant and app.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::client_ip::ClientIp;
use super::host_tenant::LeadHost;
use super::json_body::JsonBody;
use super::responses::{Invalid, NotJson, RateLimited, TooLarge, Unavailable};
use crate::entities::lead;
use crate::error::{AppError, ErrorBody};
use crate::services::leads::{self, ContactForm};
use crate::state::AppState;

/// `/api/contact`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(contact))
        .layer(super::small_body())
}

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// A stored lead as the form's sender sees it.
#[derive(Serialize, ToSchema)]
pub struct LeadView {
    id: Uuid,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    message: Option<String>,
    source_page: Option<String>,
    app: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<lead::Model> for LeadView {
    fn from(lead: lead::Model) -> Self {
        LeadView {
            id: lead.id,
            email: lead.email,
            first_name: lead.first_name,
            last_name: lead.last_name,
            message: lead.message,
            source_page: lead.source_page,
            app: lead.app,
            created_at: lead.created_at,
        }
    }
}

/// The contact form as documented: the schema of [`ContactForm`], which the service reads.
#[derive(ToSchema)]
#[schema(as = ContactForm)]
#[allow(dead_code)]
struct ContactFormSchema {
    /// The sender's address.
    #[schema(format = "email", max_length = 255)]
    email: String,
    #[schema(max_length = 100)]
    first_name: Option<String>,
    #[schema(max_length = 100)]
    last_name: Option<String>,
    #[schema(max_length = 10000)]
    message: Option<String>,
    /// The page the form was sent from.
    #[schema(max_length = 500)]
    source_page: Option<String>,
}

/// Stores a lead for the host's tenant and app. With an `Idempotency-Key`, a retry of the same
/// form answers the lead the first attempt stored.
#[utoipa::path(
    post,
    path = "/api/contact",
    tag = "site",
    params((
        "Idempotency-Key" = Option<String>, Header,
        nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
        description = "Visible ASCII; a retry with the same key and form stores nothing new",
    )),
    request_body = ContactFormSchema,
    responses(
        (status = 201, body = LeadView,
            description = "The lead was stored, or replayed for a repeated `Idempotency-Key`",
            headers(("Idempotent-Replayed" = String,
                description = "`true` when an earlier request stored this lead"))),
        (status = 400, body = ErrorBody,
            description = "No Host or an invalid one, malformed JSON, or a malformed `Idempotency-Key`"),
        (status = 404, body = ErrorBody,
            description = "The host is not a verified domain (no lead was taken), or its tenant is suspended"),
        (status = 409, body = ErrorBody,
            description = "The `Idempotency-Key` was already used for a different form"),
        (status = 413, response = TooLarge),
        (status = 415, response = NotJson),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn contact(
    State(state): State<AppState>,
    LeadHost(host): LeadHost,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    JsonBody(form): JsonBody<ContactForm>,
) -> Result<Response, AppError> {
    state.limits.ip(ip).await?;
    let key =
        match headers.get(IDEMPOTENCY_KEY) {
            None => None,
            Some(value) => Some(value.to_str().map_err(|_| {
                AppError::BadRequest("Idempotency-Key must be visible ASCII".into())
            })?),
        };
    let captured = leads::capture(&state.db, &state.live_leads, &host, form, key).await?;
    let mut response = (StatusCode::CREATED, Json(LeadView::from(captured.lead))).into_response();
    if captured.replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_lengths_are_the_enforced_ones() {
        // utoipa takes literals only: this keeps the OpenAPI `maxLength`s and the rules together.
        let schema = <ContactFormSchema as utoipa::PartialSchema>::schema();
        let schema = serde_json::to_value(schema).unwrap();
        for (field, max) in [
            ("email", leads::MAX_EMAIL),
            ("first_name", leads::MAX_NAME),
            ("last_name", leads::MAX_NAME),
            ("message", leads::MAX_MESSAGE),
            ("source_page", leads::MAX_SOURCE_PAGE),
        ] {
            assert_eq!(schema["properties"][field]["maxLength"], max, "{field}");
        }
        assert_eq!(schema["required"], serde_json::json!(["email"]));
    }
}
