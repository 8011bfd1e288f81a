//! Subscriptions at `/graphql` over WebSocket, protocol `graphql-transport-ws` (what Apollo
//! Client, urql and Relay speak through the `graphql-ws` library).
//!
//! A browser cannot set headers on a WebSocket, so the credential travels in `connection_init`'s
//! payload (`{"Authorization": "Bearer …"}` or `{"X-Api-Key": "btk_…"}`) and passes the same
//! guard as a request's headers; nothing else in the payload is read. A credential that is
//! present and bad closes the socket with `4403`, as the protocol says; async-graphql then runs
//! the protocol with the principal the guard admitted.
//!
//! An open socket stays answerable to its credential: when a cache event may have taken it away
//! (a key revoked, a session ended, an account removed, a tenant suspended) it is checked again,
//! and a socket whose credential no longer stands is closed with `4403`, as is one whose access
//! token expires. A connection holds at most `graphql.subscriptions_per_connection`
//! subscriptions (one more is answered with the protocol's `error`), and a tenant's callers at
//! most `graphql.connections_per_tenant` connections on one instance (one more is closed with
//! `4429`). Every `graphql.socket_ping_secs` the socket is pinged, so that a proxy in between
//! never takes a quiet subscription for a dead connection.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::Data;
use async_graphql::futures_util::{SinkExt, StreamExt, stream};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::Response;
use futures::channel::mpsc;

use crate::auth::principal::{CallerIp, require_role};
use crate::entities::account::Role;
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::http::middleware::guard;
use crate::state::AppState;

/// The one subprotocol served: the older `graphql-ws` (subscriptions-transport-ws) is not.
pub const PROTOCOL: &str = "graphql-transport-ws";

/// Bytes each socket buffers for reading and for writing before it writes out.
const SOCKET_BUFFER: usize = 4 * 1024;

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
    // Messages are small (a document, a lead): small buffers keep a thousand open sockets cheap,
    // and no message may be larger than a `/graphql` body.
    let largest = state.config.http.max_body_bytes;
    upgrade
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .max_message_size(largest)
        .max_frame_size(largest)
        .protocols([PROTOCOL])
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
    let first = match tokio::time::timeout(INIT_TIMEOUT, messages.next()).await {
        Ok(Some(Ok(first))) => first,
        Err(_) => {
            let _ = sink
                .send(close(4408, "Connection initialisation timeout"))
                .await;
            return;
        }
        // Too big a message, or a broken one: the socket is already unusable.
        Ok(Some(Err(_))) => {
            let _ = sink.send(close(1009, "Message too big or malformed")).await;
            return;
        }
        Ok(None) => return,
    };
    let mut headers = credentials(&first);
    if let Some(origin) = origin {
        headers.insert(header::ORIGIN, origin);
    }
    // Only who may read leads holds a socket: the one subscription is theirs, and a public key
    // or a self-signed-up USER must not take the seats of a tenant's members.
    let admitted = guard::admit(&state, &headers, caller_ip)
        .await
        .and_then(|principal| require_role(&principal, Role::Member).map(|()| principal));
    let principal = match admitted {
        Ok(principal) => principal,
        Err(AppError::RateLimited { .. }) => {
            let _ = sink.send(close(4429, "Too many requests")).await;
            return;
        }
        Err(refused) => {
            tracing::info!(reason = %refused, "a subscription's credential was refused");
            let _ = sink.send(close(4403, "Forbidden")).await;
            return;
        }
    };
    let _seat = match &principal.tenant {
        Some(tenant) => {
            let limit = state.config.graphql.connections_per_tenant;
            match state.sockets.take(tenant.id(), limit) {
                Some(seat) => Some(seat),
                None => {
                    let _ = sink
                        .send(close(4429, "Too many connections for this tenant"))
                        .await;
                    return;
                }
            }
        }
        None => None,
    };
    let expires = token_expiry(&state, &headers).await;
    let mut data = Data::default();
    data.insert(principal.clone());
    data.insert(CallerIp(caller_ip));

    // async-graphql runs the protocol and writes into a channel; this loop passes its messages on
    // and can end the connection itself: when the credential no longer stands, or the token
    // expires.
    let (to_client, mut from_graphql) = mpsc::channel::<Message>(32);
    let active = Arc::new(Mutex::new(HashSet::new()));
    let limit = state.config.graphql.subscriptions_per_connection;
    let admitted = {
        let (active, to_client, state) = (active.clone(), to_client.clone(), state.clone());
        // The first message goes on to async-graphql too, which answers it with `connection_ack`.
        stream::iter([Ok(first)])
            .chain(messages)
            .filter_map(move |message| {
                let (active, mut to_client) = (active.clone(), to_client.clone());
                let (state, principal) = (state.clone(), principal.clone());
                async move {
                    let Ok(Message::Text(text)) = &message else {
                        return Some(message);
                    };
                    // Each operation costs a request of the caller's budget, as over HTTP.
                    let (id, subscribes) = operation(text.as_str());
                    if subscribes
                        && let Err(refused) = guard::spend(&state, &principal, caller_ip).await
                    {
                        refuse(
                            &mut to_client,
                            id.as_deref(),
                            &refused.to_string(),
                            "RATE_LIMITED",
                        );
                        return None;
                    }
                    admit_subscription(text.as_str(), &active, limit, &mut to_client)
                        .then_some(message)
                }
            })
    };
    let protocol_run = GraphQLWebSocket::new_with_pair(to_client, admitted, schema, protocol)
        .on_connection_init(move |_| async move { Ok(data) })
        .serve();
    tokio::pin!(protocol_run);
    let mut protocol_done = false;
    let mut changes = state.credentials_changed.subscribe();
    let expiry = tokio::time::sleep(expires.unwrap_or(Duration::from_secs(u32::MAX.into())));
    tokio::pin!(expiry);
    let every = state.config.graphql.socket_ping;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut protocol_run, if !protocol_done => protocol_done = true,
            message = from_graphql.next() => {
                let Some(message) = message else { break };
                forget_ended(&message, &active);
                if sink.send(message).await.is_err() {
                    break;
                }
            }
            Ok(()) = changes.changed() => {
                if guard::still_admitted(&state, &headers, caller_ip).await.is_err() {
                    let _ = sink.send(close(4403, "Forbidden")).await;
                    break;
                }
            }
            _ = ping.tick() => {
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
            () = &mut expiry => {
                let _ = sink.send(close(4403, "Forbidden: the access token expired")).await;
                break;
            }
        }
    }
}

/// How long the Bearer token of `headers` (if that is the credential) has left.
async fn token_expiry(state: &AppState, headers: &HeaderMap) -> Option<Duration> {
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .trim();
    let claims = state.tokens.verify(&state.db, token).await.ok()?;
    let left = claims.exp.saturating_sub(crate::db::now().timestamp());
    Some(Duration::from_secs(u64::try_from(left).unwrap_or(0)))
}

/// Whether a client's message goes on to async-graphql: a `subscribe` past the connection's
/// limit is answered with the protocol's `error` for its id instead.
fn admit_subscription(
    text: &str,
    active: &Mutex<HashSet<String>>,
    limit: usize,
    to_client: &mut mpsc::Sender<Message>,
) -> bool {
    let Ok(message) = serde_json::from_str::<serde_json::Value>(text) else {
        return true;
    };
    let Some(id) = message.get("id").and_then(|id| id.as_str()) else {
        return true;
    };
    let mut active = active.lock().unwrap_or_else(|e| e.into_inner());
    match message.get("type").and_then(|kind| kind.as_str()) {
        Some("subscribe") if !active.contains(id) && active.len() >= limit => {
            let message = format!("a connection may hold at most {limit} subscriptions");
            refuse(to_client, Some(id), &message, "RATE_LIMITED");
            false
        }
        Some("subscribe") => {
            active.insert(id.to_owned());
            true
        }
        Some("complete") => {
            active.remove(id);
            true
        }
        _ => true,
    }
}

/// The id of a client's message, and whether it starts an operation (`subscribe`).
fn operation(text: &str) -> (Option<String>, bool) {
    let Ok(message) = serde_json::from_str::<serde_json::Value>(text) else {
        return (None, false);
    };
    let id = message
        .get("id")
        .and_then(|id| id.as_str())
        .map(str::to_owned);
    let subscribes = message.get("type").and_then(|kind| kind.as_str()) == Some("subscribe");
    (id, subscribes)
}

/// The protocol's `error` for the operation `id`, with `code`.
fn refuse(to_client: &mut mpsc::Sender<Message>, id: Option<&str>, message: &str, code: &str) {
    let refusal = serde_json::json!({
        "id": id,
        "type": "error",
        "payload": [{ "message": message, "extensions": { "code": code } }],
    });
    let _ = to_client.try_send(Message::Text(refusal.to_string().into()));
}

/// A subscription the server ended (`complete` or `error`) no longer counts against the limit.
fn forget_ended(message: &Message, active: &Mutex<HashSet<String>>) {
    let Message::Text(text) = message else {
        return;
    };
    let Ok(message) = serde_json::from_str::<serde_json::Value>(text.as_str()) else {
        return;
    };
    if matches!(
        message.get("type").and_then(|kind| kind.as_str()),
        Some("complete" | "error")
    ) && let Some(id) = message.get("id").and_then(|id| id.as_str())
    {
        active.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
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
