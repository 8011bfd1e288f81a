//! Spawning the app and talking to it, one file per concern: the database, the app, its REST
//! routes, `/graphql`, the credentials a test hands out, and waiting and other support.

mod app;
mod credentials;
mod database;
mod graphql;
mod http;
mod support;

pub use self::app::*;
pub use self::database::*;
pub use self::graphql::*;
pub use self::http::*;
pub use self::support::*;

/// Runs each listed test once on SQLite and once on PostgreSQL: `name::sqlite`, `name::postgres`.
/// Each test is an `async fn name(backend: Backend)` in the invoking module.
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(backend) = $crate::helpers::Backend::postgres() {
                    super::$name(backend).await
                }
            }
        }
    )*};
}
pub(crate) use db_tests;
