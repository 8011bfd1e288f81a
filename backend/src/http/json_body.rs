//! JSON request bodies of the small-body routes (forms, sign-in steps) with the errors the API
//! promises: 415 for a body that is not JSON, 413 over [`limits::SMALL_BODY`] (at once when the
//! declared length is over it), 400 for malformed JSON, 422 naming the field whose value has the
//! wrong shape.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::http::middleware::limits;

pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(&req) {
            return Err(AppError::UnsupportedMediaType);
        }
        // The last extractor of its handlers, so a bad host is still refused first.
        limits::declared_size(&req, limits::SMALL_BODY)?;
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
                _ => AppError::BadRequest("Could not read the request body".into()),
            }
        })?;
        parse(&bytes).map(JsonBody)
    }
}

fn is_json(req: &Request) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|err| AppError::BadRequest(format!("Malformed JSON: {err}")))?;
    // serde would also read a struct from an array of its fields in order; a body is an object.
    if !value.is_object() {
        return Err(AppError::invalid("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let field = err.path().to_string();
        AppError::invalid(field, err.into_inner().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::leads::ContactForm;

    #[test]
    fn malformed_json_is_a_bad_request_and_wrong_shapes_name_their_field() {
        let err = parse::<ContactForm>(b"{\"email\": ").err().unwrap();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let err = parse::<ContactForm>(b"{} trailing").err().unwrap();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let err = parse::<ContactForm>(b"{\"email\": 5}").err().unwrap();
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err.to_string().starts_with("email: invalid type"), "{err}");
        let err = parse::<ContactForm>(b"[1]").err().unwrap();
        assert_eq!(err.to_string(), "body: must be a JSON object");
    }
}
