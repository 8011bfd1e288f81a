//! Cached look-ups the guard makes on every request: tenants by id, accounts by id, API keys by
//! the hash of the key. Misses are cached too, so a flood of unknown keys is answered from memory.

use std::sync::Arc;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::cache::DbCache;
use crate::config::Config;
use crate::entities::{account, api_key, session, tenant};
use crate::error::AppError;
use crate::metrics::Metrics;

pub struct Directory {
    tenants: DbCache<Uuid, Option<Arc<tenant::Model>>>,
    accounts: DbCache<Uuid, Option<Arc<account::Model>>>,
    keys: DbCache<String, Option<Arc<api_key::Model>>>,
    sessions: DbCache<Uuid, Option<Arc<session::Model>>>,
}

impl Directory {
    pub fn new(config: &Config, metrics: Arc<Metrics>) -> Self {
        let (capacity, ttl) = (config.tenancy.cache_capacity, config.tenancy.cache_ttl);
        Self {
            tenants: DbCache::new("tenants", metrics.clone(), capacity, ttl),
            accounts: DbCache::new("accounts", metrics.clone(), capacity, ttl),
            keys: DbCache::new("keys", metrics.clone(), capacity, ttl),
            sessions: DbCache::new("sessions", metrics.clone(), capacity, ttl),
        }
    }

    pub async fn tenant(
        &self,
        db: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<Option<Arc<tenant::Model>>, AppError> {
        self.tenants
            .get_or_load(id, || async move {
                Ok(tenant::Entity::find_by_id(id).one(db).await?.map(Arc::new))
            })
            .await
    }

    pub async fn account(
        &self,
        db: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<Option<Arc<account::Model>>, AppError> {
        self.accounts
            .get_or_load(id, || async move {
                Ok(account::Entity::find_by_id(id).one(db).await?.map(Arc::new))
            })
            .await
    }

    /// The key whose SHA-256 is `hash`. `admit` runs only when the database must be read, and
    /// its refusal is the answer (nothing is read or cached then).
    pub async fn api_key(
        &self,
        db: &impl ConnectionTrait,
        hash: &str,
        admit: impl Future<Output = Result<(), AppError>>,
    ) -> Result<Option<Arc<api_key::Model>>, AppError> {
        self.keys
            .get_or_load(hash.to_owned(), || async move {
                admit.await?;
                let row = api_key::Entity::find()
                    .filter(api_key::Column::KeyHash.eq(hash))
                    .one(db)
                    .await?;
                Ok(row.map(Arc::new))
            })
            .await
    }

    /// The session an access token belongs to: ending one records a cache event, so a revocation
    /// is one cached look-up away, not a query per request.
    pub async fn session(
        &self,
        db: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<Option<Arc<session::Model>>, AppError> {
        self.sessions
            .get_or_load(id, || async move {
                Ok(session::Entity::find_by_id(id).one(db).await?.map(Arc::new))
            })
            .await
    }

    pub async fn tenant_changed(&self, id: Uuid) {
        self.tenants.invalidate(&id).await;
    }

    pub async fn account_changed(&self, id: Uuid) {
        self.accounts.invalidate(&id).await;
    }

    /// Drops the key whose secret hashes to `hash`, or the miss cached for it before it existed.
    pub async fn key_changed(&self, hash: &str) {
        self.keys.invalidate(&hash.to_owned()).await;
    }

    pub async fn session_ended(&self, id: Uuid) {
        self.sessions.invalidate(&id).await;
    }

    pub fn invalidate_all(&self) {
        self.sessions.invalidate_all();
        self.tenants.invalidate_all();
        self.accounts.invalidate_all();
        self.keys.invalidate_all();
    }
}
