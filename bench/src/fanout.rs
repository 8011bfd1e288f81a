//! "Subscription fan-out": `SUBSCRIBERS` graphql-ws connections of one tenant, each holding one
//! `leadCreated` subscription, while leads are posted to the tenant's contact form at `RATE` a
//! second for `SECONDS`. Reported: how many of the expected deliveries arrived, the delay from
//! each post's answer to each arrival (p50, p99), and the server's resident memory per open
//! subscription.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tenantry::config::Config;
use tenantry::services::{demo, tenants};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::seed::Seeded;
use crate::server::Server;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub const SUBSCRIBERS: usize = 1000;
pub const RATE: u64 = 20;
pub const SECONDS: u64 = 10;
/// Connections opened at once while the subscribers gather.
const OPENING: usize = 50;

pub struct FanoutFigures {
    pub subscribers: usize,
    pub posted: usize,
    pub delivered: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Resident memory before the subscribers connected and once they all had subscribed.
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
}

impl FanoutFigures {
    pub fn kib_per_subscription(&self) -> f64 {
        (self.rss_after_kib as f64 - self.rss_before_kib as f64) / self.subscribers as f64
    }
}

/// Arrivals: (the lead's number, when it arrived).
type Arrivals = Arc<Mutex<Vec<(usize, Instant)>>>;

pub async fn measure(server: &Server, seeded: &Seeded) -> Result<FanoutFigures> {
    let (rss_before_kib, _) = server.memory_kib().map_err(|e| e.to_string())?;
    let arrivals: Arrivals = Arc::default();
    let url = server.base.replacen("http", "ws", 1) + "/graphql";
    let mut subscribers = Vec::with_capacity(SUBSCRIBERS);
    for batch in (0..SUBSCRIBERS).collect::<Vec<_>>().chunks(OPENING) {
        let opened = batch
            .iter()
            .map(|_| subscribe(&url, &seeded.secret_key, arrivals.clone()));
        for socket in futures::future::join_all(opened).await {
            subscribers.push(tokio::spawn(socket?));
        }
    }
    // Subscriptions start a moment after their `subscribe` message is sent.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rss_after_kib, _) = server.memory_kib().map_err(|e| e.to_string())?;

    let host = tenants::system_host(&Config::default(), demo::DEMO_SLUG, "TAXI_PASSENGER")?;
    let client = reqwest::Client::new();
    let mut sent = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(1000 / RATE));
    for n in 0..(RATE * SECONDS) as usize {
        ticker.tick().await;
        let body =
            serde_json::json!({ "email": format!("fanout{n}@example.com"), "message": "fan-out" });
        let response = client
            .post(format!("{}/api/contact", server.base))
            .header("Host", &host)
            .json(&body)
            .send()
            .await?;
        if response.status() != 201 {
            return Err(format!("the contact form answered {}", response.status()).into());
        }
        sent.push(Instant::now());
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for subscriber in &subscribers {
        subscriber.abort();
    }
    let arrivals = arrivals.lock().unwrap().clone();
    let mut delays: Vec<f64> = arrivals
        .iter()
        .filter_map(|(n, at)| {
            Some(at.saturating_duration_since(*sent.get(*n)?).as_secs_f64() * 1000.0)
        })
        .collect();
    delays.sort_by(f64::total_cmp);
    let at = |q: f64| {
        delays
            .get(((delays.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(FanoutFigures {
        subscribers: SUBSCRIBERS,
        posted: sent.len(),
        delivered: arrivals.len(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        rss_before_kib,
        rss_after_kib,
    })
}

/// Opens one subscriber (connected, acknowledged, subscribed) and returns what keeps reading it.
async fn subscribe(
    url: &str,
    key: &str,
    arrivals: Arrivals,
) -> Result<impl std::future::Future<Output = ()> + Send + 'static> {
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = serde_json::json!({ "type": "connection_init", "payload": { "X-Api-Key": key } });
    socket.send(Message::Text(init.to_string().into())).await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.contains("connection_ack") => break,
            Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => {}
            other => return Err(format!("no connection_ack: {other:?}").into()),
        }
    }
    let subscribe = serde_json::json!({
        "id": "1",
        "type": "subscribe",
        "payload": { "query": "subscription { leadCreated { email } }" },
    });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await?;
    Ok(async move {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let Ok(value) = serde_json::from_str::<serde_json::Value>(text.as_str()) else {
                continue;
            };
            match value["type"].as_str() {
                Some("next") => {
                    let number = value["payload"]["data"]["leadCreated"]["email"]
                        .as_str()
                        .and_then(|email| {
                            email
                                .strip_prefix("fanout")?
                                .split('@')
                                .next()?
                                .parse()
                                .ok()
                        });
                    if let Some(number) = number {
                        arrivals.lock().unwrap().push((number, Instant::now()));
                    }
                }
                Some("ping") => {
                    let _ = socket
                        .send(Message::Text(r#"{"type":"pong"}"#.into()))
                        .await;
                }
                _ => {}
            }
        }
    })
}
