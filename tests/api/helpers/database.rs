//! A fresh database for each test, on SQLite or PostgreSQL.

use std::io::Write;
use std::sync::Once;

use sea_orm::{ConnectionTrait, Database};

/// Where a test's fresh database lives.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    /// The server URL (any database name in it is replaced by the test's own).
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when `TENANTRY_TEST_POSTGRES_URL` is set; otherwise `None`, after saying once
    /// that the PostgreSQL run is skipped.
    pub fn postgres() -> Option<Backend> {
        static SKIPPED: Once = Once::new();
        match std::env::var("TENANTRY_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                // Written past the test harness's capture, so it shows once in a normal run.
                SKIPPED.call_once(|| {
                    let _ = writeln!(
                        std::io::stderr(),
                        "note: TENANTRY_TEST_POSTGRES_URL is not set; the PostgreSQL run of the storage tests was skipped"
                    );
                });
                None
            }
        }
    }

    /// Creates an empty database for one test and returns its URL, and what drops it afterwards.
    pub(super) async fn fresh_database(
        &self,
        dir: &std::path::Path,
    ) -> (String, Option<DropDatabase>) {
        match self {
            Backend::Sqlite => (
                format!("sqlite://{}/tenantry.db?mode=rwc", dir.display()),
                None,
            ),
            Backend::Postgres(url) => {
                let name = format!("t_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(with_database(url, "postgres"))
                    .await
                    .expect("connect to PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let drop = DropDatabase {
                    admin_url: with_database(url, "postgres"),
                    name: name.clone(),
                };
                (with_database(url, &name), Some(drop))
            }
        }
    }
}

/// Drops a test's PostgreSQL database when the test ends, so runs leave nothing behind.
pub(super) struct DropDatabase {
    admin_url: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = Database::connect(url)
                    .await
                    .map_err(std::io::Error::other)?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .map_err(std::io::Error::other)?;
                admin.close().await.map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            let _ = writeln!(
                std::io::stderr(),
                "warning: could not drop test database {}",
                self.name
            );
        }
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// A fresh, empty database for one test; dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDatabase {
    pub url: String,
    // Dropped in this order: the database first, then the directory a SQLite file lives in.
    _drop: Option<DropDatabase>,
    _dir: tempfile::TempDir,
}

impl TestDatabase {
    pub async fn create(backend: &Backend) -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, drop) = backend.fresh_database(dir.path()).await;
        TestDatabase {
            url,
            _drop: drop,
            _dir: dir,
        }
    }
}

#[test]
fn database_names_are_replaced() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "t_1"),
        "postgres://postgres@127.0.0.1:5432/t_1"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "t_1"),
        "postgres://u:p@h/t_1?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "t_1"), "postgres://h/t_1");
}
