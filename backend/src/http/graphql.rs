//! `/graphql`: the guard's principal joins each request; GraphiQL on `GET` where introspection is on.

use async_graphql::BatchRequest;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::auth::principal::Principal;
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::state::AppState;

pub async fn execute(
    State(state): State<AppState>,
    Extension(schema): Extension<AppSchema>,
    Extension(principal): Extension<Principal>,
    request: GraphQLBatchRequest,
) -> Response {
    let request = request.into_inner();
    if let BatchRequest::Batch(batch) = &request
        && batch.len() > state.config.graphql_max_batch
    {
        // Refused before anything runs, so not a 200.
        let message = format!(
            "a batch may hold at most {} operations; this one holds {}",
            state.config.graphql_max_batch,
            batch.len()
        );
        let body = json!({ "data": null, "errors": [{ "message": message, "extensions": { "code": "BAD_USER_INPUT" } }] });
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    GraphQLResponse::from(schema.execute_batch(request.data(principal)).await).into_response()
}

/// GraphiQL, for exploring the schema in a browser.
pub async fn graphiql(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    if !state.config.graphql_introspection {
        return Err(AppError::NotFound("Not found".into()));
    }
    Ok(Html(GraphiQLSource::build().endpoint("/graphql").finish()))
}
