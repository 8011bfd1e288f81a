//! `GET /.well-known/jwks.json`: the public keys that verify Tenantry's access tokens, on every
//! host, for other services.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

use crate::error::AppError;
use crate::state::AppState;

pub async fn jwks(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let keys = state.tokens.jwks(&state.db).await?;
    let cache = [(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    )];
    Ok((cache, Json(keys)))
}
