//! "API key under an anonymous flood": a tenant's secret key drives `viewer` at a fixed rate while
//! wrk floods `/api/branding` on the same tenant's host from many client addresses (reported by
//! the trusted loopback proxy in `X-Forwarded-For`). The server runs with its default limits, so
//! the flood meets the per-IP budget and the key its tenant's: every key request must answer 200,
//! none 429, and its latency is compared with the same rate without the flood.

use std::time::{Duration, Instant};

use crate::load::{self, Load, Shape};
use crate::seed::Seeded;
use crate::server::Server;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Key requests per second, and how long each phase lasts.
pub const RATE: u64 = 50;
const PHASE: Duration = Duration::from_secs(8);

/// Key requests at a fixed rate: what they answered and how fast.
pub struct Paced {
    pub sent: usize,
    pub ok: usize,
    pub limited: usize,
    pub other: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

pub struct FloodFigures {
    pub quiet: Paced,
    pub flooded: Paced,
    /// The flood's requests per second, and how many of them the per-IP budget refused.
    pub flood_per_second: f64,
    pub flood_refused: u64,
}

const VIEWER: &str = r#"{"query":"{ viewer { tenant { slug } role } }"}"#;

pub async fn measure(
    wrk: &std::path::Path,
    scratch: &std::path::Path,
    server: &Server,
    seeded: &Seeded,
    load: Load,
) -> Result<FloodFigures> {
    let quiet = paced(&server.base, &seeded.secret_key).await?;
    let flood = Shape::get("/api/branding")
        .header("Host", "acme-rides.localhost")
        .random_clients();
    let (wrk, scratch, base) = (wrk.to_owned(), scratch.to_owned(), server.base.clone());
    let flood_load = Load {
        duration: PHASE + Duration::from_secs(2),
        ..load
    };
    let flooding = std::thread::spawn(move || {
        load::run(&wrk, &scratch, &base, &flood, flood_load).map_err(|e| e.to_string())
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let flooded = paced(&server.base, &seeded.secret_key).await?;
    let figures = flooding.join().map_err(|_| "the flood thread panicked")??;
    if figures.socket_errors > 0 {
        return Err(format!("the flood saw {} socket errors", figures.socket_errors).into());
    }
    Ok(FloodFigures {
        quiet,
        flooded,
        flood_per_second: figures.per_second(),
        flood_refused: figures.status_errors,
    })
}

/// `viewer` with the secret key, `RATE` a second for `PHASE`, each request on its own task.
async fn paced(base: &str, key: &str) -> Result<Paced> {
    let client = reqwest::Client::new();
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
    let mut requests = tokio::task::JoinSet::new();
    let started = Instant::now();
    while started.elapsed() < PHASE {
        ticker.tick().await;
        let request = client
            .post(format!("{base}/graphql"))
            .header("x-api-key", key)
            .header("content-type", "application/json")
            .body(VIEWER);
        requests.spawn(async move {
            let sent = Instant::now();
            let status = request.send().await.map(|r| r.status().as_u16());
            (status.unwrap_or(0), sent.elapsed())
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = requests.join_next().await {
        answers.push(answer?);
    }
    let mut latencies: Vec<Duration> = answers.iter().map(|(_, took)| *took).collect();
    latencies.sort();
    let at = |q: f64| {
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies[index].as_secs_f64() * 1000.0
    };
    Ok(Paced {
        sent: answers.len(),
        ok: answers.iter().filter(|(s, _)| *s == 200).count(),
        limited: answers.iter().filter(|(s, _)| *s == 429).count(),
        other: answers
            .iter()
            .filter(|(s, _)| *s != 200 && *s != 429)
            .count(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
    })
}
