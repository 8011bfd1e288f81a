//! One typed configuration, layered: command-line flags beat environment variables, which beat the
//! TOML file (`tenantry.toml` in the working directory, or `--config`), which beats the defaults.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use ipnet::IpNet;
use serde::Deserialize;

use crate::tenancy::catalog::AppCatalog;
use crate::tenancy::host;

pub const DEFAULT_CONFIG_FILE: &str = "tenantry.toml";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tenantry.db?mode=rwc";

/// The running configuration. Not `Debug`: the database URL may hold a password.
#[derive(Clone)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// `sqlite://…` (the embedded default) or `postgres://…`.
    pub database_url: String,
    /// Parent of every system subdomain (`acme-rides.{base_domain}`); itself the platform's host.
    pub base_domain: String,
    /// Peers whose forwarding headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// The one header a trusted proxy reports the client in; the same choice says where the
    /// public host and scheme come from (see [`ForwardingHeader`]).
    pub client_ip_header: ForwardingHeader,
    /// The scheme clients use (`https` behind a TLS-terminating proxy); unset: what the forwarding
    /// header says, else `http`.
    pub public_scheme: Option<String>,
    /// Labels under the base domain that belong to the platform, and slugs nobody may take.
    pub reserved_subdomains: Vec<String>,
    /// Apps every tenant runs, with their host suffixes.
    pub apps: AppCatalog,
    /// Most host resolutions (found or not) kept in memory.
    pub cache_capacity: u64,
    /// How long a resolution is kept, at most.
    pub cache_ttl: Duration,
    /// How often each server checks whether another process changed cached state.
    pub cache_poll_interval: Duration,
    pub log_format: LogFormat,
    /// `iss` of issued access tokens, and the only issuer accepted.
    pub jwt_issuer: String,
    /// `aud` of issued access tokens, and the only audience accepted.
    pub jwt_audience: String,
    /// Lifetime of an access token.
    pub access_token_ttl: Duration,
    /// Clock skew tolerated when checking `exp`.
    pub jwt_leeway: Duration,
    /// How often the batched `last_used_at` of API keys is written.
    pub key_usage_flush_interval: Duration,
    /// GraphQL limits: nesting depth, complexity (fields, weighted), queries per batch.
    pub graphql_max_depth: usize,
    pub graphql_max_complexity: usize,
    pub graphql_max_batch: usize,
    /// Most aliases in one GraphQL document.
    pub graphql_max_aliases: usize,
    /// Most nodes (fields, fragments, directives, arguments, variables) and bytes of one GraphQL
    /// document: validating a huge document costs seconds of CPU before any limit above applies.
    pub graphql_max_nodes: usize,
    pub graphql_max_query_bytes: usize,
    /// Whether `/graphql` answers introspection and serves GraphiQL on `GET`.
    pub graphql_introspection: bool,
    /// `smtp://host:port` or `smtps://user:pass@host`; unset: mail goes to the `outbox` table.
    pub smtp_url: Option<String>,
    /// The `From` of every message.
    pub mail_from: String,
    /// Lifetime of an emailed sign-in code, and how many wrong tries kill it.
    pub otp_ttl: Duration,
    pub otp_max_attempts: i32,
    /// Lifetime of an emailed password-reset token.
    pub password_reset_ttl: Duration,
    /// Lifetime of a session (its refresh tokens), and of a step-up elevation.
    pub session_ttl: Duration,
    pub elevation_ttl: Duration,
    /// argon2id cost of password hashes.
    pub password_cost: crate::auth::password::Cost,
    /// How many password hashes may run at once (each holds the cost's memory), and how long a
    /// sign-in waits for its turn before it is answered `503` with `Retry-After`.
    pub password_hash_concurrency: usize,
    pub password_hash_wait: Duration,
    /// Requests per minute: of one tenant's authenticated `/graphql` traffic (operators may set a
    /// tenant's own), of one API key, from one client IP on the contact form and sign-in, and for
    /// one sign-in address.
    pub tenant_rate_per_minute: u32,
    pub api_key_rate_per_minute: u32,
    pub ip_rate_per_minute: u32,
    pub address_rate_per_minute: u32,
    /// Requests per minute from one client IP (an IPv6 client per /64): on the anonymous Host
    /// routes (branding, the console's files; not `/.well-known/*`), and on `/graphql` without a
    /// credential or with a public key (each `tenantDiscovery` / `subdomainAvailable` one request).
    pub public_ip_rate_per_minute: u32,
    pub anonymous_graphql_rate_per_minute: u32,
    /// Requests per minute of one `USER` account (people who signed themselves up): their
    /// traffic is limited per account and never spends the tenant's budget, as anyone can be one.
    pub user_rate_per_minute: u32,
    /// `redis://host:port`: rate-limit counters shared by every instance; unset: in memory.
    pub redis_url: Option<String>,
    /// Where `GET /metrics` is served; unset: nowhere. Never the public address.
    pub metrics_bind: Option<SocketAddr>,
    /// Longest a request may take before it is answered `504`.
    pub request_timeout: Duration,
    /// Longest a client may take to send a request's header lines, and longest an idle
    /// keep-alive connection is kept; past it the connection is closed.
    pub header_read_timeout: Duration,
    /// Largest request body (`/graphql`; the form and sign-in routes allow 64 KiB), and largest
    /// total of request header lines.
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    /// Database pool: most connections, and how long a request waits for one before `503`.
    pub db_max_connections: u32,
    pub db_acquire_timeout: Duration,
    /// How long an unverified custom-domain claim lives.
    pub domain_claim_ttl: Duration,
    /// Whether verification demands the TXT ownership record.
    pub domain_check_ownership: bool,
    /// Time allowed to each well-known probe.
    pub domain_probe_timeout: Duration,
    /// How often domains verified by the checks are checked again, and how many consecutive
    /// failures unroute one.
    pub domain_recheck_interval: Duration,
    pub domain_recheck_failures: i32,
    /// Where names are looked up: the system resolver, or a fixed map (tests, air-gapped sites).
    pub dns: crate::services::domain_checks::DnsSource,
    /// Scheme and port the probes use (`https`, 443); other values only for tests and labs.
    pub probe_scheme: String,
    pub probe_port: Option<u16>,
    /// Let probes reach loopback and private addresses (never in production: SSRF).
    pub probe_allow_private: bool,
    /// Encrypts the secrets the server must read back (the JWT signing keys): from
    /// `TENANTRY_MASTER_KEY`, or the file `master_key_file` names. `serve` needs one.
    pub master_key: Option<crate::auth::master_key::MasterKey>,
}

/// Which header of a trusted proxy gives the client's address, and with it the public host and
/// scheme. Exactly one: reading several lets a client pick whichever the proxy does not overwrite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardingHeader {
    /// `X-Forwarded-For` (rightmost untrusted entry), `X-Forwarded-Host`, `X-Forwarded-Proto`.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded`: `for=` (rightmost untrusted), `host=` and `proto=` (first element).
    Forwarded,
    /// `X-Real-IP` (one address), `X-Forwarded-Host`, `X-Forwarded-Proto`.
    XRealIp,
    /// No proxy: the TCP peer, the `Host` header, the listener's scheme.
    None,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            database_url: DEFAULT_DATABASE_URL.into(),
            base_domain: "localhost".into(),
            trusted_proxies: vec![
                "127.0.0.0/8".parse().expect("valid CIDR"),
                "::1/128".parse().expect("valid CIDR"),
            ],
            client_ip_header: ForwardingHeader::default(),
            public_scheme: None,
            reserved_subdomains: [
                "www",
                "api",
                "admin",
                "app",
                "cdn",
                "static",
                "assets",
                "staging",
                "dev",
                "test",
                "mail",
                "smtp",
                "imap",
                "pop",
                "ftp",
                "ns1",
                "ns2",
                "auth",
                "login",
                "sso",
                "console",
                "dashboard",
                "status",
                "docs",
                "help",
                "support",
                "blog",
                "internal",
                "main",
                "platform",
                "system",
                "root",
            ]
            .map(String::from)
            .to_vec(),
            apps: AppCatalog::default(),
            cache_capacity: 100_000,
            cache_ttl: Duration::from_secs(60),
            cache_poll_interval: Duration::from_secs(1),
            log_format: LogFormat::Pretty,
            jwt_issuer: "tenantry".into(),
            jwt_audience: "tenantry".into(),
            access_token_ttl: Duration::from_secs(15 * 60),
            jwt_leeway: Duration::from_secs(10),
            key_usage_flush_interval: Duration::from_secs(30),
            graphql_max_depth: 16,
            graphql_max_complexity: 1_000,
            graphql_max_batch: 10,
            graphql_max_aliases: 30,
            graphql_max_nodes: 2_000,
            graphql_max_query_bytes: 64 * 1024,
            graphql_introspection: false,
            smtp_url: None,
            mail_from: "Tenantry <no-reply@localhost>".into(),
            otp_ttl: Duration::from_secs(10 * 60),
            otp_max_attempts: 5,
            password_reset_ttl: Duration::from_secs(30 * 60),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            elevation_ttl: Duration::from_secs(5 * 60),
            password_cost: crate::auth::password::Cost::default(),
            password_hash_concurrency: 2 * std::thread::available_parallelism()
                .map_or(1, std::num::NonZeroUsize::get),
            password_hash_wait: Duration::from_secs(5),
            tenant_rate_per_minute: 6_000,
            api_key_rate_per_minute: 1_200,
            ip_rate_per_minute: 30,
            public_ip_rate_per_minute: 600,
            anonymous_graphql_rate_per_minute: 600,
            user_rate_per_minute: 600,
            address_rate_per_minute: 10,
            redis_url: None,
            metrics_bind: None,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            max_header_bytes: 16 * 1024,
            db_max_connections: 10,
            db_acquire_timeout: Duration::from_secs(5),
            domain_claim_ttl: Duration::from_secs(7 * 24 * 3600),
            domain_check_ownership: true,
            domain_probe_timeout: Duration::from_secs(5),
            domain_recheck_interval: Duration::from_secs(3600),
            domain_recheck_failures: 3,
            dns: crate::services::domain_checks::DnsSource::System,
            probe_scheme: "https".into(),
            probe_port: None,
            probe_allow_private: false,
            master_key: None,
        }
    }
}

/// Where the data is: what every command that reads or writes data accepts, as flags or
/// environment variables (`global`, so they may follow the subcommand's own words).
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Database and configuration")]
pub struct ConfigArgs {
    /// TOML configuration file, e.g. /etc/tenantry/tenantry.toml [default: ./tenantry.toml when present]
    #[arg(long, env = "TENANTRY_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// File holding the master key (32 bytes, base64), e.g. /run/secrets/tenantry-master-key; TENANTRY_MASTER_KEY gives the key itself
    #[arg(
        long,
        env = "TENANTRY_MASTER_KEY_FILE",
        global = true,
        value_name = "FILE"
    )]
    pub master_key_file: Option<PathBuf>,
    /// Database URL, e.g. postgres://tenantry@db.internal/tenantry [default: sqlite://data/tenantry.db?mode=rwc]
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Parent domain of every system subdomain, e.g. example.io [default: localhost]
    #[arg(
        long,
        env = "TENANTRY_BASE_DOMAIN",
        global = true,
        value_name = "DOMAIN"
    )]
    pub base_domain: Option<String>,
}

/// Settings only the server uses, as flags of `serve` or environment variables.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Server")]
pub struct ServerArgs {
    /// Address to listen on, e.g. 0.0.0.0:8080 [default: 127.0.0.1:8080]
    #[arg(long, env = "TENANTRY_BIND", value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Comma-separated CIDRs whose forwarding headers are believed, e.g. 10.0.0.0/8 [default: 127.0.0.0/8,::1/128]
    #[arg(
        long,
        env = "TENANTRY_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "CIDRS"
    )]
    pub trusted_proxies: Option<Vec<IpNet>>,
    /// Log output format, e.g. json [default: pretty]
    #[arg(long, env = "TENANTRY_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Answer GraphQL introspection and serve GraphiQL on GET /graphql, e.g. true [default: false; true with --demo]
    #[arg(long, env = "TENANTRY_GRAPHQL_INTROSPECTION", value_name = "BOOL")]
    pub graphql_introspection: Option<bool>,
    /// SMTP server for outgoing mail, e.g. smtp://127.0.0.1:2525 [default: none; mail goes to the outbox table]
    #[arg(long, env = "SMTP_URL", value_name = "URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Redis for rate-limit counters shared by every instance, e.g. redis://127.0.0.1:6379 [default: none; counters in memory]
    #[arg(long, env = "REDIS_URL", value_name = "URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Address of the Prometheus endpoint GET /metrics, e.g. 127.0.0.1:9464 [default: none]
    #[arg(long, env = "TENANTRY_METRICS_BIND", value_name = "ADDR")]
    pub metrics_bind: Option<SocketAddr>,
}

/// The file layer: every key optional, unknown keys refused (a typo should not pass silently).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    master_key_file: Option<PathBuf>,
    bind: Option<SocketAddr>,
    database_url: Option<String>,
    base_domain: Option<String>,
    trusted_proxies: Option<Vec<IpNet>>,
    client_ip_header: Option<ForwardingHeader>,
    public_scheme: Option<String>,
    reserved_subdomains: Option<Vec<String>>,
    apps: Option<AppCatalog>,
    cache_capacity: Option<u64>,
    cache_ttl_secs: Option<u64>,
    cache_poll_interval_ms: Option<u64>,
    log_format: Option<LogFormat>,
    jwt_issuer: Option<String>,
    jwt_audience: Option<String>,
    access_token_ttl_secs: Option<u64>,
    jwt_leeway_secs: Option<u64>,
    key_usage_flush_interval_secs: Option<u64>,
    graphql_max_depth: Option<usize>,
    graphql_max_complexity: Option<usize>,
    graphql_max_batch: Option<usize>,
    graphql_max_aliases: Option<usize>,
    graphql_max_nodes: Option<usize>,
    graphql_max_query_bytes: Option<usize>,
    graphql_introspection: Option<bool>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    otp_ttl_secs: Option<u64>,
    otp_max_attempts: Option<i32>,
    password_reset_ttl_secs: Option<u64>,
    session_ttl_secs: Option<u64>,
    elevation_ttl_secs: Option<u64>,
    password_memory_kib: Option<u32>,
    password_iterations: Option<u32>,
    password_hash_concurrency: Option<usize>,
    password_hash_wait_secs: Option<u64>,
    tenant_rate_per_minute: Option<u32>,
    api_key_rate_per_minute: Option<u32>,
    ip_rate_per_minute: Option<u32>,
    public_ip_rate_per_minute: Option<u32>,
    anonymous_graphql_rate_per_minute: Option<u32>,
    user_rate_per_minute: Option<u32>,
    address_rate_per_minute: Option<u32>,
    redis_url: Option<String>,
    metrics_bind: Option<SocketAddr>,
    request_timeout_secs: Option<u64>,
    header_read_timeout_secs: Option<u64>,
    max_body_bytes: Option<usize>,
    max_header_bytes: Option<usize>,
    db_max_connections: Option<u32>,
    db_acquire_timeout_secs: Option<u64>,
    domain_claim_ttl_secs: Option<u64>,
    domain_check_ownership: Option<bool>,
    domain_probe_timeout_secs: Option<u64>,
    domain_recheck_interval_secs: Option<u64>,
    domain_recheck_failures: Option<i32>,
    /// `[dns_static]` with `a = { "host" = ["192.0.2.1"] }` and `txt = { "name" = ["value"] }`.
    dns_static: Option<crate::services::domain_checks::StaticDns>,
    probe_scheme: Option<String>,
    probe_port: Option<u16>,
    probe_allow_private: Option<bool>,
}

impl Config {
    /// Merges the layers: flags and environment (`args`, and `server` for `serve`), the file, the
    /// defaults.
    pub fn load(args: &ConfigArgs, server: &ServerArgs) -> Result<Self, String> {
        let file_path = match &args.config {
            Some(path) => Some(path.clone()),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => Some(DEFAULT_CONFIG_FILE.into()),
            None => None,
        };
        let file = match &file_path {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let defaults = Config::default();
        // A relative `master_key_file` in the file is the file's neighbour, wherever the command
        // runs from; a flag or variable is relative to the working directory, as paths typed are.
        let key_in_file = file.master_key_file.clone().map(|key| {
            match file_path.as_deref().and_then(Path::parent) {
                Some(dir) if key.is_relative() => dir.join(key),
                _ => key,
            }
        });
        let master_key = master_key(
            std::env::var("TENANTRY_MASTER_KEY")
                .ok()
                .filter(|k| !k.is_empty()),
            args.master_key_file.clone().or(key_in_file),
        )?;
        let config = Config {
            master_key,
            bind: server.bind.or(file.bind).unwrap_or(defaults.bind),
            database_url: args
                .database_url
                .clone()
                .or(file.database_url)
                .unwrap_or(defaults.database_url),
            base_domain: args
                .base_domain
                .clone()
                .or(file.base_domain)
                .unwrap_or(defaults.base_domain),
            trusted_proxies: server
                .trusted_proxies
                .clone()
                .or(file.trusted_proxies)
                .unwrap_or(defaults.trusted_proxies),
            client_ip_header: file.client_ip_header.unwrap_or(defaults.client_ip_header),
            public_scheme: file.public_scheme.or(defaults.public_scheme),
            reserved_subdomains: file
                .reserved_subdomains
                .unwrap_or(defaults.reserved_subdomains),
            apps: file.apps.unwrap_or(defaults.apps),
            cache_capacity: file.cache_capacity.unwrap_or(defaults.cache_capacity),
            cache_ttl: file
                .cache_ttl_secs
                .map_or(defaults.cache_ttl, Duration::from_secs),
            cache_poll_interval: file
                .cache_poll_interval_ms
                .map_or(defaults.cache_poll_interval, Duration::from_millis),
            log_format: server
                .log_format
                .or(file.log_format)
                .unwrap_or(defaults.log_format),
            jwt_issuer: file.jwt_issuer.unwrap_or(defaults.jwt_issuer),
            jwt_audience: file.jwt_audience.unwrap_or(defaults.jwt_audience),
            access_token_ttl: file
                .access_token_ttl_secs
                .map_or(defaults.access_token_ttl, Duration::from_secs),
            jwt_leeway: file
                .jwt_leeway_secs
                .map_or(defaults.jwt_leeway, Duration::from_secs),
            key_usage_flush_interval: file
                .key_usage_flush_interval_secs
                .map_or(defaults.key_usage_flush_interval, Duration::from_secs),
            graphql_max_depth: file.graphql_max_depth.unwrap_or(defaults.graphql_max_depth),
            graphql_max_complexity: file
                .graphql_max_complexity
                .unwrap_or(defaults.graphql_max_complexity),
            graphql_max_batch: file.graphql_max_batch.unwrap_or(defaults.graphql_max_batch),
            graphql_max_aliases: file
                .graphql_max_aliases
                .unwrap_or(defaults.graphql_max_aliases),
            graphql_max_nodes: file.graphql_max_nodes.unwrap_or(defaults.graphql_max_nodes),
            graphql_max_query_bytes: file
                .graphql_max_query_bytes
                .unwrap_or(defaults.graphql_max_query_bytes),
            graphql_introspection: server
                .graphql_introspection
                .or(file.graphql_introspection)
                .unwrap_or(defaults.graphql_introspection),
            smtp_url: server
                .smtp_url
                .clone()
                .or(file.smtp_url)
                .or(defaults.smtp_url),
            mail_from: file.mail_from.unwrap_or(defaults.mail_from),
            otp_ttl: file
                .otp_ttl_secs
                .map_or(defaults.otp_ttl, Duration::from_secs),
            otp_max_attempts: file.otp_max_attempts.unwrap_or(defaults.otp_max_attempts),
            password_reset_ttl: file
                .password_reset_ttl_secs
                .map_or(defaults.password_reset_ttl, Duration::from_secs),
            session_ttl: file
                .session_ttl_secs
                .map_or(defaults.session_ttl, Duration::from_secs),
            elevation_ttl: file
                .elevation_ttl_secs
                .map_or(defaults.elevation_ttl, Duration::from_secs),
            password_cost: crate::auth::password::Cost {
                memory_kib: file
                    .password_memory_kib
                    .unwrap_or(defaults.password_cost.memory_kib),
                iterations: file
                    .password_iterations
                    .unwrap_or(defaults.password_cost.iterations),
            },
            password_hash_concurrency: file
                .password_hash_concurrency
                .unwrap_or(defaults.password_hash_concurrency),
            password_hash_wait: file
                .password_hash_wait_secs
                .map_or(defaults.password_hash_wait, Duration::from_secs),
            tenant_rate_per_minute: file
                .tenant_rate_per_minute
                .unwrap_or(defaults.tenant_rate_per_minute),
            api_key_rate_per_minute: file
                .api_key_rate_per_minute
                .unwrap_or(defaults.api_key_rate_per_minute),
            ip_rate_per_minute: file
                .ip_rate_per_minute
                .unwrap_or(defaults.ip_rate_per_minute),
            public_ip_rate_per_minute: file
                .public_ip_rate_per_minute
                .unwrap_or(defaults.public_ip_rate_per_minute),
            anonymous_graphql_rate_per_minute: file
                .anonymous_graphql_rate_per_minute
                .unwrap_or(defaults.anonymous_graphql_rate_per_minute),
            user_rate_per_minute: file
                .user_rate_per_minute
                .unwrap_or(defaults.user_rate_per_minute),
            address_rate_per_minute: file
                .address_rate_per_minute
                .unwrap_or(defaults.address_rate_per_minute),
            redis_url: server.redis_url.clone().or(file.redis_url),
            metrics_bind: server.metrics_bind.or(file.metrics_bind),
            request_timeout: file
                .request_timeout_secs
                .map_or(defaults.request_timeout, Duration::from_secs),
            header_read_timeout: file
                .header_read_timeout_secs
                .map_or(defaults.header_read_timeout, Duration::from_secs),
            max_body_bytes: file.max_body_bytes.unwrap_or(defaults.max_body_bytes),
            max_header_bytes: file.max_header_bytes.unwrap_or(defaults.max_header_bytes),
            db_max_connections: file
                .db_max_connections
                .unwrap_or(defaults.db_max_connections),
            db_acquire_timeout: file
                .db_acquire_timeout_secs
                .map_or(defaults.db_acquire_timeout, Duration::from_secs),
            domain_claim_ttl: file
                .domain_claim_ttl_secs
                .map_or(defaults.domain_claim_ttl, Duration::from_secs),
            domain_check_ownership: file
                .domain_check_ownership
                .unwrap_or(defaults.domain_check_ownership),
            domain_probe_timeout: file
                .domain_probe_timeout_secs
                .map_or(defaults.domain_probe_timeout, Duration::from_secs),
            domain_recheck_interval: file
                .domain_recheck_interval_secs
                .map_or(defaults.domain_recheck_interval, Duration::from_secs),
            domain_recheck_failures: file
                .domain_recheck_failures
                .unwrap_or(defaults.domain_recheck_failures),
            dns: file.dns_static.map_or(
                defaults.dns,
                crate::services::domain_checks::DnsSource::fixed,
            ),
            probe_scheme: file.probe_scheme.unwrap_or(defaults.probe_scheme),
            probe_port: file.probe_port.or(defaults.probe_port),
            probe_allow_private: file
                .probe_allow_private
                .unwrap_or(defaults.probe_allow_private),
        };
        config.validated()
    }

    /// Checks what cannot be expressed in types, and normalises the base domain like any host.
    pub fn validated(mut self) -> Result<Self, String> {
        self.base_domain = host::normalise_name(&self.base_domain)
            .map_err(|_| format!("base domain '{}' is not a host name", self.base_domain))?;
        self.apps = self.apps.validated()?;
        if self.max_slug_len() == 0 {
            return Err("the base domain and app suffixes leave no room for a slug".into());
        }
        let positive = [
            ("cache_poll_interval_ms", self.cache_poll_interval),
            ("request_timeout_secs", self.request_timeout),
            ("header_read_timeout_secs", self.header_read_timeout),
            ("db_acquire_timeout_secs", self.db_acquire_timeout),
            ("access_token_ttl_secs", self.access_token_ttl),
            (
                "key_usage_flush_interval_secs",
                self.key_usage_flush_interval,
            ),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, value)| value.is_zero()) {
            return Err(format!("{name} must be positive"));
        }
        let at_least_one = [
            ("otp_max_attempts", i64::from(self.otp_max_attempts)),
            (
                "domain_recheck_failures",
                i64::from(self.domain_recheck_failures),
            ),
            (
                "tenant_rate_per_minute",
                i64::from(self.tenant_rate_per_minute),
            ),
            (
                "api_key_rate_per_minute",
                i64::from(self.api_key_rate_per_minute),
            ),
            ("ip_rate_per_minute", i64::from(self.ip_rate_per_minute)),
            (
                "public_ip_rate_per_minute",
                i64::from(self.public_ip_rate_per_minute),
            ),
            (
                "anonymous_graphql_rate_per_minute",
                i64::from(self.anonymous_graphql_rate_per_minute),
            ),
            ("user_rate_per_minute", i64::from(self.user_rate_per_minute)),
            (
                "address_rate_per_minute",
                i64::from(self.address_rate_per_minute),
            ),
            ("db_max_connections", i64::from(self.db_max_connections)),
            (
                "password_hash_concurrency",
                i64::try_from(self.password_hash_concurrency).unwrap_or(i64::MAX),
            ),
        ];
        if let Some((name, _)) = at_least_one.iter().find(|(_, value)| *value < 1) {
            return Err(format!("{name} must be at least 1"));
        }
        if let Some(scheme) = &self.public_scheme
            && scheme != "http"
            && scheme != "https"
        {
            return Err(format!(
                "public_scheme must be http or https, not '{scheme}'"
            ));
        }
        for label in &self.reserved_subdomains {
            let host = format!("{label}.{}", self.base_domain);
            if host::normalise_name(&host).as_deref() != Ok(host.as_str()) {
                return Err(format!(
                    "reserved subdomain '{label}' is not a lower-case host label"
                ));
            }
        }
        Ok(self)
    }

    /// The longest slug that keeps `{slug}-{suffix}` a 63-octet label and
    /// `{slug}-{suffix}.{base_domain}` a 253-octet name, for every suffix.
    pub fn max_slug_len(&self) -> usize {
        let suffix = self.apps.longest_suffix() + 1;
        let by_label = 63usize.saturating_sub(suffix);
        let by_name = 253usize.saturating_sub(suffix + 1 + self.base_domain.len());
        by_label.min(by_name)
    }
}

/// The master key from the environment's text, or from a file; both given must agree.
fn master_key(
    from_env: Option<String>,
    file: Option<PathBuf>,
) -> Result<Option<crate::auth::master_key::MasterKey>, String> {
    use crate::auth::master_key::MasterKey;
    let from_env = from_env
        .map(|text| MasterKey::parse(&text).map_err(|e| format!("TENANTRY_MASTER_KEY: {e}")))
        .transpose()?;
    let from_file = file
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read master_key_file {}: {e}", path.display()))?;
            MasterKey::parse(&text).map_err(|e| format!("master_key_file {}: {e}", path.display()))
        })
        .transpose()?;
    match (from_env, from_file) {
        (Some(env), Some(file)) if env != file => {
            Err("TENANTRY_MASTER_KEY and master_key_file hold different keys; set one".to_owned())
        }
        (Some(key), _) | (None, Some(key)) => Ok(Some(key)),
        (None, None) => Ok(None),
    }
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `contents` as a config file of its own and loads it under `args`.
    fn load_file(name: &str, contents: &str, args: ConfigArgs) -> Result<Config, String> {
        let dir =
            std::env::temp_dir().join(format!("tenantry-config-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tenantry.toml");
        std::fs::write(&path, contents).unwrap();
        let args = ConfigArgs {
            config: Some(path),
            ..args
        };
        Config::load(&args, &ServerArgs::default())
    }

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let file =
            "base_domain = \"file.example\"\nbind = \"127.0.0.1:9000\"\ncache_ttl_secs = 5\n";
        let flags = ConfigArgs {
            base_domain: Some("Flag.Example".into()),
            ..ConfigArgs::default()
        };
        let config = load_file("layers", file, flags).unwrap();
        assert_eq!(config.base_domain, "flag.example");
        assert_eq!(config.bind, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(config.cache_ttl, Duration::from_secs(5));
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
    }

    #[test]
    fn a_relative_master_key_file_is_the_config_files_neighbour() {
        let key = crate::auth::master_key::MasterKey::generate();
        let dir = std::env::temp_dir().join(format!("tenantry-config-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("master.key"), format!("{key}\n")).unwrap();
        let config = load_file(
            "key",
            "master_key_file = \"../tenantry-config-key-PID/master.key\"\n"
                .replace("PID", &std::process::id().to_string())
                .as_str(),
            ConfigArgs::default(),
        )
        .unwrap();
        assert!(config.master_key.is_some());
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let file = "base_domian = \"typo.example\"\n";
        let err = load_file("typo", file, ConfigArgs::default())
            .err()
            .expect("a typo is refused");
        assert!(err.contains("base_domian"), "{err}");
    }

    #[test]
    fn dns_and_probes_can_be_pointed_at_a_lab() {
        let file = "probe_scheme = \"http\"\nprobe_port = 8443\n[dns_static.a]\n\"rides.acme.com\" = [\"10.0.0.5\"]\n[dns_static.txt]\n\"_tenantry-challenge.rides.acme.com\" = [\"t\"]\n";
        let config = load_file("lab", file, ConfigArgs::default()).unwrap();
        assert_eq!(
            (config.probe_scheme.as_str(), config.probe_port),
            ("http", Some(8443))
        );
        let crate::services::domain_checks::DnsSource::Static(records) = &config.dns else {
            panic!("static DNS expected");
        };
        let records = records.read().unwrap();
        assert_eq!(
            records.a["rides.acme.com"],
            vec!["10.0.0.5".parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(
            records.txt["_tenantry-challenge.rides.acme.com"],
            vec!["t".to_owned()]
        );
    }

    #[test]
    fn slug_room_follows_the_longest_suffix() {
        let config = Config::default().validated().unwrap();
        assert_eq!(config.max_slug_len(), 63 - "-provider".len());
    }
}
