//! Subscriptions at `/graphql` over WebSocket, protocol `graphql-transport-ws` (what Apollo
//! Client, urql and Relay speak through the `graphql-ws` library).
//!
//! A browser cannot set headers on a WebSocket, so the credential travels in `connection_init`'s
//! payload (`{"Authorization": "Bearer …"}` or `{"X-Api-Key": "btk_…"}`) and passes the same
//! guard as a request's headers; nothing else in the payload is read. A credential that is
//! present and bad closes the socket with `4403`, as the protocol says; async-graphql then runs
//! the protocol with the principal the guard admitted.

use std::time::Duration;

use async_graphql::Data;
use async_graphql::futures_util::{SinkExt, StreamExt, stream};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::Response;

use crate::auth::principal::CallerIp;
use crate::graphql::AppSchema;
use crate::http::middleware::guard;
use crate::state::AppState;

/// How long a client has to send `connection_init` once the socket is open.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The credential headers a `connection_init` payload may carry, matched without regard to case.
const CREDENTIALS: [HeaderName; 2] = [header::AUTHORIZATION, HeaderName::from_static("x-api-key")];

pub fn upgrade(
    state: AppState,
    schema: AppSchema,
    upgrade: WebSocketUpgrade,
    protocol: GraphQLProtocol,
    origin: Option<HeaderValue>,
    caller_ip: CallerIp,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(state, schema, socket, protocol, origin, caller_ip))
}

async fn serve(
    state: AppState,
    schema: AppSchema,
    socket: WebSocket,
    protocol: GraphQLProtocol,
    origin: Option<HeaderValue>,
    CallerIp(caller_ip): CallerIp,
) {
    let (mut sink, mut messages) = socket.split();
    let Ok(Some(Ok(first))) = tokio::time::timeout(INIT_TIMEOUT, messages.next()).await else {
        let _ = sink
            .send(close(4408, "Connection initialisation timeout"))
            .await;
        return;
    };
    let mut headers = credentials(&first);
    if let Some(origin) = origin {
        headers.insert(header::ORIGIN, origin);
    }
    let principal = match guard::admit(&state, &headers, caller_ip).await {
        Ok(principal) => principal,
        Err(refused) => {
            tracing::info!(reason = %refused, "a subscription's credential was refused");
            let _ = sink.send(close(4403, "Forbidden")).await;
            return;
        }
    };
    let mut data = Data::default();
    data.insert(principal);
    data.insert(CallerIp(caller_ip));
    // The first message goes on to async-graphql, which answers it with `connection_ack`.
    let messages = stream::iter([Ok(first)]).chain(messages);
    GraphQLWebSocket::new_with_pair(sink, messages, schema, protocol)
        .on_connection_init(move |_| async move { Ok(data) })
        .serve()
        .await;
}

/// The credential headers of a `connection_init` message's payload; none for anything else (the
/// protocol then closes the socket).
fn credentials(message: &Message) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Message::Text(text) = message else {
        return headers;
    };
    let Ok(serde_json::Value::Object(init)) = serde_json::from_str(text.as_str()) else {
        return headers;
    };
    if init.get("type").and_then(|t| t.as_str()) != Some("connection_init") {
        return headers;
    }
    let Some(serde_json::Value::Object(payload)) = init.get("payload") else {
        return headers;
    };
    let credentials = CREDENTIALS;
    for (name, value) in payload {
        let wanted = credentials
            .iter()
            .find(|credential| credential.as_str().eq_ignore_ascii_case(name));
        if let (Some(wanted), serde_json::Value::String(value)) = (wanted, value)
            && let Ok(value) = HeaderValue::from_str(value)
        {
            headers.append(wanted.clone(), value);
        }
    }
    headers
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_credentials_of_a_connection_init_are_read() {
        let init = r#"{"type":"connection_init","payload":{"authorization":"Bearer t","X-API-KEY":"btk_x","X-Tenant-Id":"other","X-Role":"OPERATOR"}}"#;
        let headers = credentials(&Message::Text(init.into()));
        assert_eq!(headers.len(), 2, "{headers:?}");
        assert_eq!(headers[header::AUTHORIZATION], "Bearer t");
        assert_eq!(headers["x-api-key"], "btk_x");
        let subscribe = r#"{"type":"subscribe","payload":{"X-Api-Key":"btk_x"}}"#;
        assert!(credentials(&Message::Text(subscribe.into())).is_empty());
    }
}
