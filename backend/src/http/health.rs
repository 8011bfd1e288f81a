//! Liveness and readiness for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::state::AppState;

/// The process is up and serving.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers: this instance can serve real requests.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    state.db.ping().await.map_err(AppError::Unavailable)?;
    Ok(Json(json!({ "status": "ready" })))
}
