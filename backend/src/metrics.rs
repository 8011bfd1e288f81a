//! Prometheus metrics, served on their own address (`metrics_bind`) so the public port never shows
//! them. Handlers do not record anything themselves: one middleware counts every response, and an
//! error says what it was (an auth failure, a rate limit) through a response extension.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::net::TcpListener;

/// The server's log writer's count of the lines it dropped, once the server's logging is set up.
static LOG_DROPS: OnceLock<Box<dyn Fn() -> u64 + Send + Sync>> = OnceLock::new();

/// Reports the log writer's dropped lines as `tenantry_log_lines_dropped_total` from now on.
pub fn follow_log_drops(dropped: impl Fn() -> u64 + Send + Sync + 'static) {
    let _ = LOG_DROPS.set(Box::new(dropped));
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The route pattern (`/api/branding`), never the raw path: unknown paths must not grow the
    /// label set.
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabels {
    scope: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatementLabels {
    /// `read` (SELECT) or `write` (anything else).
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// A cache's hit and miss counters, found once when the cache is made: counting a lookup is then
/// an atomic add, where finding the labelled series again would take a lock and a hash.
#[derive(Clone)]
pub struct Lookups {
    hit: Counter,
    miss: Counter,
}

impl Lookups {
    pub fn count(&self, hit: bool) {
        match hit {
            true => self.hit.inc(),
            false => self.miss.inc(),
        };
    }
}

/// What a response was refused for, set by the error that built it and counted by [`track`].
#[derive(Clone, Copy, Debug)]
pub enum Refusal {
    /// A credential or proof was not accepted; the reason is a fixed, low-cardinality word.
    Auth(&'static str),
    /// A rate limit was spent: `tenant`, `api_key`, `ip` or `address`.
    RateLimited(&'static str),
}

fn latency_histogram() -> Histogram {
    // 0.5 ms … ~8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram, fn() -> Histogram>,
    cache: Family<CacheLabels, Counter>,
    rate_limited: Family<ScopeLabels, Counter>,
    limiter_errors: Counter,
    auth_failures: Family<ReasonLabels, Counter>,
    pool: Family<PoolLabels, Gauge>,
    statements: Family<StatementLabels, Counter>,
    /// Follows the log writer's own count ([`follow_log_drops`]), brought up to date when the
    /// metrics are read.
    log_lines_dropped: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tenantry");
        let requests = Family::default();
        let latency: Family<RequestLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let cache = Family::default();
        let rate_limited = Family::default();
        let limiter_errors = Counter::default();
        let auth_failures = Family::default();
        let pool = Family::default();
        let statements = Family::default();
        let log_lines_dropped = Counter::default();
        registry.register(
            "http_requests",
            "Requests answered, by route pattern, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route pattern, method and status",
            latency.clone(),
        );
        registry.register(
            "cache_lookups",
            "Look-ups of cached database state (host resolutions, tenants, keys, sessions), by result",
            cache.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests refused with 429, by the limit that was spent",
            rate_limited.clone(),
        );
        registry.register(
            "rate_limiter_backend_errors",
            "Checks the shared (Redis) limiter could not make; each one let its request through",
            limiter_errors.clone(),
        );
        registry.register(
            "auth_failures",
            "Credentials and sign-in proofs refused, by reason",
            auth_failures.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections, by state (in_use, idle, max)",
            pool.clone(),
        );
        registry.register(
            "db_statements",
            "SQL statements sent to the database, by kind (read, write): what a route costs the database",
            statements.clone(),
        );
        registry.register(
            "log_lines_dropped",
            "Log lines dropped because the log writer was behind: requests never wait for the log",
            log_lines_dropped.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            cache,
            rate_limited,
            limiter_errors,
            auth_failures,
            pool,
            statements,
            log_lines_dropped,
        }
    }
}

impl Metrics {
    pub fn cache_lookups(&self, cache: &'static str) -> Lookups {
        let counter = |result| {
            self.cache
                .get_or_create(&CacheLabels { cache, result })
                .clone()
        };
        Lookups {
            hit: counter("hit"),
            miss: counter("miss"),
        }
    }

    /// Counts a statement the database connection ran (its metric callback).
    pub fn db_statement(&self, sql: &str) {
        let kind = match is_read(sql) {
            true => "read",
            false => "write",
        };
        self.statements
            .get_or_create(&StatementLabels { kind })
            .inc();
    }

    pub fn limiter_error(&self) {
        self.limiter_errors.inc();
    }

    fn refusal(&self, refusal: Refusal) {
        match refusal {
            Refusal::Auth(reason) => {
                self.auth_failures
                    .get_or_create(&ReasonLabels { reason })
                    .inc();
            }
            Refusal::RateLimited(scope) => {
                self.rate_limited
                    .get_or_create(&ScopeLabels { scope })
                    .inc();
            }
        }
    }

    /// The text exposition, with the pool gauges read now.
    fn render(&self, db: &DatabaseConnection) -> String {
        let (size, idle, max) = pool_usage(db);
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(size.saturating_sub(idle as u32)));
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(idle as i64);
        self.pool
            .get_or_create(&PoolLabels { state: "max" })
            .set(i64::from(max));
        // `fetch_max`: two scrapes at once must not count the same drops twice.
        self.log_lines_dropped
            .inner()
            .fetch_max(log_lines_dropped(), Ordering::Relaxed);
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

fn log_lines_dropped() -> u64 {
    LOG_DROPS.get().map_or(0, |dropped| dropped())
}

/// Whether a statement only reads: a `SELECT` (sea-orm writes no `WITH`).
fn is_read(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|verb| verb.eq_ignore_ascii_case("select"))
}

/// (open, idle, most allowed) connections of the database pool.
fn pool_usage(db: &DatabaseConnection) -> (u32, usize, u32) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
    }
}

/// A request being counted: its route pattern and method, and when it reached its route.
pub struct Tracking {
    route: &'static str,
    method: &'static str,
    started: Instant,
}

impl Tracking {
    pub fn start(req: &Request) -> Self {
        Self {
            route: req
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", |path| route_label(path.as_str())),
            method: method_label(req.method()),
            started: Instant::now(),
        }
    }
}

/// The route pattern as a label that lives as long as the process, kept once: a request's labels
/// borrow it rather than copy it. The router's patterns bound the set (a raw path never gets here).
fn route_label(pattern: &str) -> &'static str {
    static KNOWN: RwLock<BTreeSet<&'static str>> = RwLock::new(BTreeSet::new());
    if let Some(known) = KNOWN
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(pattern)
    {
        return known;
    }
    let mut known = KNOWN.write().unwrap_or_else(PoisonError::into_inner);
    match known.get(pattern) {
        Some(label) => label,
        None => {
            let label: &'static str = Box::leak(pattern.into());
            known.insert(label);
            label
        }
    }
}

/// The label of a request's method: one of the standard methods, or `OTHER`. A client chooses
/// the method, and every distinct label is a series kept for the life of the process.
fn method_label(method: &axum::http::Method) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    STANDARD
        .into_iter()
        .find(|known| method.as_str() == *known)
        .unwrap_or("OTHER")
}

impl Metrics {
    /// Counts and times a response by route pattern and status, and any refusal it carries.
    pub fn track(&self, tracking: Tracking, response: &Response) {
        let labels = RequestLabels {
            route: tracking.route,
            method: tracking.method,
            status: response.status().as_u16(),
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(tracking.started.elapsed().as_secs_f64());
        if let Some(refusal) = response.extensions().get::<Refusal>() {
            self.refusal(*refusal);
        }
    }
}

/// Serves `GET /metrics` on its own listener until the process ends.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    db: DatabaseConnection,
) -> std::io::Result<()> {
    let app = Router::new().route(
        "/metrics",
        get(move || async move {
            (
                StatusCode::OK,
                [(
                    header::CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )],
                metrics.render(&db),
            )
                .into_response()
        }),
    );
    axum::serve(listener, app).await
}

#[cfg(test)]
mod tests {
    use super::is_read;

    #[test]
    fn only_selects_are_reads() {
        assert!(is_read(r#"SELECT "tenants"."id" FROM "tenants""#));
        assert!(is_read("  select 1"));
        for write in [
            r#"INSERT INTO "leads" ("id") VALUES ($1)"#,
            r#"UPDATE "api_keys" SET "last_used_at" = $1"#,
            "DELETE FROM sessions",
            "SEL",
            "",
        ] {
            assert!(!is_read(write), "{write}");
        }
    }
}
