//! The `tenantry` command line: the server, migrations, and the operator's tenant and domain tools.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sea_orm::DatabaseConnection;

use crate::auth::jwt::TokenService;
use crate::auth::master_key::MasterKey;
use crate::config::{Config, ConfigArgs};
use crate::entities::account::Role;
use crate::entities::api_key::KeyKind;
use crate::entities::tenant::TenantStatus;
use crate::error::AppError;
use crate::services::api_keys::{self, NewKey};
use crate::services::{accounts, demo, domains, mail, tenants};
use crate::tenancy::catalog::ADMIN_CONSOLE;
use crate::{Application, db, graphql, telemetry};

#[derive(Parser, Debug)]
#[command(
    name = "tenantry",
    version,
    about = "Multi-tenant platform backend",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP server (applies pending migrations first)
    Serve(ServeArgs),
    /// Apply pending database migrations and exit
    Migrate,
    /// Create, list, suspend and reactivate tenants
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Attach hosts to tenants' apps and list them
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Create platform operators
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Create API keys (the secret is printed once)
    #[command(subcommand)]
    Key(KeyCommand),
    /// Manage the keys that sign access tokens
    #[command(subcommand)]
    Jwt(JwtCommand),
    /// Generate or rotate the master key that encrypts secrets at rest
    #[command(subcommand)]
    Masterkey(MasterkeyCommand),
    /// Read mail kept in the outbox (when no SMTP_URL is set)
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Print the GraphQL schema (SDL) served at /graphql
    Schema,
}

#[derive(Subcommand, Debug)]
enum OperatorCommand {
    /// Create an operator account on the platform tenant (creating that tenant if needed)
    Create {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
enum KeyCommand {
    /// Create a key and print its secret, once
    Create {
        /// Tenant slug (`main` for operator keys)
        #[arg(long)]
        tenant: String,
        #[arg(long, value_enum)]
        kind: KeyKindArg,
        /// Role of a secret key: OPERATOR, ADMIN, MEMBER or USER [default: OPERATOR on main, ADMIN elsewhere]
        #[arg(long)]
        role: Option<String>,
        /// A name to tell the key apart
        #[arg(long, default_value = "cli")]
        name: String,
        /// Catalog key of the app the key is for
        #[arg(long)]
        app: Option<String>,
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
        /// File holding the new master key
        #[arg(long, value_name = "FILE")]
        new_key_file: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum JwtCommand {
    /// Make a new key the signing key; older keys verify until their tokens expire
    Rotate,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "TENANTRY_BIND", value_name = "ADDR")]
    bind: Option<SocketAddr>,
    /// Make sure the demo tenant `acme` exists (branding, app links) and print its URLs
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand, Debug)]
enum TenantCommand {
    /// Provision a tenant with one system domain per app
    Create {
        /// Lower-case letters, digits and inner hyphens; becomes `{slug}-{suffix}.{base domain}`
        #[arg(long)]
        slug: String,
        /// Display name
        #[arg(long)]
        name: String,
        /// Comma-separated catalog keys [default: every app in the catalog]
        #[arg(long, value_delimiter = ',', value_name = "APPS")]
        apps: Option<Vec<String>>,
    },
    /// Suspend a tenant: its hosts answer "Tenant not found" until it is reactivated
    Suspend {
        #[arg(long)]
        slug: String,
    },
    /// Reactivate a suspended tenant
    Activate {
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
        /// Tenant slug
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
        /// Tenant slug
        #[arg(long)]
        tenant: String,
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
    let bind = match &cli.command {
        Command::Serve(args) => args.bind,
        _ => None,
    };
    let mut config = Config::load(&cli.config, bind)?;
    // The demo is for exploring: introspection and GraphiQL are on unless the flag says otherwise.
    if let Command::Serve(args) = &cli.command
        && args.demo
        && cli.config.graphql_introspection.is_none()
    {
        config.graphql_introspection = true;
    }
    execute(cli.command, config).await.map_err(describe)
}

async fn execute(command: Command, config: Config) -> Result<(), AppError> {
    match command {
        Command::Serve(args) => {
            telemetry::init(config.log_format, "info");
            serve(config, args.demo).await
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            open(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Tenant(command) => tenant(&open(&config).await?, &config, command).await,
        Command::Domain(command) => domain(&open(&config).await?, &config, command).await,
        Command::Operator(OperatorCommand::Create { email }) => {
            let db = open(&config).await?;
            let account = accounts::ensure_operator(&db, &email).await?;
            println!("operator {} ({})", account.email, account.id);
            Ok(())
        }
        Command::Key(KeyCommand::Create {
            tenant,
            kind,
            role,
            name,
            app,
        }) => {
            let db = open(&config).await?;
            let tenant = tenants::get(&db, &tenant).await?;
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
                (KeyKind::Secret, None) if tenant.slug == tenants::MAIN_SLUG => {
                    Some(Role::Operator)
                }
                (KeyKind::Secret, None) => Some(Role::Admin),
            };
            let new = NewKey {
                kind,
                name,
                role,
                app,
                expires_at: None,
            };
            let created = api_keys::create(&db, &config, tenant.id, new).await?;
            println!("{}", created.secret);
            eprintln!("This is the only time the key is shown. Store it now.");
            Ok(())
        }
        Command::Outbox(OutboxCommand::List { limit }) => {
            let db = open(&config).await?;
            for message in mail::outbox(&db, limit).await? {
                println!(
                    "--- {} to {} ---",
                    message.created_at.to_rfc3339(),
                    message.recipient
                );
                println!("Subject: {}\n\n{}", message.subject, message.body);
            }
            Ok(())
        }
        Command::Jwt(JwtCommand::Rotate) => {
            let master = needed_master_key(&config)?;
            let db = open(&config).await?;
            TokenService::seal_keys_at_rest(&db, &master).await?;
            TokenService::ensure_signing_key(&db, &master).await?;
            let kid = TokenService::rotate(&db, &master).await?;
            println!("signing key is now {kid}");
            Ok(())
        }
        Command::Masterkey(MasterkeyCommand::Generate) => {
            println!("{}", MasterKey::generate());
            Ok(())
        }
        Command::Masterkey(MasterkeyCommand::Rotate { new_key_file }) => {
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

/// The database of a one-shot command, migrated, with quiet logs (its output is its answer).
async fn open(config: &Config) -> Result<DatabaseConnection, AppError> {
    telemetry::init(config.log_format, "warn");
    let db = db::connect(config).await?;
    db::migrate(&db).await?;
    Ok(db)
}

/// The configured master key, or an error naming both ways to give one.
fn needed_master_key(config: &Config) -> Result<MasterKey, AppError> {
    config.master_key.clone().ok_or_else(|| {
        AppError::internal(
            "no master key: set TENANTRY_MASTER_KEY or master_key_file (make one with `tenantry masterkey generate`)",
        )
    })
}

/// The demo's master key: `data/master.key`, made (mode 0600) on first use.
fn demo_master_key() -> Result<MasterKey, AppError> {
    let path = std::path::Path::new(DEMO_MASTER_KEY);
    if !path.exists() {
        std::fs::create_dir_all("data").map_err(AppError::internal)?;
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
    let text = std::fs::read_to_string(path).map_err(AppError::internal)?;
    MasterKey::parse(&text).map_err(AppError::internal)
}

const DEMO_MASTER_KEY: &str = "data/master.key";

async fn serve(mut config: Config, with_demo: bool) -> Result<(), AppError> {
    if config.master_key.is_none() {
        config.master_key = Some(match with_demo {
            true => demo_master_key()?,
            false => needed_master_key(&config)?,
        });
    }
    if config.smtp_url.is_none() && !with_demo {
        tracing::warn!(
            "no SMTP_URL: mail is kept in the database's outbox table, with live sign-in codes and reset tokens until they expire"
        );
    }
    let app = Application::build(config, with_demo).await?;
    let addr = app.local_addr();
    if with_demo {
        let demo = demo::ensure(&app.state().db, &app.state().config).await?;
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
        let base = &app.state().config.base_domain;
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
    command: TenantCommand,
) -> Result<(), AppError> {
    match command {
        TenantCommand::Create { slug, name, apps } => {
            let provisioned = tenants::provision(db, config, &slug, &name, apps.as_deref()).await?;
            println!(
                "created tenant '{}' ({})",
                provisioned.tenant.slug, provisioned.tenant.id
            );
            for domain in provisioned.domains {
                println!("  {:<18} {}", domain.app, domain.host);
            }
        }
        TenantCommand::Suspend { slug } => {
            tenants::set_status(db, &slug, TenantStatus::Suspended).await?;
            println!("suspended tenant '{slug}'");
        }
        TenantCommand::Activate { slug } => {
            tenants::set_status(db, &slug, TenantStatus::Active).await?;
            println!("activated tenant '{slug}'");
        }
        TenantCommand::List => {
            println!("{:<24} {:<10} NAME", "SLUG", "STATUS");
            for tenant in tenants::list(db).await? {
                let status = match tenant.status {
                    TenantStatus::Active => "active",
                    TenantStatus::Suspended => "suspended",
                };
                println!("{:<24} {:<10} {}", tenant.slug, status, tenant.name);
            }
        }
    }
    Ok(())
}

async fn domain(
    db: &DatabaseConnection,
    config: &Config,
    command: DomainCommand,
) -> Result<(), AppError> {
    match command {
        DomainCommand::Add {
            tenant,
            app,
            host,
            alias,
        } => {
            let domain = domains::add_verified(db, config, &tenant, &app, &host, alias).await?;
            println!(
                "added {} for {} of '{tenant}' (verified)",
                domain.host, domain.app
            );
        }
        DomainCommand::List { tenant } => {
            println!("{:<40} {:<18} {:<7} VERIFIED", "HOST", "APP", "KIND");
            for domain in domains::list(db, &tenant).await? {
                let kind = format!("{:?}", domain.kind).to_lowercase();
                let verified = if domain.verified { "yes" } else { "no" };
                println!(
                    "{:<40} {:<18} {:<7} {verified}",
                    domain.host, domain.app, kind
                );
            }
        }
    }
    Ok(())
}

/// One line for a person at a terminal: the cause itself for internal errors.
fn describe(err: AppError) -> String {
    match err {
        AppError::Internal(cause) => cause.to_string(),
        err => err.chain(),
    }
}
