//! The layers, merged by figment: defaults (the demo's, then each section's own), the TOML file
//! (`tenantry.toml` in the working directory, or `--config`), the environment, the flags.
//!
//! Every key can be set from the environment as `TENANTRY_<SECTION>__<KEY>`
//! (`TENANTRY_HTTP__BIND`); the names documented before the sections existed (`DATABASE_URL`,
//! `TENANTRY_BIND`, …) are [`ALIASES`] that stay. File keys written before the sections existed
//! still work, with a warning naming where each now lives ([`FLAT_KEYS`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use figment::error::Kind;
use figment::providers::{Env, Serialized};
use figment::value::{Dict, Map};
use figment::{Figment, Metadata, Profile, Provider};
use ipnet::IpNet;
use serde::Serialize;

use super::{Config, DEFAULT_CONFIG_FILE, LogFormat};

/// What a load found worth telling the operator: deprecated keys, each with its new place.
pub type Warnings = Vec<String>;

/// Environment variables that name a setting directly: (variable, section.key).
pub const ALIASES: [(&str, &str); 11] = [
    ("DATABASE_URL", "database.url"),
    ("SMTP_URL", "mail.smtp_url"),
    ("REDIS_URL", "limits.redis_url"),
    ("TENANTRY_BIND", "http.bind"),
    ("TENANTRY_TRUSTED_PROXIES", "http.trusted_proxies"),
    ("TENANTRY_METRICS_BIND", "http.metrics_bind"),
    ("TENANTRY_BASE_DOMAIN", "tenancy.base_domain"),
    ("TENANTRY_LOG_FORMAT", "log.format"),
    ("TENANTRY_GRAPHQL_INTROSPECTION", "graphql.introspection"),
    ("TENANTRY_MASTER_KEY", "secrets.master_key"),
    ("TENANTRY_MASTER_KEY_FILE", "secrets.master_key_file"),
];

/// File keys from before the sections: (old key, section, key).
const FLAT_KEYS: [(&str, &str, &str); 59] = [
    ("bind", "http", "bind"),
    ("trusted_proxies", "http", "trusted_proxies"),
    ("client_ip_header", "http", "client_ip_header"),
    ("public_scheme", "http", "public_scheme"),
    ("request_timeout_secs", "http", "request_timeout_secs"),
    (
        "header_read_timeout_secs",
        "http",
        "header_read_timeout_secs",
    ),
    ("max_body_bytes", "http", "max_body_bytes"),
    ("max_header_bytes", "http", "max_header_bytes"),
    ("metrics_bind", "http", "metrics_bind"),
    ("log_format", "log", "format"),
    ("database_url", "database", "url"),
    ("db_max_connections", "database", "max_connections"),
    (
        "db_acquire_timeout_secs",
        "database",
        "acquire_timeout_secs",
    ),
    ("base_domain", "tenancy", "base_domain"),
    ("reserved_subdomains", "tenancy", "reserved_subdomains"),
    ("apps", "tenancy", "apps"),
    ("cache_capacity", "tenancy", "cache_capacity"),
    ("cache_ttl_secs", "tenancy", "cache_ttl_secs"),
    (
        "cache_poll_interval_ms",
        "tenancy",
        "cache_poll_interval_ms",
    ),
    ("jwt_issuer", "tokens", "issuer"),
    ("jwt_audience", "tokens", "audience"),
    ("access_token_ttl_secs", "tokens", "access_ttl_secs"),
    ("jwt_leeway_secs", "tokens", "leeway_secs"),
    (
        "key_usage_flush_interval_secs",
        "tokens",
        "key_usage_flush_interval_secs",
    ),
    ("otp_ttl_secs", "sign_in", "otp_ttl_secs"),
    ("otp_max_attempts", "sign_in", "otp_max_attempts"),
    (
        "password_reset_ttl_secs",
        "sign_in",
        "password_reset_ttl_secs",
    ),
    ("session_ttl_secs", "sign_in", "session_ttl_secs"),
    ("elevation_ttl_secs", "sign_in", "elevation_ttl_secs"),
    ("password_memory_kib", "passwords", "memory_kib"),
    ("password_iterations", "passwords", "iterations"),
    ("password_hash_concurrency", "passwords", "hash_concurrency"),
    ("password_hash_wait_secs", "passwords", "hash_wait_secs"),
    ("smtp_url", "mail", "smtp_url"),
    ("mail_from", "mail", "from"),
    ("graphql_max_depth", "graphql", "max_depth"),
    ("graphql_max_complexity", "graphql", "max_complexity"),
    ("graphql_max_batch", "graphql", "max_batch"),
    ("graphql_max_aliases", "graphql", "max_aliases"),
    ("graphql_max_nodes", "graphql", "max_nodes"),
    ("graphql_max_query_bytes", "graphql", "max_query_bytes"),
    ("graphql_introspection", "graphql", "introspection"),
    ("tenant_rate_per_minute", "limits", "tenant_per_minute"),
    ("api_key_rate_per_minute", "limits", "api_key_per_minute"),
    ("ip_rate_per_minute", "limits", "ip_per_minute"),
    ("address_rate_per_minute", "limits", "address_per_minute"),
    (
        "public_ip_rate_per_minute",
        "limits",
        "public_ip_per_minute",
    ),
    (
        "anonymous_graphql_rate_per_minute",
        "limits",
        "anonymous_graphql_per_minute",
    ),
    ("user_rate_per_minute", "limits", "user_per_minute"),
    ("redis_url", "limits", "redis_url"),
    ("domain_claim_ttl_secs", "domains", "claim_ttl_secs"),
    ("domain_check_ownership", "domains", "check_ownership"),
    ("domain_probe_timeout_secs", "domains", "probe_timeout_secs"),
    (
        "domain_recheck_interval_secs",
        "domains",
        "recheck_interval_secs",
    ),
    ("domain_recheck_failures", "domains", "recheck_failures"),
    ("dns_static", "domains", "dns_static"),
    ("probe_scheme", "domains", "probe_scheme"),
    ("probe_port", "domains", "probe_port"),
    ("probe_allow_private", "domains", "probe_allow_private"),
];

/// Where the data is: what every command that reads or writes data accepts as flags (`global`,
/// so they may follow the subcommand's own words). Each flag beats the same setting from the
/// environment and the file.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Database and configuration")]
pub struct ConfigArgs {
    /// TOML configuration file, e.g. /etc/tenantry/tenantry.toml [default: ./tenantry.toml when present]
    #[arg(long, env = "TENANTRY_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// File holding the master key (32 bytes, base64), e.g. /run/secrets/tenantry-master-key (secrets.master_key_file; env TENANTRY_MASTER_KEY_FILE, or TENANTRY_MASTER_KEY for the key itself)
    #[arg(long, global = true, value_name = "FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Database URL, e.g. postgres://tenantry@db.internal/tenantry (database.url; env DATABASE_URL) [default: sqlite://data/tenantry.db?mode=rwc]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Parent domain of every system subdomain, e.g. example.io (tenancy.base_domain; env TENANTRY_BASE_DOMAIN) [default: localhost]
    #[arg(long, global = true, value_name = "DOMAIN")]
    pub base_domain: Option<String>,
}

/// Settings only the server uses, as flags of `serve`.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Server")]
pub struct ServerArgs {
    /// Address to listen on, e.g. 0.0.0.0:8080 (http.bind; env TENANTRY_BIND) [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Comma-separated CIDRs whose forwarding headers are believed, e.g. 10.0.0.0/8 (http.trusted_proxies; env TENANTRY_TRUSTED_PROXIES) [default: 127.0.0.0/8,::1/128]
    #[arg(long, value_delimiter = ',', value_name = "CIDRS")]
    pub trusted_proxies: Option<Vec<IpNet>>,
    /// Log output format, e.g. json (log.format; env TENANTRY_LOG_FORMAT) [default: pretty]
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Answer GraphQL introspection and serve GraphiQL on GET /graphql, e.g. true (graphql.introspection; env TENANTRY_GRAPHQL_INTROSPECTION) [default: false; true with --demo]
    #[arg(long, value_name = "BOOL")]
    pub graphql_introspection: Option<bool>,
    /// SMTP server for outgoing mail, e.g. smtp://127.0.0.1:2525 (mail.smtp_url; env SMTP_URL) [default: none; mail goes to the outbox table]
    #[arg(long, value_name = "URL")]
    pub smtp_url: Option<String>,
    /// Redis for rate-limit counters shared by every instance, e.g. redis://127.0.0.1:6379 (limits.redis_url; env REDIS_URL) [default: none; counters in memory]
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,
    /// Address of the Prometheus endpoint GET /metrics, e.g. 127.0.0.1:9464 (http.metrics_bind; env TENANTRY_METRICS_BIND) [default: none]
    #[arg(long, value_name = "ADDR")]
    pub metrics_bind: Option<SocketAddr>,
}

pub(super) fn layered(
    args: &ConfigArgs,
    server: &ServerArgs,
    demo: bool,
) -> Result<(Config, Warnings), String> {
    let mut figment = Figment::new();
    if demo {
        // The demo is for exploring: introspection and GraphiQL are on unless a layer says not.
        figment = figment.merge(Serialized::default("graphql.introspection", true));
    }
    let path = match &args.config {
        Some(path) => Some(path.clone()),
        None if Path::new(DEFAULT_CONFIG_FILE).exists() => Some(DEFAULT_CONFIG_FILE.into()),
        None => None,
    };
    let mut warnings = Warnings::new();
    check_environment(&mut warnings)?;
    if let Some(path) = path {
        let file = ConfigFile::read(path, &mut warnings)?;
        figment = figment.merge(file);
    }
    figment = figment
        .merge(
            Env::prefixed("TENANTRY_")
                .filter(|key| key.as_str().contains("__") && is_set(&format!("TENANTRY_{key}")))
                .split("__"),
        )
        .merge(
            Env::raw()
                .only(&ALIASES.map(|(variable, _)| variable))
                .filter(|variable| is_set(variable.as_str()))
                .map(|variable| {
                    let (_, key) = ALIASES
                        .iter()
                        .find(|(name, _)| variable == *name)
                        .expect("only aliases pass");
                    (*key).into()
                }),
        );
    let flags: [(&str, Option<FlagValue>); 10] = [
        (
            "secrets.master_key_file",
            args.master_key_file.clone().map(FlagValue::Path),
        ),
        (
            "database.url",
            args.database_url.clone().map(FlagValue::Text),
        ),
        (
            "tenancy.base_domain",
            args.base_domain.clone().map(FlagValue::Text),
        ),
        ("http.bind", server.bind.map(FlagValue::Addr)),
        (
            "http.trusted_proxies",
            server.trusted_proxies.clone().map(FlagValue::Cidrs),
        ),
        (
            "http.metrics_bind",
            server.metrics_bind.map(FlagValue::Addr),
        ),
        ("log.format", server.log_format.map(FlagValue::LogFormat)),
        (
            "graphql.introspection",
            server.graphql_introspection.map(FlagValue::Bool),
        ),
        (
            "mail.smtp_url",
            server.smtp_url.clone().map(FlagValue::Text),
        ),
        (
            "limits.redis_url",
            server.redis_url.clone().map(FlagValue::Text),
        ),
    ];
    for (key, value) in flags {
        if let Some(value) = value {
            figment = figment.merge(Serialized::default(key, value));
        }
    }
    let config: Config = figment.extract().map_err(|e| describe(&e))?;
    Ok((config, warnings))
}

/// A flag's value, as figment stores it.
#[derive(Serialize)]
#[serde(untagged)]
enum FlagValue {
    Text(String),
    Path(PathBuf),
    Addr(SocketAddr),
    Cidrs(Vec<IpNet>),
    LogFormat(LogFormat),
    Bool(bool),
}

/// `TENANTRY_*` variables that are no setting: the file's path, and what the test suite and the
/// benchmark read.
const NOT_SETTINGS: [&str; 3] = ["TENANTRY_CONFIG", "TENANTRY_TEST_", "TENANTRY_BENCH_"];

/// Refuses what the environment would otherwise say in two ways, or say to no one: an alias and
/// its sectioned name set to different values (which wins is no rule an operator should need),
/// and a file key written as a variable (`TENANTRY_IP_RATE_PER_MINUTE`), which names no setting.
/// Other unknown single-underscore names are warned about: they may belong to something else.
fn check_environment(warnings: &mut Warnings) -> Result<(), String> {
    for (alias, key) in ALIASES {
        let sectioned = format!("TENANTRY_{}", key.replace('.', "__").to_uppercase());
        if let (Some(a), Some(b)) = (set_value(alias), set_value(&sectioned))
            && a != b
        {
            return Err(format!(
                "configuration: {alias} and {sectioned} are both set, to different values; set one"
            ));
        }
    }
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix("TENANTRY_") else {
            continue;
        };
        if rest.contains("__")
            || ALIASES.iter().any(|(alias, _)| *alias == name)
            || NOT_SETTINGS.iter().any(|other| name.starts_with(other))
        {
            continue;
        }
        let lower = rest.to_lowercase();
        if let Some((_, section, key)) = FLAT_KEYS.iter().find(|(old, _, _)| *old == lower) {
            let wanted = format!("TENANTRY_{}__{}", section, key).to_uppercase();
            return Err(format!(
                "configuration: {name} is no setting; write {wanted}"
            ));
        }
        warnings.push(format!(
            "{name} names no setting (settings are TENANTRY_<SECTION>__<KEY>); ignored"
        ));
    }
    Ok(())
}

fn set_value(variable: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(variable).filter(|value| !value.is_empty())
}

/// An empty variable is an unset one, as a shell's `FOO= tenantry …` means.
fn is_set(variable: &str) -> bool {
    std::env::var_os(variable).is_some_and(|value| !value.is_empty())
}

/// Every error figment found, one per line, each with the key and where it was written.
fn describe(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(source) => format!(" (in {source})"),
                    None => format!(" (in {})", m.name),
                })
                .unwrap_or_default();
            let what = match &e.kind {
                Kind::UnknownField(found, valid) => {
                    format!(
                        "unknown key `{found}`; the valid keys: {}",
                        valid.join(", ")
                    )
                }
                kind => kind.to_string(),
            };
            match key.is_empty() {
                true => format!("configuration: {what}{source}"),
                false => format!("configuration: {key}: {what}{source}"),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The TOML file, with keys from before the sections moved into them.
struct ConfigFile {
    path: PathBuf,
    table: toml::Table,
}

impl ConfigFile {
    fn read(path: PathBuf, warnings: &mut Warnings) -> Result<Self, String> {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        let mut table: toml::Table =
            toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))?;
        for (old, section, key) in FLAT_KEYS {
            let Some(value) = table.remove(old) else {
                continue;
            };
            warnings.push(format!(
                "{}: `{old}` is deprecated; write `{key}` under [{section}]",
                path.display()
            ));
            let entry = table
                .entry(section)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(section_table) = entry else {
                return Err(format!(
                    "config file {}: `{section}` must be a section",
                    path.display()
                ));
            };
            // The sectioned key wins where a file has both.
            section_table.entry(key).or_insert(value);
        }
        // A relative key file written here is this file's neighbour, wherever the command runs
        // from; a flag or variable is relative to the working directory, as paths typed are.
        if let Some(toml::Value::Table(secrets)) = table.get_mut("secrets")
            && let Some(toml::Value::String(file)) = secrets.get_mut("master_key_file")
            && Path::new(file.as_str()).is_relative()
            && let Some(dir) = path.parent()
        {
            *file = dir.join(&*file).to_string_lossy().into_owned();
        }
        Ok(Self { path, table })
    }
}

impl Provider for ConfigFile {
    fn metadata(&self) -> Metadata {
        Metadata::named("configuration file").source(figment::Source::File(self.path.clone()))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Serialized::defaults(&self.table).data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flat_key_lands_in_a_section_the_config_knows() {
        for (old, section, key) in FLAT_KEYS {
            let file = format!("[{section}]\n{key} = {}\n", sample(old));
            let table: toml::Table = toml::from_str(&file).unwrap();
            let figment = Figment::new().merge(Serialized::defaults(table));
            if let Err(e) = figment.extract::<Config>() {
                assert!(
                    !e.to_string().contains("unknown field"),
                    "{old} → [{section}] {key}: {e}"
                );
            }
        }
    }

    #[test]
    fn every_alias_names_a_key_the_config_knows() {
        for (variable, key) in ALIASES {
            let (section, key) = key.split_once('.').unwrap();
            let file = format!("[{section}]\n{key} = \"x\"\n");
            let table: toml::Table = toml::from_str(&file).unwrap();
            let e = Figment::new()
                .merge(Serialized::defaults(table))
                .extract::<Config>()
                .err();
            assert!(
                e.is_none_or(|e| !e.to_string().contains("unknown field")),
                "{variable}"
            );
        }
    }

    /// The keys serde knows in `section` (the top level: `None`), as its refusal of an unknown
    /// key lists them.
    fn known_keys(section: Option<&str>) -> Vec<&'static str> {
        let file = match section {
            Some(section) => format!("[{section}]\nno_such_key = 1\n"),
            None => "no_such_key = 1\n".to_owned(),
        };
        let table: toml::Table = toml::from_str(&file).unwrap();
        let error = Figment::new()
            .merge(Serialized::defaults(table))
            .extract::<Config>()
            .err()
            .expect("an unknown key is refused");
        match error.kind {
            Kind::UnknownField(_, valid) => valid.to_vec(),
            kind => panic!("{kind}"),
        }
    }

    #[test]
    fn the_readme_documents_every_key_with_its_section() {
        let readme = include_str!("../../../README.md");
        let rows: Vec<&str> = readme
            .lines()
            .filter(|line| line.starts_with("| `"))
            .collect();
        let sections = known_keys(None);
        assert!(sections.len() >= 10, "{sections:?}");
        for section in sections {
            let keys = known_keys(Some(section));
            assert!(!keys.is_empty(), "{section}");
            for key in keys {
                let documented = rows.iter().any(|row| {
                    let mut cells = row.split('|').skip(1);
                    cells
                        .next()
                        .is_some_and(|s| s.trim() == format!("`{section}`"))
                        && cells
                            .next()
                            .is_some_and(|k| k.contains(&format!("`{key}`")))
                });
                assert!(documented, "README: no row for {section}.{key}");
            }
        }
        for (variable, key) in ALIASES {
            let (section, key) = key.split_once('.').unwrap();
            assert!(
                rows.iter()
                    .any(|row| row.starts_with(&format!("| `{section}` |"))
                        && row.contains(&format!("`{key}`"))
                        && row.contains(&format!("`{variable}`"))),
                "README: {variable} is not shown beside {section}.{key}"
            );
        }
    }

    /// A value of the right shape for an old key, good enough to reach the field.
    fn sample(key: &str) -> &'static str {
        match key {
            "apps" | "dns_static" => "{}",
            "trusted_proxies" | "reserved_subdomains" => "[]",
            _ => "0",
        }
    }
}
