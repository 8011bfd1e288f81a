//! What every handler shares: cloned cheaply into each request.

use std::ops::Deref;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::directory::Directory;
use crate::auth::jwt::TokenService;
use crate::auth::master_key::MasterKey;
use crate::auth::password::{Cost, Passwords};
use crate::auth::usage::KeyUsage;
use crate::cache::documents::Documents;
use crate::cache::events::{CacheEvent, Caches, Follower};
use crate::cache::live::LiveLeads;
use crate::config::Config;
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::rate_limit::{Occupancy, RateLimits};
use crate::scans::Scans;
use crate::services::domain_checks::DomainChecker;
use crate::services::mail::Mailer;
use crate::services::passkeys::Decoys;
use crate::tenancy::resolver::Resolver;

/// One pointer: each middleware layer clones the state for every request, and a clone of the
/// fields themselves (a pool handle and ten counted pointers) showed up in profiles.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub resolver: Arc<Resolver>,
    /// The Host routes' documents, rendered.
    pub documents: Arc<Documents>,
    pub directory: Arc<Directory>,
    pub tokens: Arc<TokenService>,
    pub key_usage: Arc<KeyUsage>,
    pub mailer: Arc<Mailer>,
    pub limits: Arc<RateLimits>,
    pub metrics: Arc<Metrics>,
    pub domain_checker: Arc<DomainChecker>,
    pub passwords: Arc<Passwords>,
    /// Permits for reads that go through all of a tenant's leads.
    pub scans: Arc<Scans>,
    /// Decoy passkey ids for addresses without passkeys.
    pub passkey_decoys: Arc<Decoys>,
    /// Where this process is in the cache-event sequence.
    pub follower: Follower,
    /// New leads, for the `leadCreated` subscribers of this process.
    pub live_leads: Arc<LiveLeads>,
    /// Bumped whenever a cache event may have taken a credential's standing away (a key revoked,
    /// a session ended, an account removed, a tenant suspended): open subscriptions check theirs
    /// again.
    pub credentials_changed: tokio::sync::watch::Sender<u64>,
    /// Open subscription sockets, per tenant.
    pub sockets: Arc<Occupancy>,
}

impl AppState {
    pub fn new(
        mut db: DatabaseConnection,
        config: Config,
        echo_mail: bool,
        master: MasterKey,
        passkey_decoys: Decoys,
        next_event: i64,
    ) -> Result<Self, AppError> {
        let metrics = Arc::new(Metrics::default());
        // Every clone made from here on counts its statements.
        let counted = metrics.clone();
        db.set_metric_callback(move |info| counted.db_statement(&info.statement.sql));
        let follower = Follower::new(db.clone(), next_event);
        Ok(Self(Arc::new(Shared {
            db,
            resolver: Arc::new(Resolver::new(&config, metrics.clone())),
            documents: Arc::new(Documents::new(&config, metrics.clone())),
            directory: Arc::new(Directory::new(&config, metrics.clone())),
            tokens: Arc::new(TokenService::new(&config, Some(master))),
            key_usage: Arc::new(KeyUsage::default()),
            mailer: Arc::new(Mailer::from_config(&config, echo_mail)?),
            limits: Arc::new(RateLimits::new(&config, metrics.clone())?),
            metrics,
            domain_checker: Arc::new(DomainChecker::new(&config)),
            passwords: Arc::new(Passwords::new(
                Cost::from(&config.passwords),
                config.passwords.hash_concurrency,
                config.passwords.hash_wait,
            )?),
            scans: Arc::new(Scans::new(
                config.database.max_connections,
                config.database.acquire_timeout,
            )),
            passkey_decoys: Arc::new(passkey_decoys),
            follower,
            live_leads: Arc::default(),
            credentials_changed: tokio::sync::watch::Sender::new(0),
            sockets: Arc::default(),
            config: Arc::new(config),
        })))
    }

    /// Applies every cache event recorded since the last look, here or in another process.
    pub async fn catch_up(&self) {
        self.follower.catch_up(&**self).await;
    }
}

impl Caches for Shared {
    async fn apply(&self, event: &CacheEvent) {
        match event {
            CacheEvent::TenantChanged(id) => {
                self.directory.tenant_changed(*id).await;
                self.resolver.tenant_changed(*id);
                self.documents.tenant_changed(*id);
            }
            CacheEvent::HostsChanged => {
                self.resolver.invalidate_all();
                self.documents.invalidate_all();
            }
            CacheEvent::KeyChanged(hash) => self.directory.key_changed(hash).await,
            CacheEvent::SessionEnded(id) => self.directory.session_ended(*id).await,
            CacheEvent::AccountChanged(id) => self.directory.account_changed(*id).await,
            CacheEvent::SigningKeysChanged => self.tokens.invalidate_keys(),
        }
        // Only now, with the caches dropped: a socket that checked before would find its
        // credential still cached, and stay open.
        if !matches!(event, CacheEvent::HostsChanged) {
            self.credentials_changed
                .send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    fn flush_all(&self) {
        self.resolver.invalidate_all();
        self.documents.invalidate_all();
        self.directory.invalidate_all();
        self.tokens.invalidate_keys();
        self.credentials_changed
            .send_modify(|n| *n = n.wrapping_add(1));
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
