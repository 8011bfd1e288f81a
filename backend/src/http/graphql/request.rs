//! Reading a GraphQL request off HTTP: a `GET`'s query string or a `POST`'s JSON body. Each
//! parameter is checked for its type, so a malformed request is refused with `400` before
//! anything parses or runs, and a `POST` must say its body is JSON: a form or plain text, which a
//! page on any site can send without asking first, is no GraphQL request here.

use async_graphql::{BatchRequest, Extensions, Value, Variables};
use axum::http::{HeaderMap, Uri, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Why a request could not be read.
#[derive(Debug)]
pub enum Unreadable {
    /// `415`: a `POST` whose body is not declared `application/json`.
    NotJson,
    /// `400`, saying what is wrong.
    Malformed(String),
    /// A `GET` with neither a document nor a persisted query's hash: GraphiQL for a browser.
    NoQuery,
}

/// The parameters of a `POST` body (one of a batch): typed, so `"query": 0` is refused.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Posted {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Value>,
    extensions: Option<Value>,
}

/// The parameters of a `GET`: `variables` and `extensions` are JSON text.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Queried {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// A `GET`'s request.
pub fn from_query(uri: &Uri) -> Result<async_graphql::Request, Unreadable> {
    let Queried {
        query,
        operation_name,
        variables,
        extensions,
    } = serde_urlencoded::from_str(uri.query().unwrap_or_default())
        .map_err(|e| Unreadable::Malformed(format!("the query string does not parse: {e}")))?;
    if query.is_none() && extensions.is_none() {
        return Err(Unreadable::NoQuery);
    }
    let variables = variables
        .map(|text| json_parameter("variables", &text))
        .transpose()?;
    let extensions = extensions
        .map(|text| json_parameter("extensions", &text))
        .transpose()?;
    request(query, operation_name, variables, extensions)
}

/// A `POST`'s request, or batch of requests.
pub fn from_body(headers: &HeaderMap, body: &[u8]) -> Result<BatchRequest, Unreadable> {
    if !declares_json(headers) {
        return Err(Unreadable::NotJson);
    }
    let batch = body
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|first| *first == b'[');
    if batch {
        let posted: Vec<Posted> = parse_body(body)?;
        if posted.is_empty() {
            return Err(Unreadable::Malformed("a batch holds no operation".into()));
        }
        let requests = posted
            .into_iter()
            .map(Posted::into_request)
            .collect::<Result<_, _>>()?;
        return Ok(BatchRequest::Batch(requests));
    }
    let posted: Posted = parse_body(body)?;
    Ok(BatchRequest::Single(posted.into_request()?))
}

impl Posted {
    fn into_request(self) -> Result<async_graphql::Request, Unreadable> {
        request(
            self.query,
            self.operation_name,
            self.variables,
            self.extensions,
        )
    }
}

fn request(
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Value>,
    extensions: Option<Value>,
) -> Result<async_graphql::Request, Unreadable> {
    let variables = match variables {
        None | Some(Value::Null) => Variables::default(),
        Some(value @ Value::Object(_)) => Variables::from_value(value),
        Some(_) => return Err(not_a_map("variables")),
    };
    let extensions = match extensions {
        None | Some(Value::Null) => Extensions::default(),
        Some(Value::Object(map)) => Extensions(
            map.into_iter()
                .map(|(name, value)| (name.to_string(), value))
                .collect(),
        ),
        Some(_) => return Err(not_a_map("extensions")),
    };
    let persisted = extensions.0.contains_key("persistedQuery");
    let query = match query.filter(|query| !query.trim().is_empty()) {
        Some(query) => query,
        // The hash stands for the document; the schema's hooks look it up.
        None if persisted => String::new(),
        None => {
            return Err(Unreadable::Malformed(
                "a request needs a `query` (or a persisted query's hash in `extensions`)".into(),
            ));
        }
    };
    let mut request = async_graphql::Request::new(query).variables(variables);
    request.operation_name = operation_name;
    request.extensions = extensions;
    Ok(request)
}

fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, Unreadable> {
    serde_json::from_slice(body).map_err(|e| {
        Unreadable::Malformed(format!("the body is not a GraphQL request in JSON: {e}"))
    })
}

fn json_parameter(name: &str, text: &str) -> Result<Value, Unreadable> {
    serde_json::from_str(text)
        .map_err(|e| Unreadable::Malformed(format!("`{name}` is not JSON: {e}")))
}

fn not_a_map(name: &str) -> Unreadable {
    Unreadable::Malformed(format!("`{name}` must be a JSON object"))
}

/// `Content-Type: application/json`, in UTF-8 if a charset is named.
fn declares_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|parameter| match parameter.split_once('=') {
        Some((name, charset)) if name.trim().eq_ignore_ascii_case("charset") => {
            let charset = charset.trim().trim_matches('"');
            charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("utf8")
        }
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn json_headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        headers
    }

    #[test]
    fn only_a_body_declared_json_in_utf_8_is_read() {
        let body = br#"{"query":"{ apiVersion }"}"#;
        for good in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
        ] {
            assert!(from_body(&json_headers(good), body).is_ok(), "{good}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "application/json; charset=latin1",
        ] {
            assert!(
                matches!(
                    from_body(&json_headers(bad), body),
                    Err(Unreadable::NotJson)
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            from_body(&HeaderMap::new(), body),
            Err(Unreadable::NotJson)
        ));
    }

    #[test]
    fn parameters_of_the_wrong_type_are_refused() {
        let headers = json_headers("application/json");
        for body in [
            r#"{"query": 0}"#,
            r#"{"query": "{ a }", "operationName": ["x"]}"#,
            r#"{"query": "{ a }", "variables": "x"}"#,
            r#"{"query": "{ a }", "variables": [1]}"#,
            r#"{"query": "{ a }", "extensions": false}"#,
            r#"{"qeury": "{ a }"}"#,
            r#"[]"#,
            r#"{"#,
            "",
        ] {
            assert!(
                matches!(
                    from_body(&headers, body.as_bytes()),
                    Err(Unreadable::Malformed(_))
                ),
                "{body}"
            );
        }
        for body in [
            r#"{"query": "{ a }", "variables": null, "operationName": null, "extensions": null}"#,
            r#"{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab"}}}"#,
            r#"[{"query": "{ a }"}, {"query": "{ b }"}]"#,
        ] {
            assert!(from_body(&headers, body.as_bytes()).is_ok(), "{body}");
        }
    }

    #[test]
    fn a_get_reads_its_json_parameters() {
        let uri: Uri = "/graphql?query=query%20Q(%24n%3A%20Int)%7Ba%7D&operationName=Q&variables=%7B%22n%22%3A1%7D"
            .parse()
            .unwrap();
        let request = from_query(&uri).unwrap();
        assert_eq!(request.operation_name.as_deref(), Some("Q"));
        assert_eq!(request.variables.get("n"), Some(&Value::from(1)));
        let bare: Uri = "/graphql".parse().unwrap();
        assert!(matches!(from_query(&bare), Err(Unreadable::NoQuery)));
        let bad: Uri = "/graphql?query=%7Ba%7D&variables=%5B1%5D".parse().unwrap();
        assert!(matches!(from_query(&bad), Err(Unreadable::Malformed(_))));
    }
}
