//! The `tenantry` command line: the server, migrations, and the operator's tenant and domain tools.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sea_orm::{ActiveEnum, DatabaseConnection};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::jwt::TokenService;
use crate::auth::master_key::MasterKey;
use crate::config::apps::ADMIN_CONSOLE;
use crate::config::{Config, ConfigArgs, ServerArgs};
use crate::entities::account::Role;
use crate::entities::api_key::{self, KeyKind};
use crate::entities::tenant::TenantStatus;
use crate::entities::{tenant, tenant_domain};
use crate::error::AppError;
use crate::services::api_keys::{self, NewKey};
use crate::services::audit::Actor;
use crate::services::tenants::{self, NewTenant};
use crate::services::{accounts, custom_domains, demo, domains, mail};
use crate::tenancy::context::{PlatformContext, TenantContext};
use crate::{Application, db, graphql, telemetry};

/// The CLI acts as the platform itself: its operator is at the machine, not signed in.
const CLI: CommandLine = CommandLine {
    actor: Actor::PLATFORM,
};

struct CommandLine {
    /// Who the audit trail names.
    actor: Actor,
}

impl CommandLine {
    fn platform(&self) -> PlatformContext {
        PlatformContext::process()
    }

    /// The tenant `slug` names, or `NOT_FOUND`.
    async fn tenant(&self, db: &DatabaseConnection, slug: &str) -> Result<TenantContext, AppError> {
        self.platform().tenant_by_slug(db, slug).await
    }
}

const EXIT_CODES: &str =
    "Exit codes: 0 done, 1 refused (one line on stderr says why), 2 usage error.";

#[derive(Parser, Debug)]
#[command(
    name = "tenantry",
    version,
    about = "Multi-tenant platform backend",
    propagate_version = true,
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP server (applies pending migrations first)
    #[command(after_help = "Example: tenantry serve --demo")]
    Serve(ServeArgs),
    /// Apply pending migrations and exit (a SQLite file is created; a PostgreSQL database must exist)
    Migrate(DataArgs),
    /// Create, list, suspend and reactivate tenants
    Tenant(Data<TenantCommand>),
    /// Attach, list and remove the hosts of tenants' apps
    Domain(Data<DomainCommand>),
    /// Create platform operators
    Operator(Data<OperatorCommand>),
    /// Create, list and revoke API keys (a secret is printed once)
    Key(Data<KeyCommand>),
    /// Manage the keys that sign access tokens
    Jwt(Data<JwtCommand>),
    /// Generate or rotate the master key that encrypts secrets at rest
    #[command(subcommand)]
    Masterkey(MasterkeyCommand),
    /// Read mail kept in the outbox (when no SMTP_URL is set)
    Outbox(Data<OutboxCommand>),
    /// Print the GraphQL schema (SDL) served at /graphql
    Schema,
    /// Ask the server configured here whether it is up (GET /healthz on http.bind): exit 0 when it
    /// answers, 1 otherwise; for container health checks, where no curl is installed
    #[command(after_help = "Example: tenantry health")]
    Health(HealthArgs),
}

#[derive(Args, Debug)]
struct HealthArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Ask this URL instead, e.g. http://127.0.0.1:8080/healthz
    #[arg(long)]
    url: Option<String>,
}

/// Where the data is, and how much to say about it.
#[derive(Args, Debug)]
struct DataArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Print the database the command opens (on stderr)
    #[arg(short, long, global = true, help_heading = "Output")]
    verbose: bool,
}

/// A group of commands on the data, with their output format.
#[derive(Args, Debug)]
struct Data<C: Subcommand> {
    #[command(flatten)]
    data: DataArgs,
    /// Print one JSON document on stdout instead of text, for scripts
    #[arg(long, global = true, help_heading = "Output")]
    json: bool,
    #[command(subcommand)]
    command: C,
}

#[derive(Subcommand, Debug)]
enum OperatorCommand {
    /// Create an operator account on the platform tenant (creating that tenant if needed)
    Create {
        /// The operator's address, e.g. ops@example.com
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
enum KeyCommand {
    /// Create a key and print its secret, once
    Create {
        /// Tenant slug, e.g. acme (`main` for operator keys)
        #[arg(long)]
        tenant: String,
        /// secret (btk_…, server to server) or public (bpk_…, shipped in apps), e.g. secret
        #[arg(long, value_enum)]
        kind: KeyKindArg,
        /// Role of a secret key: OPERATOR (on main only), ADMIN, MEMBER or USER, e.g. MEMBER [default: OPERATOR on main, ADMIN elsewhere]
        #[arg(long)]
        role: Option<String>,
        /// A name to tell the key apart, e.g. billing-backend
        #[arg(long, default_value = "cli")]
        name: String,
        /// Catalog key of the app the key is for, e.g. TAXI_PASSENGER
        #[arg(long)]
        app: Option<String>,
    },
    /// List a tenant's keys, newest first (never their secrets)
    List {
        /// Tenant slug, e.g. acme
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a key: running servers refuse it within about a second
    Revoke {
        /// Tenant slug, e.g. acme
        #[arg(long)]
        tenant: String,
        /// The key's id, as `key list` shows it, e.g. 0193c7a2-…
        #[arg(long)]
        id: Uuid,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum KeyKindArg {
    /// btk_…: server to server
    Secret,
    /// bpk_…: shipped in apps and web pages
    Public,
}

#[derive(Subcommand, Debug)]
enum OutboxCommand {
    /// The newest messages, newest first
    List {
        /// How many messages, e.g. 5
        #[arg(long, default_value_t = 20)]
        limit: u64,
    },
}

#[derive(Subcommand, Debug)]
enum MasterkeyCommand {
    /// Print a fresh master key (32 random bytes, base64)
    Generate,
    /// Re-encrypt every secret under the key in FILE, in one transaction (needs the current key)
    Rotate {
        /// File holding the new master key, e.g. /run/secrets/tenantry-master-key.new
        #[arg(long, value_name = "FILE")]
        new_key_file: std::path::PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
enum JwtCommand {
    /// Make a new key the signing key; older keys verify until their tokens expire
    Rotate,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Make sure the demo tenant `acme` exists (branding, app links), print its URLs and keys, and
    /// write them to data/demo.env
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Subcommand, Debug)]
enum TenantCommand {
    /// Provision a tenant with one system domain per app
    Create {
        /// Lower-case letters, digits and inner hyphens, e.g. globex; hosts become `{slug}-{suffix}.{base domain}`
        #[arg(long)]
        slug: String,
        /// Display name, e.g. "Globex Corporation"
        #[arg(long)]
        name: String,
        /// Comma-separated catalog keys, e.g. TAXI_PASSENGER,ADMIN_CONSOLE [default: every app in the catalog]
        #[arg(long, value_delimiter = ',', value_name = "APPS")]
        apps: Option<Vec<String>>,
    },
    /// Suspend a tenant: its hosts answer "Tenant not found" until it is reactivated
    Suspend {
        /// Tenant slug, e.g. globex
        #[arg(long)]
        slug: String,
    },
    /// Reactivate a suspended tenant
    Activate {
        /// Tenant slug, e.g. globex
        #[arg(long)]
        slug: String,
    },
    /// List every tenant
    List,
}

#[derive(Subcommand, Debug)]
enum DomainCommand {
    /// Attach a host to a tenant's app as a verified custom domain (the operator vouches for it)
    Add {
        /// Tenant slug, e.g. acme
        #[arg(long)]
        tenant: String,
        /// Catalog key of the app, e.g. TAXI_PASSENGER
        #[arg(long)]
        app: String,
        /// Host name, e.g. rides.acme.com
        #[arg(long)]
        host: String,
        /// Add a further host beside the app's custom domain (acme.com beside www.acme.com)
        #[arg(long)]
        alias: bool,
    },
    /// List a tenant's domains
    List {
        /// Tenant slug, e.g. acme
        #[arg(long)]
        tenant: String,
    },
    /// Remove a custom domain, an alias or a pending claim: running servers stop routing the host
    /// within about a second
    Remove {
        /// Tenant slug, e.g. acme
        #[arg(long)]
        tenant: String,
        /// Host name, e.g. rides.acme.com
        #[arg(long)]
        host: String,
    },
}

/// Parses the command line, runs it, and turns any error into one line on stderr and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    // The command is done: a background task that will not yield (the database pool's upkeep has
    // been seen spinning at shutdown) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let none = ServerArgs::default();
    let (data, server) = match &cli.command {
        Command::Serve(args) => (Some(&args.data), &args.server),
        Command::Migrate(data) => (Some(data), &none),
        Command::Tenant(group) => (Some(&group.data), &none),
        Command::Domain(group) => (Some(&group.data), &none),
        Command::Operator(group) => (Some(&group.data), &none),
        Command::Key(group) => (Some(&group.data), &none),
        Command::Jwt(group) => (Some(&group.data), &none),
        Command::Outbox(group) => (Some(&group.data), &none),
        Command::Health(args) => (Some(&args.data), &none),
        Command::Masterkey(MasterkeyCommand::Rotate { data, .. }) => (Some(data), &none),
        Command::Masterkey(MasterkeyCommand::Generate) | Command::Schema => (None, &none),
    };
    let args = data.map(|data| data.config.clone()).unwrap_or_default();
    let demo = matches!(&cli.command, Command::Serve(args) if args.demo);
    let (config, warnings) = Config::load(&args, server, demo)?;
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    let config = crate::tenancy::checked_config(config)?;
    if data.is_some_and(|data| data.verbose) {
        eprintln!("database: {}", db::shown_url(&config.database.url));
    }
    execute(cli.command, config).await.map_err(describe)
}

async fn execute(command: Command, config: Config) -> Result<(), AppError> {
    match command {
        Command::Serve(args) => {
            let _log = telemetry::init_server(&config.log);
            serve(config, args.demo).await
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Health(args) => {
            let url = args.url.unwrap_or_else(|| healthz_url(config.http.bind));
            let answer = probe(&url)
                .await
                .map_err(|reason| AppError::internal(format!("{url} is not healthy: {reason}")))?;
            println!("{answer}");
            Ok(())
        }
        Command::Migrate(_) => {
            telemetry::init(config.log.format, "warn");
            let db = db::connect(&config).await?;
            db::migrate(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Tenant(group) => {
            let out = Out(group.json);
            tenant(&open(&config).await?, &config, out, group.command).await
        }
        Command::Domain(group) => {
            let out = Out(group.json);
            domain(&open(&config).await?, &config, out, group.command).await
        }
        Command::Operator(group) => {
            let OperatorCommand::Create { email } = group.command;
            let db = open(&config).await?;
            let account = accounts::ensure_operator(&db, &CLI.platform(), &email).await?;
            Out(group.json).show(
                json!({ "id": account.id, "email": account.email, "role": "OPERATOR" }),
                || format!("operator {} ({})", account.email, account.id),
            );
            Ok(())
        }
        Command::Key(group) => {
            let out = Out(group.json);
            key(&open(&config).await?, &config, out, group.command).await
        }
        Command::Outbox(group) => {
            let OutboxCommand::List { limit } = group.command;
            let db = open(&config).await?;
            let messages = mail::outbox(&db, &CLI.platform(), limit).await?;
            let rows = messages.iter().map(|message| {
                json!({
                    "created_at": message.created_at,
                    "recipient": message.recipient,
                    "subject": message.subject,
                    "body": message.body,
                })
            });
            Out(group.json).show(Value::Array(rows.collect()), || {
                let mut text = String::new();
                for message in &messages {
                    text.push_str(&format!(
                        "--- {} to {} ---\nSubject: {}\n\n{}\n",
                        message.created_at.to_rfc3339(),
                        message.recipient,
                        message.subject,
                        message.body
                    ));
                }
                text.trim_end().to_owned()
            });
            Ok(())
        }
        Command::Jwt(group) => {
            let JwtCommand::Rotate = group.command;
            let master = needed_master_key(&config)?;
            let db = open(&config).await?;
            TokenService::seal_keys_at_rest(&db, &master).await?;
            TokenService::ensure_signing_key(&db, &master).await?;
            let kid = TokenService::rotate(&db, &master).await?;
            Out(group.json).show(json!({ "kid": kid }), || {
                format!("signing key is now {kid}")
            });
            Ok(())
        }
        Command::Masterkey(MasterkeyCommand::Generate) => {
            println!("{}", MasterKey::generate());
            Ok(())
        }
        Command::Masterkey(MasterkeyCommand::Rotate { new_key_file, .. }) => {
            let old = needed_master_key(&config)?;
            let text = std::fs::read_to_string(&new_key_file).map_err(|e| {
                AppError::internal(format!("cannot read {}: {e}", new_key_file.display()))
            })?;
            let new = MasterKey::parse(&text).map_err(AppError::internal)?;
            let db = open(&config).await?;
            let count = TokenService::reseal_keys(&db, &old, &new).await?;
            println!(
                "{count} signing keys are now encrypted under the new master key; give every instance {} before restarting it",
                new_key_file.display()
            );
            Ok(())
        }
    }
}

/// What a command prints: text for a person, or one JSON document for a script (`--json`).
#[derive(Clone, Copy)]
struct Out(bool);

impl Out {
    fn show(self, document: Value, text: impl FnOnce() -> String) {
        if self.0 {
            println!("{document}");
        } else {
            let text = text();
            if !text.is_empty() {
                println!("{text}");
            }
        }
    }
}

/// The database of a one-shot command, which must exist and be migrated (see
/// [`db::connect_existing`]), with quiet logs (its output is its answer).
async fn open(config: &Config) -> Result<DatabaseConnection, AppError> {
    telemetry::init(config.log.format, "warn");
    db::connect_existing(config).await
}

/// The configured master key, or an error naming both ways to give one.
fn needed_master_key(config: &Config) -> Result<MasterKey, AppError> {
    MasterKey::configured(&config.secrets)
        .map_err(AppError::internal)?
        .ok_or_else(|| {
            AppError::internal(
                "no master key: give --master-key-file FILE (or TENANTRY_MASTER_KEY_FILE, TENANTRY_MASTER_KEY, master_key_file under [secrets] in the config file); `serve --demo` keeps its key in data/master.key, and `tenantry masterkey generate` makes one",
            )
        })
}

/// The demo's master key file: `data/master.key`, made (mode 0600) on first use.
fn demo_master_key() -> Result<std::path::PathBuf, AppError> {
    let path = std::path::Path::new(DEMO_MASTER_KEY);
    if !path.exists() {
        db::private_dir(std::path::Path::new("data"))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                use std::io::Write;
                writeln!(file, "{}", MasterKey::generate()).map_err(AppError::internal)?;
                println!(
                    "Generated a master key for the demo into {DEMO_MASTER_KEY} (keep it: it encrypts the signing keys)"
                );
            }
            // Another demo server made it a moment ago.
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(AppError::internal(err)),
        }
    }
    Ok(path.to_owned())
}

const DEMO_MASTER_KEY: &str = "data/master.key";
const DEMO_ENV: &str = "data/demo.env";

/// Writes what the demo printed as shell assignments to `data/demo.env` (mode 0600: it holds
/// live keys), so examples and scripts can `source` it instead of copying keys by hand.
fn write_demo_env(demo: &demo::Demo, port: u16) -> Result<(), AppError> {
    let mut text = String::from(
        "# Written by `tenantry serve --demo` at each start: the keys are new every time.\n",
    );
    text.push_str(&format!("PORT={port}\n"));
    // Exported, so the CLI run from the same shell opens the demo's secrets (`jwt rotate`).
    let key_file = std::env::current_dir()
        .map_err(AppError::internal)?
        .join(DEMO_MASTER_KEY);
    text.push_str(&format!(
        "export TENANTRY_MASTER_KEY_FILE='{}'\n",
        key_file.display()
    ));
    text.push_str(&format!("GRAPHQL=http://127.0.0.1:{port}/graphql\n"));
    text.push_str(&format!("OPERATOR_KEY={}\n", demo.operator_key));
    text.push_str(&format!("ADMIN_KEY={}\n", demo.admin_key));
    text.push_str(&format!("PUBLIC_KEY={}\n", demo.public_key));
    for (app, host) in &demo.hosts {
        text.push_str(&format!("{app}=http://{host}:{port}\n"));
    }
    db::private_dir(std::path::Path::new("data"))?;
    let scratch = format!("{DEMO_ENV}.{}", std::process::id());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&scratch).map_err(AppError::internal)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(AppError::internal)?;
    // Renamed into place, so a reader never sources half a file.
    std::fs::rename(&scratch, DEMO_ENV).map_err(AppError::internal)
}

async fn serve(mut config: Config, with_demo: bool) -> Result<(), AppError> {
    let secrets = &mut config.secrets;
    if with_demo && secrets.master_key.is_none() && secrets.master_key_file.is_none() {
        secrets.master_key_file = Some(demo_master_key()?);
    }
    needed_master_key(&config)?;
    if config.mail.smtp_url.is_none() && !with_demo {
        tracing::warn!(
            "no SMTP_URL: mail is kept in the database's outbox table, with live sign-in codes and reset tokens until they expire"
        );
    }
    let app = Application::build(config, with_demo).await?;
    let addr = app.local_addr();
    if with_demo {
        let demo = demo::ensure(&app.state().db, &app.state().config, &CLI.platform()).await?;
        let port = addr.port();
        println!("Demo tenant '{}' is ready:", demo::DEMO_SLUG);
        for (app_key, host) in &demo.hosts {
            println!("  {app_key:<18} http://{host}:{port}/api/branding");
        }
        println!();
        println!(
            "GraphQL at http://127.0.0.1:{port}/graphql, with these keys (new at every start):"
        );
        println!(
            "  operator ({})      X-Api-Key: {}",
            demo::DEMO_OPERATOR,
            demo.operator_key
        );
        println!("  acme admin             X-Api-Key: {}", demo.admin_key);
        println!("  acme public            X-Api-Key: {}", demo.public_key);
        println!();
        println!("The console: sign in with an email code (the message is printed here and kept");
        println!("in the outbox: `tenantry outbox list`):");
        let base = &app.state().config.tenancy.base_domain;
        println!(
            "  operators              http://admin.{base}:{port}/   as {}",
            demo::DEMO_OPERATOR
        );
        if let Some((_, host)) = demo.hosts.iter().find(|(app, _)| app == ADMIN_CONSOLE) {
            println!(
                "  acme admins            http://{host}:{port}/   as {}",
                demo::DEMO_ADMIN
            );
        }
        write_demo_env(&demo, port)?;
        println!();
        println!("The same values, for a shell: source {DEMO_ENV}");
    }
    tracing::info!(%addr, "listening");
    if let Some(metrics) = app.metrics_addr() {
        tracing::info!(%metrics, "metrics at GET /metrics");
    }
    app.run_until_stopped()
        .await
        .map_err(|e| AppError::internal(format!("server failed: {e}")))
}

async fn tenant(
    db: &DatabaseConnection,
    config: &Config,
    out: Out,
    command: TenantCommand,
) -> Result<(), AppError> {
    match command {
        TenantCommand::Create { slug, name, apps } => {
            let provisioned = tenants::provision(
                db,
                config,
                &CLI.platform(),
                NewTenant {
                    slug: &slug,
                    name: &name,
                    apps: apps.as_deref(),
                    admin_email: None,
                },
                &CLI.actor,
            )
            .await?;
            let tenant = &provisioned.tenant;
            let mut document = tenant_json(tenant);
            document["domains"] = provisioned.domains.iter().map(domain_json).collect();
            out.show(document, || {
                let mut text = format!("created tenant '{}' ({})", tenant.slug, tenant.id);
                for domain in &provisioned.domains {
                    text.push_str(&format!("\n  {:<18} {}", domain.app, domain.host));
                }
                text
            });
        }
        TenantCommand::Suspend { slug } => {
            set_status(db, out, &slug, TenantStatus::Suspended).await?;
        }
        TenantCommand::Activate { slug } => {
            set_status(db, out, &slug, TenantStatus::Active).await?;
        }
        TenantCommand::List => {
            let all = tenants::list(db, &CLI.platform()).await?;
            out.show(all.iter().map(tenant_json).collect(), || {
                let mut text = format!("{:<24} {:<10} NAME", "SLUG", "STATUS");
                for tenant in &all {
                    text.push_str(&format!(
                        "\n{:<24} {:<10} {}",
                        tenant.slug,
                        status_name(tenant.status),
                        tenant.name
                    ));
                }
                text
            });
        }
    }
    Ok(())
}

async fn set_status(
    db: &DatabaseConnection,
    out: Out,
    slug: &str,
    status: TenantStatus,
) -> Result<(), AppError> {
    let (tenant, changed) =
        tenants::set_status(db, &CLI.platform(), slug, status, &CLI.actor).await?;
    let mut document = tenant_json(&tenant);
    document["changed"] = changed.into();
    out.show(document, || match (status, changed) {
        (TenantStatus::Suspended, true) => format!("suspended tenant '{slug}'"),
        (TenantStatus::Active, true) => format!("activated tenant '{slug}'"),
        (_, false) => format!("tenant '{slug}' was already {}", status_name(status)),
    });
    Ok(())
}

async fn domain(
    db: &DatabaseConnection,
    config: &Config,
    out: Out,
    command: DomainCommand,
) -> Result<(), AppError> {
    match command {
        DomainCommand::Add {
            tenant,
            app,
            host,
            alias,
        } => {
            let context = CLI.tenant(db, &tenant).await?;
            let domain =
                domains::add_verified(db, config, &context, &app, &host, alias, &CLI.actor).await?;
            out.show(domain_json(&domain), || {
                format!(
                    "added {} for {} of '{tenant}' (verified)",
                    domain.host, domain.app
                )
            });
        }
        DomainCommand::List { tenant } => {
            let rows = domains::list(db, &CLI.tenant(db, &tenant).await?).await?;
            out.show(rows.iter().map(domain_json).collect(), || {
                let mut text = format!("{:<40} {:<18} {:<7} VERIFIED", "HOST", "APP", "KIND");
                for domain in &rows {
                    let verified = if domain.verified { "yes" } else { "no" };
                    text.push_str(&format!(
                        "\n{:<40} {:<18} {:<7} {verified}",
                        domain.host,
                        domain.app,
                        kind_name(domain.kind)
                    ));
                }
                text
            });
        }
        DomainCommand::Remove { tenant, host } => {
            let tenant = CLI.tenant(db, &tenant).await?;
            let host = custom_domains::remove_host(db, &tenant, &host, &CLI.actor).await?;
            out.show(json!({ "host": host, "removed": true }), || {
                format!("removed {host} from '{}'", tenant.slug())
            });
        }
    }
    Ok(())
}

async fn key(
    db: &DatabaseConnection,
    config: &Config,
    out: Out,
    command: KeyCommand,
) -> Result<(), AppError> {
    match command {
        KeyCommand::Create {
            tenant,
            kind,
            role,
            name,
            app,
        } => {
            let tenant = CLI.tenant(db, &tenant).await?;
            let kind = match kind {
                KeyKindArg::Secret => KeyKind::Secret,
                KeyKindArg::Public => KeyKind::Public,
            };
            let role = match (kind, role) {
                (KeyKind::Public, None) => None,
                (_, Some(role)) => Some(Role::parse(&role.to_uppercase()).ok_or_else(|| {
                    AppError::invalid(
                        "role",
                        format!("unknown role '{role}' (OPERATOR, ADMIN, MEMBER, USER)"),
                    )
                })?),
                (KeyKind::Secret, None) if tenant.is_main() => Some(Role::Operator),
                (KeyKind::Secret, None) => Some(Role::Admin),
            };
            let new = NewKey {
                kind,
                name,
                role,
                app,
                expires_at: None,
            };
            let created = api_keys::create(db, config, &tenant, new, &CLI.actor).await?;
            let mut document = key_json(&created.key);
            document["secret"] = created.secret.clone().into();
            out.show(document, || created.secret.clone());
            eprintln!("This is the only time the key is shown. Store it now.");
        }
        KeyCommand::List { tenant } => {
            let tenant = CLI.tenant(db, &tenant).await?;
            let keys = api_keys::list(db, &tenant).await?;
            out.show(keys.iter().map(key_json).collect(), || {
                let mut text = format!(
                    "{:<36} {:<6} {:<13} {:<8} {:<9} NAME",
                    "ID", "KIND", "PREFIX", "ROLE", "STATE"
                );
                for key in &keys {
                    let role = key.role.map(|role| role.to_value()).unwrap_or_default();
                    let state = if key.revoked_at.is_some() {
                        "revoked"
                    } else if key.expires_at.is_some_and(|at| at <= db::now()) {
                        "expired"
                    } else {
                        "active"
                    };
                    text.push_str(&format!(
                        "\n{:<36} {:<6} {:<13} {:<8} {:<9} {}",
                        key.id,
                        kind_name(key.kind),
                        format!("{}…", key.display_prefix),
                        role,
                        state,
                        key.name
                    ));
                }
                text
            });
        }
        KeyCommand::Revoke { tenant, id } => {
            let tenant = CLI.tenant(db, &tenant).await?;
            let (key, changed) = api_keys::revoke(db, &tenant, id, &CLI.actor).await?;
            let mut document = key_json(&key);
            document["changed"] = changed.into();
            out.show(document, || match changed {
                true => format!("revoked key '{}' ({}…)", key.name, key.display_prefix),
                false => format!(
                    "key '{}' ({}…) was already revoked",
                    key.name, key.display_prefix
                ),
            });
        }
    }
    Ok(())
}

fn tenant_json(tenant: &tenant::Model) -> Value {
    json!({
        "id": tenant.id,
        "slug": tenant.slug,
        "name": tenant.name,
        "status": status_name(tenant.status),
    })
}

fn domain_json(domain: &tenant_domain::Model) -> Value {
    json!({
        "id": domain.id,
        "host": domain.host,
        "app": domain.app,
        "kind": kind_name(domain.kind),
        "verified": domain.verified,
    })
}

fn key_json(key: &api_key::Model) -> Value {
    json!({
        "id": key.id,
        "kind": kind_name(key.kind),
        "name": key.name,
        "display_prefix": key.display_prefix,
        "role": key.role.map(|role| role.to_value()),
        "app": key.app,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
    })
}

fn status_name(status: TenantStatus) -> String {
    status.to_value()
}

/// The lower-case name of an enum the database stores (`secret`, `custom`, …).
fn kind_name(kind: impl std::fmt::Debug) -> String {
    format!("{kind:?}").to_lowercase()
}

/// One line for a person at a terminal: the cause itself for internal errors.
fn describe(err: AppError) -> String {
    match err {
        AppError::Internal(cause) => cause.to_string(),
        err => err.chain(),
    }
}

/// Where the server bound to `bind` answers on this machine: an unspecified address (`0.0.0.0`,
/// `::`) is reached on loopback.
fn healthz_url(bind: std::net::SocketAddr) -> String {
    let ip = match bind.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!(
        "http://{}/healthz",
        std::net::SocketAddr::new(ip, bind.port())
    )
}

/// `GET url` within five seconds: its body when the answer is 200, else why not.
async fn probe(url: &str) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.text().await.map_err(|e| e.to_string())?;
    if status == reqwest::StatusCode::OK {
        Ok(body)
    } else {
        Err(format!("{status}: {body}"))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every (sub)command with its path, after global arguments have been propagated.
    fn commands() -> Vec<(String, clap::Command)> {
        fn walk(command: &clap::Command, path: String, all: &mut Vec<(String, clap::Command)>) {
            all.push((path.clone(), command.clone()));
            for sub in command.get_subcommands() {
                walk(sub, format!("{path} {}", sub.get_name()), all);
            }
        }
        let mut root = Cli::command();
        root.build();
        let mut all = Vec::new();
        walk(&root, "tenantry".into(), &mut all);
        all
    }

    #[test]
    fn every_argument_says_what_it_is_with_an_example() {
        let mut thin = Vec::new();
        for (path, command) in commands() {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                let listed = !arg.get_possible_values().is_empty();
                let takes_value = arg.get_action().takes_values();
                if help.is_empty() || (takes_value && !listed && !help.contains("e.g.")) {
                    thin.push(format!("{path} --{id}"));
                }
            }
        }
        assert!(
            thin.is_empty(),
            "arguments without help or example: {thin:?}"
        );
    }

    #[test]
    fn server_settings_are_flags_of_serve_only() {
        let server_only = [
            "bind",
            "redis_url",
            "smtp_url",
            "metrics_bind",
            "trusted_proxies",
        ];
        for (path, command) in commands() {
            let has = |id: &str| command.get_arguments().any(|arg| arg.get_id() == id);
            for id in server_only {
                assert_eq!(has(id), path == "tenantry serve", "{path} and --{id}");
            }
            if path == "tenantry schema" || path == "tenantry masterkey generate" {
                assert!(!has("database_url"), "{path} needs no database");
            }
        }
    }

    #[test]
    fn health_asks_an_unspecified_bind_on_loopback() {
        let url = |bind: &str| healthz_url(bind.parse().unwrap());
        assert_eq!(url("0.0.0.0:8080"), "http://127.0.0.1:8080/healthz");
        assert_eq!(url("[::]:8080"), "http://[::1]:8080/healthz");
        assert_eq!(url("10.0.1.11:9000"), "http://10.0.1.11:9000/healthz");
    }
}
