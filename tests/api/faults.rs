//! What happens when what Tenantry depends on goes away, and when clients send what no client
//! should: clear errors, nothing half-written, no restart needed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, watch};

use crate::helpers::{Backend, detail, error_code, eventually, redis_server, spawn_app_with};

/// A loopback TCP proxy that can be cut (every connection closed, new ones dropped at once) and
/// restored, so a test can take the database away from one server without stopping it for
/// everyone else.
struct Proxy {
    addr: SocketAddr,
    open: watch::Sender<bool>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (open, watching) = watch::channel(true);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !*watching.borrow() {
                    continue;
                }
                let (target, mut watching) = (target.clone(), watching.clone());
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watching.wait_for(|open| !*open) => {}
                    }
                });
            }
        });
        Proxy { addr, open }
    }

    fn cut(&self) {
        self.open.send_replace(false);
    }

    fn restore(&self) {
        self.open.send_replace(true);
    }
}

/// Sends raw bytes; the status the server answered, if it answered before closing. (A server may
/// close on a request it refuses before reading all of it; writing the rest then fails.)
async fn send_raw(addr: SocketAddr, bytes: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let _ = stream.write_all(bytes).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response)
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

/// `host:port` of a database URL.
fn authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap();
    match authority.contains(':') {
        true => authority.to_owned(),
        false => format!("{authority}:5432"),
    }
}

/// PostgreSQL only: SQLite is a file, it has no outage to survive.
#[tokio::test]
async fn a_database_outage_answers_503_and_heals_by_itself() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let Backend::Postgres(url) = &backend else {
        unreachable!()
    };
    let real = authority(url);
    let proxy = Proxy::start(real.clone()).await;
    let app = spawn_app_with(backend.clone(), |config| {
        config.database.url = config
            .database
            .url
            .replacen(&real, &proxy.addr.to_string(), 1);
        config.database.acquire_timeout = Duration::from_secs(1);
    })
    .await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    let operator = app.operator().await;
    assert_eq!(app.get_branding(&host).await.status(), StatusCode::OK);

    // Forms keep arriving, one after another, through the outage.
    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let (stop, stopped) = watch::channel(false);
    let statuses = Arc::new(Mutex::new(Vec::<StatusCode>::new()));
    let writer = {
        let (client, url, host, accepted, statuses) = (
            app.client.clone(),
            app.url("/api/contact"),
            host.clone(),
            accepted.clone(),
            statuses.clone(),
        );
        tokio::spawn(async move {
            for n in 0.. {
                if *stopped.borrow() {
                    break;
                }
                let email = format!("lead{n}@example.com");
                let response = client
                    .post(&url)
                    .header("host", &host)
                    .json(&json!({ "email": email }))
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                if status == StatusCode::CREATED {
                    accepted.lock().await.push(email);
                }
                statuses.lock().await.push(status);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    eventually("some leads are taken before the outage", || async {
        accepted.lock().await.len() >= 3
    })
    .await;

    proxy.cut();
    let unavailable = |response: reqwest::Response| async move {
        let status = response.status();
        status == StatusCode::SERVICE_UNAVAILABLE
            && detail(response).await == "Service temporarily unavailable"
    };
    // Forms sent in the instant before the cut took hold may still be taken; each has its own
    // address so the accounting below stays exact.
    let probes = std::sync::atomic::AtomicUsize::new(0);
    eventually("a form is refused with 503", || async {
        let n = probes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let email = format!("probe{n}@example.com");
        let response = app
            .post_contact(&host, &json!({ "email": email }), &[])
            .await;
        if response.status() == StatusCode::CREATED {
            accepted.lock().await.push(email);
            return false;
        }
        unavailable(response).await
    })
    .await;
    let response = app.get("/readyz", &[]).await;
    assert!(unavailable(response).await, "readyz goes red");
    let (status, body) = app
        .graphql_with(
            &operator,
            &[],
            "{ tenants(first: 5) { nodes { slug } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_code(&body), "INTERNAL_SERVER_ERROR");
    assert_eq!(
        body["errors"][0]["message"],
        "Service temporarily unavailable"
    );

    eventually("the stream of forms is refused too", || async {
        statuses
            .lock()
            .await
            .contains(&StatusCode::SERVICE_UNAVAILABLE)
    })
    .await;

    proxy.restore();
    eventually("readyz is green again", || async {
        app.get("/readyz", &[]).await.status() == StatusCode::OK
    })
    .await;
    let before = accepted.lock().await.len();
    eventually("leads are taken again", || async {
        accepted.lock().await.len() > before + 2
    })
    .await;
    stop.send_replace(true);
    writer.await.unwrap();
    let statuses = statuses.lock().await;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::SERVICE_UNAVAILABLE),
        "only 201 and 503: {statuses:?}"
    );

    // Every lead that got a 201 is stored, once; nothing is stored twice. (A refused form is
    // normally not stored either, but one whose commit landed just as the connection went may be:
    // its sender saw 503 and may retry, with an Idempotency-Key to be safe.)
    let leads = tenantry::entities::lead::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    let accepted = accepted.lock().await;
    for email in accepted.iter() {
        let stored = leads.iter().filter(|lead| &lead.email == email).count();
        assert_eq!(stored, 1, "{email} stored {stored} times");
    }
    let mut emails: Vec<&str> = leads.iter().map(|lead| lead.email.as_str()).collect();
    emails.sort_unstable();
    let total = emails.len();
    emails.dedup();
    assert_eq!(emails.len(), total, "a lead was stored twice");
}

/// With the shared limiter's Redis gone, limits fail open: requests keep succeeding.
#[tokio::test]
async fn a_redis_outage_lets_requests_through() {
    let Some(mut redis) = redis_server().await else {
        return;
    };
    let redis_url = redis.url.clone();
    let app = spawn_app_with(Backend::Sqlite, |config| {
        config.limits.redis_url = Some(redis_url);
        config.limits.public_ip_per_minute = 3;
        config.http.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");
    for _ in 0..3 {
        assert_eq!(app.get_branding(&host).await.status(), StatusCode::OK);
    }
    assert_eq!(
        app.get_branding(&host).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    redis.kill().await;
    for _ in 0..5 {
        assert_eq!(app.get_branding(&host).await.status(), StatusCode::OK);
    }
    let metrics = app.metrics().await;
    let errors = metrics
        .lines()
        .find_map(|line| line.strip_prefix("tenantry_rate_limiter_backend_errors_total "))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .unwrap_or_default();
    assert!(errors >= 5.0, "{metrics}");
}

#[tokio::test]
async fn hostile_inputs_get_clear_errors_and_the_server_stays_up() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await;
    app.provision("acme", "Acme").await;
    let host = app.host("acme", "TAXI_PASSENGER");

    let long_host = format!("{}.localhost", "a".repeat(10_000));
    let response = app.get_branding(&long_host).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(detail(response).await, "Invalid Host header");

    // A NUL byte never makes it past the HTTP parser.
    let (status, _) = app
        .raw("GET /api/branding HTTP/1.1\r\nHost: acme\0-rides.localhost\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(status, 400);

    // Many small headers: the HTTP layer's own limit. Few large ones: Tenantry's, with a body.
    let mut flood = String::from("GET /api/branding HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for n in 0..1_000 {
        flood.push_str(&format!("X-Flood-{n}: {n}\r\n"));
    }
    flood.push_str("\r\n");
    assert_eq!(send_raw(app.addr, flood.as_bytes()).await, Some(431));
    let padding = "p".repeat(4_000);
    let headers: Vec<(String, &str)> = (0..8)
        .map(|n| (format!("x-pad-{n}"), padding.as_str()))
        .collect();
    let mut request = app
        .client
        .get(app.url("/api/branding"))
        .header("host", &host);
    for (name, value) in &headers {
        request = request.header(name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert_eq!(detail(response).await, "Request headers are too large");

    // Nesting far past the depth limit.
    let deep = format!("{}{}", "{ viewer ".repeat(500), "}".repeat(500));
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": deep }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");

    // A flat query of many aliases: cheap fields, too many of them.
    let aliased: String = (0..40).map(|n| format!("a{n}: apiVersion ")).collect();
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": format!("{{ {aliased} }}") }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "a document may use at most 30 aliases; this one uses 40"
    );

    // A megabyte of query: in a body it is refused for its size; in a URL, by the HTTP layer.
    let huge = format!("{{ {} }}", "discovery { apps { key } } ".repeat(40_000));
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": huge }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let long_url = format!(
        "GET /graphql?query={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "a".repeat(1_000_000)
    );
    let status = send_raw(app.addr, long_url.as_bytes()).await;
    assert!(
        matches!(status, None | Some(414 | 431)),
        "status {status:?}"
    );

    // Still serving.
    assert_eq!(app.get_branding(&host).await.status(), StatusCode::OK);
    assert_eq!(app.get("/healthz", &[]).await.status(), StatusCode::OK);
    let stored = tenantry::entities::lead::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}
