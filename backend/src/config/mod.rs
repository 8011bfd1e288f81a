//! One typed configuration in sections (`[http]`, `[database]`, `[tenancy]`, …), each setting
//! written once: its field, its default and its doc comment below. [`load`] layers the sources
//! (defaults → file → environment → flags) with figment. Plain data only: the running objects
//! built from it (the master key, the DNS source, the password hasher) belong to the layers that
//! use them.

pub mod apps;
mod load;
mod values;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

pub use self::apps::AppCatalog;
pub use self::load::{ConfigArgs, ServerArgs, Warnings};
use self::values::{list, millis, secs};

pub const DEFAULT_CONFIG_FILE: &str = "tenantry.toml";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tenantry.db?mode=rwc";

/// The running configuration. Not `Debug`: the database URL may hold a password and `secrets` a
/// key.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub http: Http,
    pub log: Log,
    pub database: Database,
    pub tenancy: Tenancy,
    pub tokens: Tokens,
    pub sign_in: SignIn,
    pub passwords: Passwords,
    pub mail: Mail,
    pub graphql: Graphql,
    pub limits: Limits,
    pub domains: Domains,
    pub secrets: Secrets,
}

/// `[http]`: the listener, the proxies in front of it, and what one request may take.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Http {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Peers whose forwarding headers are believed (a list, or comma-separated text).
    #[serde(deserialize_with = "list")]
    pub trusted_proxies: Vec<IpNet>,
    /// The one header a trusted proxy reports the client in; the same choice says where the
    /// public host and scheme come from (see [`ForwardingHeader`]).
    pub client_ip_header: ForwardingHeader,
    /// The scheme clients use (`https` behind a TLS-terminating proxy); unset: what the forwarding
    /// header says, else `http`.
    pub public_scheme: Option<String>,
    /// Longest a request may take before it is answered `504`.
    #[serde(rename = "request_timeout_secs", deserialize_with = "secs")]
    pub request_timeout: Duration,
    /// Longest a client may take to send a request's header lines, and longest an idle
    /// keep-alive connection is kept; past it the connection is closed.
    #[serde(rename = "header_read_timeout_secs", deserialize_with = "secs")]
    pub header_read_timeout: Duration,
    /// Largest request body (`/graphql`; the form and sign-in routes allow 64 KiB), and largest
    /// total of request header lines.
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    /// Where `GET /metrics` is served; unset: nowhere. Never the public address.
    pub metrics_bind: Option<SocketAddr>,
}

impl Default for Http {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            trusted_proxies: vec![
                "127.0.0.0/8".parse().expect("valid CIDR"),
                "::1/128".parse().expect("valid CIDR"),
            ],
            client_ip_header: ForwardingHeader::default(),
            public_scheme: None,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            max_header_bytes: 16 * 1024,
            metrics_bind: None,
        }
    }
}

/// Which header of a trusted proxy gives the client's address, and with it the public host and
/// scheme. Exactly one: reading several lets a client pick whichever the proxy does not overwrite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
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

/// `[log]`.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Log {
    pub format: LogFormat,
    /// Lines the server's log holds while its writer catches up; past that, lines are dropped
    /// (and counted in `tenantry_log_lines_dropped_total`) rather than a request waiting.
    pub buffered_lines: usize,
}

impl Default for Log {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            buffered_lines: 32_768,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// `[database]`.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    /// `sqlite://…` (the embedded default) or `postgres://…`.
    pub url: String,
    /// Most pooled connections, and how long a request waits for one before `503`.
    pub max_connections: u32,
    #[serde(rename = "acquire_timeout_secs", deserialize_with = "secs")]
    pub acquire_timeout: Duration,
}

impl Default for Database {
    fn default() -> Self {
        Self {
            url: DEFAULT_DATABASE_URL.into(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// `[tenancy]`: the platform's names and the host-resolution cache.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tenancy {
    /// Parent of every system subdomain (`acme-rides.{base_domain}`); itself the platform's host.
    pub base_domain: String,
    /// Labels under the base domain that belong to the platform, and slugs nobody may take.
    #[serde(deserialize_with = "list")]
    pub reserved_subdomains: Vec<String>,
    /// Apps every tenant runs, with their host suffixes.
    pub apps: AppCatalog,
    /// Most host resolutions (found or not) kept in memory, and how long one is kept at most.
    pub cache_capacity: u64,
    #[serde(rename = "cache_ttl_secs", deserialize_with = "secs")]
    pub cache_ttl: Duration,
    /// How often each server checks whether another process changed cached state.
    #[serde(rename = "cache_poll_interval_ms", deserialize_with = "millis")]
    pub cache_poll_interval: Duration,
}

impl Default for Tenancy {
    fn default() -> Self {
        Self {
            base_domain: "localhost".into(),
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
        }
    }
}

/// `[tokens]`: access tokens and API-key bookkeeping.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tokens {
    /// `iss` of issued access tokens, and the only issuer accepted.
    pub issuer: String,
    /// `aud` of issued access tokens, and the only audience accepted.
    pub audience: String,
    /// Lifetime of an access token.
    #[serde(rename = "access_ttl_secs", deserialize_with = "secs")]
    pub access_ttl: Duration,
    /// Clock skew tolerated when checking `exp`.
    #[serde(rename = "leeway_secs", deserialize_with = "secs")]
    pub leeway: Duration,
    /// How often the batched `last_used_at` of API keys is written.
    #[serde(rename = "key_usage_flush_interval_secs", deserialize_with = "secs")]
    pub key_usage_flush_interval: Duration,
}

impl Default for Tokens {
    fn default() -> Self {
        Self {
            issuer: "tenantry".into(),
            audience: "tenantry".into(),
            access_ttl: Duration::from_secs(15 * 60),
            leeway: Duration::from_secs(10),
            key_usage_flush_interval: Duration::from_secs(30),
        }
    }
}

/// `[sign_in]`: emailed codes, resets, sessions and step-up.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignIn {
    /// Lifetime of an emailed sign-in code, and how many wrong tries kill it.
    #[serde(rename = "otp_ttl_secs", deserialize_with = "secs")]
    pub otp_ttl: Duration,
    pub otp_max_attempts: i32,
    /// Lifetime of an emailed password-reset token.
    #[serde(rename = "password_reset_ttl_secs", deserialize_with = "secs")]
    pub password_reset_ttl: Duration,
    /// Lifetime of a session (its refresh tokens), and of a step-up elevation.
    #[serde(rename = "session_ttl_secs", deserialize_with = "secs")]
    pub session_ttl: Duration,
    #[serde(rename = "elevation_ttl_secs", deserialize_with = "secs")]
    pub elevation_ttl: Duration,
}

impl Default for SignIn {
    fn default() -> Self {
        Self {
            otp_ttl: Duration::from_secs(10 * 60),
            otp_max_attempts: 5,
            password_reset_ttl: Duration::from_secs(30 * 60),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            elevation_ttl: Duration::from_secs(5 * 60),
        }
    }
}

/// `[passwords]`: the argon2id cost, and how many hashes may run at once.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Passwords {
    /// argon2id memory in KiB and passes. OWASP's baseline is 19 MiB, 2 passes.
    pub memory_kib: u32,
    pub iterations: u32,
    /// How many password hashes may run at once (each holds the cost's memory), and how long a
    /// sign-in waits for its turn before it is answered `503` with `Retry-After`.
    pub hash_concurrency: usize,
    #[serde(rename = "hash_wait_secs", deserialize_with = "secs")]
    pub hash_wait: Duration,
}

impl Default for Passwords {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            hash_concurrency: 2 * std::thread::available_parallelism()
                .map_or(1, std::num::NonZeroUsize::get),
            hash_wait: Duration::from_secs(5),
        }
    }
}

/// `[mail]`.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mail {
    /// `smtp://host:port` or `smtps://user:pass@host`; unset: mail goes to the `outbox` table.
    pub smtp_url: Option<String>,
    /// The `From` of every message.
    pub from: String,
}

impl Default for Mail {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "Tenantry <no-reply@localhost>".into(),
        }
    }
}

/// `[graphql]`: what one document may ask, and whether the schema is shown.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Graphql {
    /// Nesting depth, complexity (fields, weighted), queries per batch, aliases per document.
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_batch: usize,
    pub max_aliases: usize,
    /// Most nodes (fields, fragments, directives, arguments, variables) and bytes of one
    /// document: validating a huge document costs seconds of CPU before any limit above applies.
    pub max_nodes: usize,
    pub max_query_bytes: usize,
    /// Whether `/graphql` answers introspection and serves GraphiQL on `GET`.
    pub introspection: bool,
    /// How long a shared cache (a CDN) may keep an anonymous query's answer to a `GET`: the
    /// `max-age` of its `Cache-Control: public`. Answers to a credential are never shared.
    pub public_max_age_secs: u64,
    /// Subscriptions one WebSocket connection may hold at once.
    pub subscriptions_per_connection: usize,
    /// WebSocket connections one tenant's callers may hold open at once, on one instance.
    pub connections_per_tenant: usize,
    /// How often an open WebSocket is pinged: a proxy closes a connection it has seen nothing on
    /// for a while (nginx after `proxy_read_timeout`, 60 s by default), and a subscription can
    /// be quiet for longer.
    #[serde(rename = "socket_ping_secs", deserialize_with = "secs")]
    pub socket_ping: Duration,
}

impl Default for Graphql {
    fn default() -> Self {
        Self {
            max_depth: 16,
            max_complexity: 1_000,
            max_batch: 10,
            max_aliases: 30,
            max_nodes: 2_000,
            max_query_bytes: 64 * 1024,
            introspection: false,
            public_max_age_secs: 0,
            subscriptions_per_connection: 10,
            connections_per_tenant: 1_000,
            socket_ping: Duration::from_secs(25),
        }
    }
}

/// `[limits]`: requests per minute, and where the counters live.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// One tenant's authenticated `/graphql` traffic (operators may set a tenant's own), one API
    /// key, one client IP on the contact form and sign-in, and one sign-in address.
    pub tenant_per_minute: u32,
    pub api_key_per_minute: u32,
    pub ip_per_minute: u32,
    pub address_per_minute: u32,
    /// One client IP (an IPv6 client per /64): on the anonymous Host routes (branding, the
    /// console's files; not `/.well-known/*`), and on `/graphql` without a credential or with a
    /// public key (each `tenantDiscovery` / `subdomainAvailable` one request).
    pub public_ip_per_minute: u32,
    pub anonymous_graphql_per_minute: u32,
    /// One `USER` account (people who signed themselves up): their traffic is limited per account
    /// and never spends the tenant's budget, as anyone can be one.
    pub user_per_minute: u32,
    /// `redis://host:port`: counters shared by every instance; unset: in memory.
    pub redis_url: Option<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            tenant_per_minute: 6_000,
            api_key_per_minute: 1_200,
            ip_per_minute: 30,
            address_per_minute: 10,
            public_ip_per_minute: 600,
            anonymous_graphql_per_minute: 600,
            user_per_minute: 600,
            redis_url: None,
        }
    }
}

/// `[domains]`: custom-domain claims and the checks that verify them.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Domains {
    /// How long an unverified claim lives.
    #[serde(rename = "claim_ttl_secs", deserialize_with = "secs")]
    pub claim_ttl: Duration,
    /// Whether verification demands the TXT ownership record.
    pub check_ownership: bool,
    /// Time allowed to each well-known probe.
    #[serde(rename = "probe_timeout_secs", deserialize_with = "secs")]
    pub probe_timeout: Duration,
    /// How often domains verified by the checks are checked again, and how many consecutive
    /// failures unroute one.
    #[serde(rename = "recheck_interval_secs", deserialize_with = "secs")]
    pub recheck_interval: Duration,
    pub recheck_failures: i32,
    /// Fixed records instead of the system resolver (tests, air-gapped sites).
    pub dns_static: Option<StaticDns>,
    /// Scheme and port the probes use (`https`, 443); other values only for tests and labs.
    pub probe_scheme: String,
    pub probe_port: Option<u16>,
    /// Let probes reach loopback and private addresses (never in production: SSRF).
    pub probe_allow_private: bool,
}

impl Default for Domains {
    fn default() -> Self {
        Self {
            claim_ttl: Duration::from_secs(7 * 24 * 3600),
            check_ownership: true,
            probe_timeout: Duration::from_secs(5),
            recheck_interval: Duration::from_secs(3600),
            recheck_failures: 3,
            dns_static: None,
            probe_scheme: "https".into(),
            probe_port: None,
            probe_allow_private: false,
        }
    }
}

/// `[domains.dns_static]`: A and TXT records by name, like curl's `--resolve` for the whole check.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticDns {
    #[serde(default)]
    pub a: HashMap<String, Vec<IpAddr>>,
    #[serde(default)]
    pub txt: HashMap<String, Vec<String>>,
}

/// `[secrets]`: the master key that encrypts the secrets the server must read back (the JWT
/// signing keys). `serve` needs one.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Secrets {
    /// The key itself (32 bytes, base64): from the environment, not a file anyone can read.
    pub master_key: Option<Secret>,
    /// A file holding the key; relative to the configuration file when written there.
    pub master_key_file: Option<PathBuf>,
}

/// Text that must not be shown or compared: no `Debug`, no `Display`, no `==` (whatever compares
/// a secret does so in constant time, on the parsed key).
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Config {
    /// The layers merged: defaults (the demo's, then the built-in ones), the file, the
    /// environment, the flags. Also says what in the file is deprecated.
    pub fn load(
        args: &ConfigArgs,
        server: &ServerArgs,
        demo: bool,
    ) -> Result<(Self, Warnings), String> {
        let (config, warnings) = load::layered(args, server, demo)?;
        Ok((config.checked()?, warnings))
    }

    /// Checks what types cannot say. Host names are checked where hosts are understood
    /// (`tenancy::checked_config`).
    pub fn checked(self) -> Result<Self, String> {
        let positive = [
            (
                "tenancy.cache_poll_interval_ms",
                self.tenancy.cache_poll_interval,
            ),
            ("http.request_timeout_secs", self.http.request_timeout),
            (
                "http.header_read_timeout_secs",
                self.http.header_read_timeout,
            ),
            (
                "database.acquire_timeout_secs",
                self.database.acquire_timeout,
            ),
            ("tokens.access_ttl_secs", self.tokens.access_ttl),
            ("graphql.socket_ping_secs", self.graphql.socket_ping),
            (
                "tokens.key_usage_flush_interval_secs",
                self.tokens.key_usage_flush_interval,
            ),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, value)| value.is_zero()) {
            return Err(format!("{name} must be positive"));
        }
        let limits = &self.limits;
        let at_least_one = [
            (
                "sign_in.otp_max_attempts",
                i64::from(self.sign_in.otp_max_attempts),
            ),
            (
                "domains.recheck_failures",
                i64::from(self.domains.recheck_failures),
            ),
            (
                "limits.tenant_per_minute",
                i64::from(limits.tenant_per_minute),
            ),
            (
                "limits.api_key_per_minute",
                i64::from(limits.api_key_per_minute),
            ),
            ("limits.ip_per_minute", i64::from(limits.ip_per_minute)),
            (
                "limits.public_ip_per_minute",
                i64::from(limits.public_ip_per_minute),
            ),
            (
                "limits.anonymous_graphql_per_minute",
                i64::from(limits.anonymous_graphql_per_minute),
            ),
            ("limits.user_per_minute", i64::from(limits.user_per_minute)),
            (
                "limits.address_per_minute",
                i64::from(limits.address_per_minute),
            ),
            (
                "database.max_connections",
                i64::from(self.database.max_connections),
            ),
            (
                "passwords.hash_concurrency",
                i64::try_from(self.passwords.hash_concurrency).unwrap_or(i64::MAX),
            ),
        ];
        if let Some((name, _)) = at_least_one.iter().find(|(_, value)| *value < 1) {
            return Err(format!("{name} must be at least 1"));
        }
        if let Some(scheme) = &self.http.public_scheme
            && scheme != "http"
            && scheme != "https"
        {
            return Err(format!(
                "http.public_scheme must be http or https, not '{scheme}'"
            ));
        }
        Ok(self)
    }

    /// The longest slug that keeps `{slug}-{suffix}` a 63-octet label and
    /// `{slug}-{suffix}.{base_domain}` a 253-octet name, for every suffix.
    pub fn max_slug_len(&self) -> usize {
        let suffix = self.tenancy.apps.longest_suffix() + 1;
        let by_label = 63usize.saturating_sub(suffix);
        let by_name = 253usize.saturating_sub(suffix + 1 + self.tenancy.base_domain.len());
        by_label.min(by_name)
    }
}

#[cfg(test)]
mod tests {
    use figment::Jail;

    use super::*;

    fn load(args: &ConfigArgs) -> Result<(Config, Warnings), String> {
        Config::load(args, &ServerArgs::default(), false)
    }

    /// Runs `test` with an environment and a working directory of its own (figment's jail
    /// serialises the tests that change them); a load error fails the test with its text.
    #[allow(clippy::result_large_err)] // figment's own closure type
    fn in_jail(test: impl FnOnce(&mut Jail) -> Result<(), String>) {
        Jail::expect_with(|jail| {
            if let Err(e) = test(jail) {
                panic!("{e}");
            }
            Ok(())
        });
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_file_which_beats_defaults() {
        in_jail(|jail| {
            jail.create_file(
                "tenantry.toml",
                "[tenancy]\nbase_domain = \"file.example\"\ncache_ttl_secs = 5\n[http]\nbind = \"127.0.0.1:9000\"\nmax_body_bytes = 10\n",
            )
            .unwrap();
            jail.set_env("TENANTRY_HTTP__MAX_BODY_BYTES", "20");
            jail.set_env("TENANTRY_TENANCY__BASE_DOMAIN", "env.example");
            let flags = ConfigArgs {
                base_domain: Some("flag.example".into()),
                ..ConfigArgs::default()
            };
            let (config, warnings) = load(&flags)?;
            assert_eq!(config.tenancy.base_domain, "flag.example");
            assert_eq!(config.http.max_body_bytes, 20);
            assert_eq!(config.http.bind, "127.0.0.1:9000".parse().unwrap());
            assert_eq!(config.tenancy.cache_ttl, Duration::from_secs(5));
            assert_eq!(config.database.url, DEFAULT_DATABASE_URL);
            assert!(warnings.is_empty(), "{warnings:?}");
            Ok(())
        });
    }

    #[test]
    fn every_section_is_settable_from_the_environment() {
        in_jail(|jail| {
            jail.set_env("TENANTRY_LIMITS__IP_PER_MINUTE", "7");
            jail.set_env("TENANTRY_SIGN_IN__OTP_TTL_SECS", "42");
            jail.set_env("TENANTRY_GRAPHQL__MAX_DEPTH", "9");
            jail.set_env("TENANTRY_DOMAINS__PROBE_ALLOW_PRIVATE", "true");
            jail.set_env("TENANTRY_TENANCY__RESERVED_SUBDOMAINS", "www, api");
            jail.set_env("TENANTRY_MAIL__FROM", "Acme <hi@acme.example>");
            let (config, _) = load(&ConfigArgs::default())?;
            assert_eq!(config.limits.ip_per_minute, 7);
            assert_eq!(config.sign_in.otp_ttl, Duration::from_secs(42));
            assert_eq!(config.graphql.max_depth, 9);
            assert!(config.domains.probe_allow_private);
            assert_eq!(config.tenancy.reserved_subdomains, ["www", "api"]);
            assert_eq!(config.mail.from, "Acme <hi@acme.example>");
            Ok(())
        });
    }

    #[test]
    fn the_documented_variables_stay_aliases() {
        in_jail(|jail| {
            jail.set_env("DATABASE_URL", "postgres://db.internal/tenantry");
            jail.set_env("SMTP_URL", "smtp://127.0.0.1:2525");
            jail.set_env("REDIS_URL", "redis://127.0.0.1:6379");
            jail.set_env("TENANTRY_BIND", "0.0.0.0:8081");
            jail.set_env("TENANTRY_TRUSTED_PROXIES", "10.0.0.0/8,192.168.0.0/16");
            jail.set_env("TENANTRY_METRICS_BIND", "127.0.0.1:9464");
            jail.set_env("TENANTRY_BASE_DOMAIN", "example.io");
            jail.set_env("TENANTRY_LOG_FORMAT", "json");
            jail.set_env("TENANTRY_GRAPHQL_INTROSPECTION", "true");
            jail.set_env("TENANTRY_MASTER_KEY", "a2V5");
            jail.set_env("TENANTRY_MASTER_KEY_FILE", "/run/secrets/key");
            let (config, _) = load(&ConfigArgs::default())?;
            assert_eq!(config.database.url, "postgres://db.internal/tenantry");
            assert_eq!(
                config.mail.smtp_url.as_deref(),
                Some("smtp://127.0.0.1:2525")
            );
            assert_eq!(
                config.limits.redis_url.as_deref(),
                Some("redis://127.0.0.1:6379")
            );
            assert_eq!(config.http.bind, "0.0.0.0:8081".parse().unwrap());
            assert_eq!(config.http.trusted_proxies.len(), 2);
            assert!(config.http.metrics_bind.is_some());
            assert_eq!(config.tenancy.base_domain, "example.io");
            assert_eq!(config.log.format, LogFormat::Json);
            assert!(config.graphql.introspection);
            assert_eq!(
                config.secrets.master_key.as_ref().map(Secret::expose),
                Some("a2V5")
            );
            assert_eq!(
                config.secrets.master_key_file.as_deref(),
                Some(std::path::Path::new("/run/secrets/key"))
            );
            Ok(())
        });
    }

    #[test]
    fn an_empty_variable_is_an_unset_one() {
        in_jail(|jail| {
            jail.set_env("SMTP_URL", "");
            jail.set_env("TENANTRY_MAIL__FROM", "");
            let (config, _) = load(&ConfigArgs::default())?;
            assert!(config.mail.smtp_url.is_none());
            assert_eq!(config.mail.from, Mail::default().from);
            Ok(())
        });
    }

    #[test]
    fn old_flat_file_keys_still_work_with_a_warning() {
        in_jail(|jail| {
            jail.create_file(
                "tenantry.toml",
                "base_domain = \"old.example\"\ngraphql_max_depth = 7\nip_rate_per_minute = 3\n[dns_static.a]\n\"rides.acme.com\" = [\"10.0.0.5\"]\n",
            )
            .unwrap();
            let (config, warnings) = load(&ConfigArgs::default())?;
            assert_eq!(config.tenancy.base_domain, "old.example");
            assert_eq!(config.graphql.max_depth, 7);
            assert_eq!(config.limits.ip_per_minute, 3);
            assert!(config.domains.dns_static.is_some());
            assert_eq!(warnings.len(), 4, "{warnings:?}");
            assert!(
                warnings.iter().any(|w| w.contains(
                    "`graphql_max_depth` is deprecated; write `max_depth` under [graphql]"
                )),
                "{warnings:?}"
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused_with_the_valid_ones_listed() {
        in_jail(|jail| {
            jail.create_file(
                "tenantry.toml",
                "[tenancy]\nbase_domian = \"typo.example\"\n",
            )
            .unwrap();
            let err = load(&ConfigArgs::default())
                .err()
                .expect("a typo is refused");
            assert!(err.contains("base_domian"), "{err}");
            assert!(
                err.contains("base_domain"),
                "the valid keys are listed: {err}"
            );
            assert!(err.contains("tenantry.toml"), "the file is named: {err}");
            Ok(())
        });
        in_jail(|jail| {
            jail.set_env("TENANTRY_HTTP__BINDD", "127.0.0.1:1");
            let err = load(&ConfigArgs::default())
                .err()
                .expect("a typo is refused");
            assert!(
                err.contains("bindd") && err.contains("trusted_proxies"),
                "{err}"
            );
            Ok(())
        });
        in_jail(|jail| {
            jail.create_file("tenantry.toml", "[htp]\nbind = \"127.0.0.1:1\"\n")
                .unwrap();
            let err = load(&ConfigArgs::default())
                .err()
                .expect("a typo is refused");
            assert!(err.contains("htp") && err.contains("http"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn an_alias_and_its_sectioned_name_must_agree() {
        in_jail(|jail| {
            jail.set_env("TENANTRY_TRUSTED_PROXIES", "0.0.0.0/0");
            jail.set_env("TENANTRY_HTTP__TRUSTED_PROXIES", "10.0.0.0/8");
            let err = load(&ConfigArgs::default()).err().expect("refused");
            assert!(
                err.contains("TENANTRY_TRUSTED_PROXIES and TENANTRY_HTTP__TRUSTED_PROXIES"),
                "{err}"
            );
            jail.set_env("TENANTRY_HTTP__TRUSTED_PROXIES", "0.0.0.0/0");
            load(&ConfigArgs::default())?;
            Ok(())
        });
        in_jail(|jail| {
            jail.set_env("TENANTRY_MASTER_KEY", "a2V5");
            jail.set_env("TENANTRY_SECRETS__MASTER_KEY", "b3RoZXI=");
            assert!(load(&ConfigArgs::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn a_file_key_written_as_a_variable_is_refused_and_strangers_are_named() {
        in_jail(|jail| {
            jail.set_env("TENANTRY_IP_RATE_PER_MINUTE", "2");
            let err = load(&ConfigArgs::default()).err().expect("refused");
            assert!(
                err.contains("write TENANTRY_LIMITS__IP_PER_MINUTE"),
                "{err}"
            );
            Ok(())
        });
        in_jail(|jail| {
            jail.set_env("TENANTRY_BINDD", "1");
            jail.set_env("TENANTRY_TEST_SOMETHING", "1");
            let (_, warnings) = load(&ConfigArgs::default())?;
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(warnings[0].contains("TENANTRY_BINDD"), "{warnings:?}");
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_refused_with_their_key() {
        in_jail(|jail| {
            jail.set_env("TENANTRY_TRUSTED_PROXIES", "10.0.0.0/8,not-a-cidr");
            let err = load(&ConfigArgs::default()).err().expect("refused");
            assert!(
                err.contains("http.trusted_proxies") && err.contains("not-a-cidr"),
                "{err}"
            );
            Ok(())
        });
        in_jail(|jail| {
            jail.set_env("TENANTRY_LIMITS__IP_PER_MINUTE", "0");
            let err = load(&ConfigArgs::default()).err().expect("refused");
            assert!(
                err.contains("limits.ip_per_minute must be at least 1"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn a_relative_master_key_file_is_the_config_files_neighbour() {
        in_jail(|jail| {
            std::fs::create_dir("etc").unwrap();
            jail.create_file(
                "etc/tenantry.toml",
                "[secrets]\nmaster_key_file = \"master.key\"\n",
            )
            .unwrap();
            let args = ConfigArgs {
                config: Some("etc/tenantry.toml".into()),
                ..ConfigArgs::default()
            };
            let (config, _) = load(&args)?;
            assert_eq!(
                config.secrets.master_key_file.as_deref(),
                Some(std::path::Path::new("etc/master.key"))
            );
            Ok(())
        });
    }

    #[test]
    fn the_demo_shows_the_schema_unless_a_layer_says_not() {
        in_jail(|jail| {
            let (config, _) = Config::load(&ConfigArgs::default(), &ServerArgs::default(), true)?;
            assert!(config.graphql.introspection);
            jail.set_env("TENANTRY_GRAPHQL__INTROSPECTION", "false");
            let (config, _) = Config::load(&ConfigArgs::default(), &ServerArgs::default(), true)?;
            assert!(!config.graphql.introspection);
            Ok(())
        });
    }

    #[test]
    fn slug_room_follows_the_longest_suffix() {
        assert_eq!(Config::default().max_slug_len(), 63 - "-provider".len());
    }
}
