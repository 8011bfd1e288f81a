//! What every handler shares: cloned cheaply into each request.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::tenancy::resolver::Resolver;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub resolver: Arc<Resolver>,
}
