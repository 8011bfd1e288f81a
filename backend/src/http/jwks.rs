//! `GET /.well-known/jwks.json`: the public keys that verify Tenantry's access tokens, on every
//! host, for other services.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

use super::openapi::{Jwks, Unavailable};
use crate::error::AppError;
use crate::state::AppState;

/// The public keys that verify access tokens, on every host.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "well-known",
    responses(
        (status = 200, description = "The JSON Web Key Set", body = Jwks,
            headers(("Cache-Control" = String))),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn jwks(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let keys = state.tokens.jwks(&state.db).await?;
    let cache = [(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    )];
    Ok((cache, Json(keys)))
}
