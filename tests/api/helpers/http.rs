//! Talking to the app over HTTP: one method per REST route a test calls, raw requests, and
//! reading error bodies.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `GET path` with these headers (a `Host` among them replaces the real one).
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.client
            .get(self.url(path))
            .headers(header_map(headers))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_branding(&self, host: &str) -> Response {
        self.get("/api/branding", &[("host", host)]).await
    }

    /// `POST /api/contact` with a JSON body, to `host`, with extra headers.
    pub async fn post_contact(
        &self,
        host: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Response {
        self.post_contact_raw(
            host,
            serde_json::to_vec(body).unwrap(),
            "application/json",
            headers,
        )
        .await
    }

    pub async fn post_contact_raw(
        &self,
        host: &str,
        body: Vec<u8>,
        content_type: &str,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut map = header_map(headers);
        map.insert("host", HeaderValue::from_bytes(host.as_bytes()).unwrap());
        map.insert("content-type", HeaderValue::from_str(content_type).unwrap());
        self.client
            .post(self.url("/api/contact"))
            .headers(map)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    /// `POST path` on `host` with a JSON body and, where given, a Bearer token: the status and the
    /// JSON answer (`null` when the body is not JSON).
    pub async fn post_json(
        &self,
        host: &str,
        path: &str,
        body: Value,
        bearer: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(self.url(path))
            .header("host", host)
            .json(&body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `POST /auth/elevate` on `host`, with the caller's Bearer token.
    pub async fn post_elevate(
        &self,
        host: &str,
        body: Value,
        bearer: Option<&str>,
    ) -> (StatusCode, Value) {
        self.post_json(host, "/auth/elevate", body, bearer).await
    }
    /// `POST /auth/email/start` on `host`.
    pub async fn post_email_start(&self, host: &str, body: Value) -> (StatusCode, Value) {
        self.post_json(host, "/auth/email/start", body, None).await
    }
    /// `POST /auth/email/verify` on `host`.
    pub async fn post_email_verify(&self, host: &str, body: Value) -> (StatusCode, Value) {
        self.post_json(host, "/auth/email/verify", body, None).await
    }
    /// `POST /auth/logout` on `host`, with the caller's Bearer token.
    pub async fn post_logout(
        &self,
        host: &str,
        body: Value,
        bearer: Option<&str>,
    ) -> (StatusCode, Value) {
        self.post_json(host, "/auth/logout", body, bearer).await
    }
    /// `POST /auth/passkey/login/finish` on `host`.
    pub async fn post_passkey_login_finish(&self, host: &str, body: Value) -> (StatusCode, Value) {
        self.post_json(host, "/auth/passkey/login/finish", body, None)
            .await
    }
    /// `POST /auth/passkey/login/start` on `host`.
    pub async fn post_passkey_login_start(&self, host: &str, body: Value) -> (StatusCode, Value) {
        self.post_json(host, "/auth/passkey/login/start", body, None)
            .await
    }
    /// `POST /auth/passkey/register/finish` on `host`, with the caller's Bearer token.
    pub async fn post_passkey_register_finish(
        &self,
        host: &str,
        body: Value,
        bearer: Option<&str>,
    ) -> (StatusCode, Value) {
        self.post_json(host, "/auth/passkey/register/finish", body, bearer)
            .await
    }
    /// `POST /auth/passkey/register/start` on `host`, with the caller's Bearer token.
    pub async fn post_passkey_register_start(
        &self,
        host: &str,
        body: Value,
        bearer: Option<&str>,
    ) -> (StatusCode, Value) {
        self.post_json(host, "/auth/passkey/register/start", body, bearer)
            .await
    }
    /// `POST /auth/password/login` on `host`.
    pub async fn post_password_login(&self, host: &str, body: Value) -> (StatusCode, Value) {
        self.post_json(host, "/auth/password/login", body, None)
            .await
    }
    /// `POST /auth/refresh` on `host`.
    pub async fn post_refresh(&self, host: &str, body: Value) -> (StatusCode, Value) {
        self.post_json(host, "/auth/refresh", body, None).await
    }
    /// `POST /auth/password/reset/finish` on `host`.
    pub async fn post_reset_finish(&self, host: &str, body: Value) -> (StatusCode, Value) {
        self.post_json(host, "/auth/password/reset/finish", body, None)
            .await
    }
    /// `POST /auth/password/reset/start` on `host`.
    pub async fn post_reset_start(&self, host: &str, body: Value) -> (StatusCode, Value) {
        self.post_json(host, "/auth/password/reset/start", body, None)
            .await
    }

    /// Sends `request` as raw bytes (for what an HTTP client refuses to send, like no `Host`) and
    /// returns the status and the body.
    pub async fn raw(&self, request: &str) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {text:?}"));
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }
}

pub(super) fn header_map(headers: &[(&str, &str)]) -> HeaderMap {
    headers
        .iter()
        .map(|(name, value)| {
            (
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value.as_bytes()).unwrap(),
            )
        })
        .collect()
}

/// The `detail` of an error body.
pub async fn detail(response: Response) -> String {
    let status = response.status();
    let body: Value = response.json().await.expect("JSON error body");
    match body["detail"].as_str() {
        Some(detail) => detail.to_owned(),
        None => panic!("expected an error, got {status} {body}"),
    }
}

/// Asserts the status and `{"detail": …}` of an error response.
pub async fn assert_error(response: Response, status: StatusCode, expected: &str) {
    assert_eq!(response.status(), status, "status for {expected:?}");
    assert_eq!(detail(response).await, expected);
}
