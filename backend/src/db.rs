//! Connecting to the database and bringing its schema up to date.

use std::path::Path;

use chrono::{DateTime, SubsecRound, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

use crate::config::Config;
use crate::error::AppError;

/// Connects to the configured database, creating a SQLite file (and its directory) on first run.
/// The pool is bounded, and a request that cannot get a connection in time fails with `503`
/// instead of queueing behind an outage.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, AppError> {
    let url = config.database.url.as_str();
    if let Some(file) = sqlite_file(url) {
        create_private(file)?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .max_connections(config.database.max_connections)
        .acquire_timeout(config.database.acquire_timeout)
        .connect_timeout(config.database.acquire_timeout);
    // Write-ahead logging lets the server keep reading while the CLI (or another process) writes.
    // The file is made if missing, whatever the URL's `mode` says: only `serve` and `migrate` get
    // here without checking that it exists (see `connect_existing`).
    options.map_sqlx_sqlite_opts(|sqlite| {
        sqlite
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
    });
    Database::connect(options).await.map_err(|e| {
        AppError::internal(format!(
            "cannot connect to the database at {}: {e}",
            shown_url(url)
        ))
    })
}

/// Makes `dir` (and its parents) if it is missing, readable by its owner only (mode 0700): what the
/// server keeps on disk (the database, the demo's keys) is for no one else.
pub fn private_dir(dir: &Path) -> Result<(), AppError> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| AppError::internal(format!("cannot create {}: {e}", dir.display())))
}

/// Makes the SQLite file `file` if it is missing, readable by its owner only (mode 0600; SQLite
/// gives its `-wal` and `-shm` files the same mode), in a directory made 0700 when it is made
/// here: the file holds sessions, live sign-in codes in the outbox and the server's secrets.
fn create_private(file: &Path) -> Result<(), AppError> {
    let failed = |what: &Path, e: std::io::Error| {
        AppError::internal(format!("cannot create {}: {e}", what.display()))
    };
    if let Some(dir) = file.parent()
        && !dir.as_os_str().is_empty()
    {
        private_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(failed(file, e)),
    }
}

/// Connects to a database that must already exist, for the one-shot commands: a missing SQLite
/// file or PostgreSQL database is refused with one line naming the URL, instead of being created
/// empty (an operator in the wrong directory would otherwise believe the tenants gone), and so is a
/// database with migrations pending. Nothing is written before both checks pass.
pub async fn connect_existing(config: &Config) -> Result<DatabaseConnection, AppError> {
    let url = config.database.url.as_str();
    let shown = shown_url(url);
    let missing = || {
        let create = match sqlite_file(url) {
            Some(_) => "run `tenantry migrate` to create it",
            None => "create it (createdb) and run `tenantry migrate`",
        };
        AppError::internal(format!(
            "no database at {shown}: {create}, or name yours with --database-url or DATABASE_URL"
        ))
    };
    let pending = |count: usize| {
        AppError::internal(format!(
            "the database at {shown} has {count} pending migrations: run `tenantry migrate`"
        ))
    };
    if let Some(file) = sqlite_file(url) {
        if !file.exists() {
            return Err(missing());
        }
        // Checked read-only first: opening it for writing would turn a stray file into a database.
        let mut options = ConnectOptions::new(url);
        options
            .sqlx_logging(false)
            .max_connections(1)
            .map_sqlx_sqlite_opts(|sqlite| sqlite.read_only(true).create_if_missing(false));
        let readonly = Database::connect(options)
            .await
            .map_err(|e| AppError::internal(format!("cannot open the database at {shown}: {e}")))?;
        let count = pending_migrations(&readonly, &shown).await?;
        readonly.close().await.ok();
        if count > 0 {
            return Err(pending(count));
        }
        return connect(config).await;
    }
    let db = match connect(config).await {
        Ok(db) => db,
        Err(err) if err.chain().contains("does not exist") => return Err(missing()),
        Err(err) => return Err(err),
    };
    match pending_migrations(&db, &shown).await? {
        0 => Ok(db),
        count => Err(pending(count)),
    }
}

async fn pending_migrations(db: &DatabaseConnection, shown: &str) -> Result<usize, AppError> {
    Migrator::get_pending_migrations_read_only(db)
        .await
        .map(|pending| pending.len())
        .map_err(|e| AppError::internal(format!("cannot read the migrations of {shown}: {e}")))
}

/// A database URL fit to print: any password replaced by `***`, and a relative SQLite path
/// followed by the file it names from here.
pub fn shown_url(url: &str) -> String {
    let hidden = without_password(url);
    match sqlite_file(url) {
        Some(file) if file.is_relative() => match std::env::current_dir() {
            Ok(dir) => format!("{hidden} ({})", dir.join(file).display()),
            Err(_) => hidden,
        },
        _ => hidden,
    }
}

fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}

/// Serialises migrations across instances starting together (an arbitrary, fixed key).
const MIGRATION_LOCK: i64 = 0x7465_6e61_6e74_7279;

/// Applies every pending migration. On PostgreSQL an advisory lock makes instances that start at
/// the same moment take turns, so none trips over another's half-applied migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), AppError> {
    let failed = |e: &dyn std::fmt::Display| AppError::internal(format!("migrations failed: {e}"));
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await.map_err(|e| failed(&e));
    }
    let mut lock = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .map_err(|e| failed(&e))?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *lock)
        .await
        .map_err(|e| failed(&e))?;
    let applied = Migrator::up(db, None).await.map_err(|e| failed(&e));
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *lock)
        .await;
    if let Err(err) = unlocked {
        // The lock goes with the connection: close it rather than return it to the pool.
        tracing::warn!(error = %err, "cannot release the migration lock; dropping its connection");
        let _ = lock.detach();
    }
    applied
}

/// The current time at the precision every supported database keeps (microseconds), so a value
/// returned now equals the same value read back later.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The file behind a `sqlite://path?…` URL, if it names one.
fn sqlite_file(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| Path::new(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_urls_hide_the_password() {
        assert_eq!(
            without_password("postgres://tenantry:s3cret@db.internal:5432/tenantry"),
            "postgres://tenantry:***@db.internal:5432/tenantry"
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(
            shown_url("sqlite://data/tenantry.db?mode=rwc"),
            format!(
                "sqlite://data/tenantry.db?mode=rwc ({})",
                std::env::current_dir()
                    .unwrap()
                    .join("data/tenantry.db")
                    .display()
            )
        );
        assert_eq!(
            without_password("postgres://u:p@h/db?options=a@b"),
            "postgres://u:***@h/db?options=a@b"
        );
    }

    #[test]
    fn finds_the_file_of_a_sqlite_url() {
        assert_eq!(
            sqlite_file("sqlite://data/tenantry.db?mode=rwc"),
            Some(Path::new("data/tenantry.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///tmp/x.db"),
            Some(Path::new("/tmp/x.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://localhost/db"), None);
    }
}
