//! `POST /api/contact`: lead capture for the host's tenant and app.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::client_ip::ClientIp;
use super::host_tenant::LeadHost;
use super::json_body::JsonBody;
use crate::entities::lead;
use crate::error::AppError;
use crate::services::leads::{self, ContactForm};
use crate::state::AppState;

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// A stored lead as the form's sender sees it.
#[derive(Serialize)]
struct LeadView {
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
    let captured = leads::capture(&state.db, &host, form, key).await?;
    let mut response = (StatusCode::CREATED, Json(LeadView::from(captured.lead))).into_response();
    if captured.replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    Ok(response)
}
