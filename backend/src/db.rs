//! Connecting to the database and bringing its schema up to date.

use std::path::Path;

use chrono::{DateTime, SubsecRound, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

use crate::config::Config;
use crate::error::AppError;

/// Connects to the configured database, creating the directory of a SQLite file on first run.
/// The pool is bounded, and a request that cannot get a connection in time fails with `503`
/// instead of queueing behind an outage.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, AppError> {
    let url = config.database_url.as_str();
    if let Some(dir) = sqlite_file(url).and_then(Path::parent)
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            AppError::internal(format!(
                "cannot create database directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .max_connections(config.db_max_connections)
        .acquire_timeout(config.db_acquire_timeout)
        .connect_timeout(config.db_acquire_timeout);
    // Write-ahead logging lets the server keep reading while the CLI (or another process) writes.
    options.map_sqlx_sqlite_opts(|sqlite| {
        sqlite
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
    });
    Database::connect(options)
        .await
        .map_err(|e| AppError::internal(format!("cannot connect to the database: {e}")))
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
