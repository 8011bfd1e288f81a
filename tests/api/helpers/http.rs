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
