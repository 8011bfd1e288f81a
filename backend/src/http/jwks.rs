//! `GET /.well-known/jwks.json`: the public keys that verify Tenantry's access tokens, on every
//! host, for other services.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::responses::Unavailable;
use crate::error::AppError;
use crate::state::AppState;

/// `/.well-known/jwks.json`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(jwks))
}

/// The public keys that verify access tokens, on every host.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "well-known",
    responses(
        (status = 200, description = "The JSON Web Key Set", body = schema::Jwks,
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

/// The documents as OpenAPI describes them: only described, never built (the handlers build
/// JSON values).
#[expect(dead_code, reason = "described for OpenAPI, never built")]
mod schema {
    use utoipa::ToSchema;

    /// A JSON Web Key Set (RFC 7517) of Ed25519 keys (RFC 8037).
    #[derive(ToSchema)]
    pub struct Jwks {
        pub keys: Vec<Jwk>,
    }

    /// One public key; retired keys stay listed while tokens they signed can still be valid.
    #[derive(ToSchema)]
    pub struct Jwk {
        #[schema(example = "OKP")]
        pub kty: String,
        #[schema(example = "Ed25519")]
        pub crv: String,
        #[schema(example = "EdDSA")]
        pub alg: String,
        #[schema(rename = "use", example = "sig")]
        pub use_: String,
        pub kid: String,
        /// The public key, base64url without padding.
        pub x: String,
    }
}
