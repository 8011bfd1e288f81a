//! Caches of database state, and the one rule they all follow: every write to what they hold
//! records a cache event in its own transaction (see [`events`]), and each process drops exactly
//! what the events it reads name.

pub mod documents;
pub mod events;
pub mod live;

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;

use crate::error::AppError;
use crate::metrics::{Lookups, Metrics};

/// A bounded, expiring cache of values read from the database, hits and misses alike.
pub struct DbCache<K, V> {
    /// The `cache` label of its hit and miss counts.
    name: &'static str,
    lookups: Lookups,
    cache: Cache<K, V>,
    /// Bumped before every flush, so a load that started before a flush cannot put what it read
    /// (possibly stale) into the freshly emptied cache.
    generation: AtomicU64,
}

impl<K, V> DbCache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new(name: &'static str, metrics: Arc<Metrics>, capacity: u64, ttl: Duration) -> Self {
        Self {
            name,
            lookups: metrics.cache_lookups(name),
            cache: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build(),
            generation: AtomicU64::new(0),
        }
    }

    /// The cached value for `key`, or what `load` reads (then cached).
    pub async fn get_or_load<F, Fut>(&self, key: K, load: F) -> Result<V, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, AppError>>,
    {
        if let Some(hit) = self.cache.get(&key).await {
            self.lookups.count(true);
            return Ok(hit);
        }
        self.lookups.count(false);
        let generation = self.generation.load(Ordering::Acquire);
        let value = load().await?;
        if self.generation.load(Ordering::Acquire) == generation {
            self.cache.insert(key, value.clone()).await;
        }
        Ok(value)
    }

    pub fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.cache.invalidate_all();
    }

    /// Drops the entry for `key`. Loads already under way do not store what they read: they may
    /// have read it before the change.
    pub async fn invalidate(&self, key: &K) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.cache.invalidate(key).await;
    }

    /// Drops every entry `drop` picks, as [`Self::invalidate`] does one.
    pub fn invalidate_if(&self, drop: impl Fn(&K, &V) -> bool + Send + Sync + 'static) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Err(err) = self.cache.invalidate_entries_if(drop) {
            // Only if closures were not enabled at build time; every DbCache enables them.
            tracing::warn!(error = %err, cache = self.name, "cannot drop entries; dropping all");
            self.cache.invalidate_all();
        }
    }
}
