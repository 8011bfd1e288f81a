//! Talking to `/graphql`, with or without a credential.

use reqwest::StatusCode;
use serde_json::Value;

use super::*;

/// How a GraphQL request proves who it is.
#[derive(Clone, Debug)]
pub enum Credential {
    None,
    Bearer(String),
    Key(String),
}

impl TestApp {
    /// `POST /graphql`; returns the status and the JSON body.
    pub async fn graphql_with(
        &self,
        credential: &Credential,
        headers: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .headers(header_map(headers))
            .json(&serde_json::json!({ "query": query, "variables": variables }));
        request = match credential {
            Credential::None => request,
            Credential::Bearer(token) => request.bearer_auth(token),
            Credential::Key(key) => request.header("x-api-key", key),
        };
        let response = request.send().await.expect("request sent");
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }

    /// A query that must execute (HTTP 200); returns the whole body (`data` and `errors`).
    pub async fn gql(&self, credential: &Credential, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql_with(credential, &[], query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// `extensions.code` of the first error in a GraphQL body.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}
