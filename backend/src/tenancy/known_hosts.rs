//! Every host with a verified row, in a binary fuse filter (about 1.1 bytes a host): a host the
//! filter rules out is answered "not configured" from memory, so a flood of random hosts never
//! reaches the database, however many distinct names it uses (the resolution cache is bounded and
//! would let them through).
//!
//! A filter can only say "maybe" or "certainly not". It is rebuilt from the database after every
//! change to which hosts route (a `HostsChanged` cache event, this instance's or another's), and
//! only then; between the change and the rebuild there is no filter and every host takes the
//! ordinary path.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tokio::sync::Notify;
use uuid::Uuid;
use xorf::{BinaryFuse8, Filter as _};

use crate::entities::tenant_domain;
use crate::error::AppError;

enum Filter {
    /// No verified host at all.
    Empty,
    /// One filter per [`shard`] of the keys (`None`: no host in that shard).
    Fuse(Vec<Option<BinaryFuse8>>),
}

/// The top bits of a key pick its shard. Each shard's filter is built from its own run of the
/// sorted keys, so building needs the construction arrays (about 40 bytes a key while they
/// exist) of one shard at a time rather than of every host at once: that was most of the
/// start-up peak of a deployment with many hosts.
const SHARD_BITS: u32 = 4;

fn shard(key: u64) -> usize {
    (key >> (u64::BITS - SHARD_BITS)) as usize
}

/// The filter of `keys`, sorted and without repeats.
fn build(keys: &[u64]) -> Result<Filter, AppError> {
    if keys.is_empty() {
        return Ok(Filter::Empty);
    }
    let mut shards = Vec::with_capacity(1 << SHARD_BITS);
    let mut rest = keys;
    for number in 0..1 << SHARD_BITS {
        let (part, after) = rest.split_at(rest.partition_point(|key| shard(*key) == number));
        shards.push(match part.is_empty() {
            true => None,
            false => Some(BinaryFuse8::try_from(part).map_err(AppError::internal)?),
        });
        rest = after;
    }
    Ok(Filter::Fuse(shards))
}

pub struct KnownHosts {
    /// `None` while stale or not yet built.
    filter: RwLock<Option<Arc<Filter>>>,
    /// Bumped by every change, so a rebuild that read the hosts before a change is not installed.
    generation: AtomicU64,
    stale: Notify,
}

impl Default for KnownHosts {
    fn default() -> Self {
        let known = Self {
            filter: RwLock::new(None),
            generation: AtomicU64::new(0),
            stale: Notify::new(),
        };
        known.stale.notify_one();
        known
    }
}

impl KnownHosts {
    /// Whether `host` certainly has no verified row.
    pub fn rules_out(&self, host: &str) -> bool {
        let filter = self.filter.read().expect("filter lock is never poisoned");
        match filter.as_deref() {
            None => false,
            Some(Filter::Empty) => true,
            Some(Filter::Fuse(shards)) => {
                let key = key(host);
                shards[shard(key)]
                    .as_ref()
                    .is_none_or(|fuse| !fuse.contains(&key))
            }
        }
    }

    /// Drops the filter until the next rebuild, and asks for one.
    pub fn mark_stale(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        *self.filter.write().expect("filter lock is never poisoned") = None;
        self.stale.notify_one();
    }

    /// Rebuilds the filter whenever it goes stale, for as long as the server runs. Changes that
    /// come in a burst share one rebuild.
    pub async fn keep_fresh(&self, db: DatabaseConnection) {
        loop {
            self.stale.notified().await;
            if let Err(err) = self.rebuild(&db).await {
                tracing::warn!(error = %err.chain(), "cannot build the known-host filter; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                self.stale.notify_one();
            }
        }
    }

    async fn rebuild(&self, db: &DatabaseConnection) -> Result<(), AppError> {
        let generation = self.generation.load(Ordering::Acquire);
        // Sized once: a vector that doubles as it fills holds up to twice the keys, and both
        // copies while it moves.
        let count = tenant_domain::Entity::find()
            .filter(tenant_domain::Column::Verified.eq(true))
            .count(db)
            .await?;
        let mut keys = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        let mut after = None;
        loop {
            let page = verified_hosts(db, after).await?;
            keys.extend(page.iter().map(|(_, host)| key(host)));
            match page.last() {
                Some((id, _)) if page.len() == PAGE => after = Some(*id),
                _ => break,
            }
        }
        keys.sort_unstable();
        keys.dedup();
        let filter = build(&keys)?;
        let mut slot = self.filter.write().expect("filter lock is never poisoned");
        if self.generation.load(Ordering::Acquire) == generation {
            *slot = Some(Arc::new(filter));
            tracing::debug!(hosts = keys.len(), "known-host filter rebuilt");
        }
        Ok(())
    }
}

/// Hosts read at a time: with every host of a large deployment in memory at once (as strings),
/// the heap grew by over a hundred megabytes that the process then kept.
const PAGE: usize = 10_000;

/// One page of verified hosts, by id, after `after`.
async fn verified_hosts(
    db: &DatabaseConnection,
    after: Option<Uuid>,
) -> Result<Vec<(Uuid, String)>, AppError> {
    let mut query = tenant_domain::Entity::find()
        .select_only()
        .column(tenant_domain::Column::Id)
        .column(tenant_domain::Column::Host)
        .filter(tenant_domain::Column::Verified.eq(true));
    if let Some(after) = after {
        query = query.filter(tenant_domain::Column::Id.gt(after));
    }
    Ok(query
        .order_by_asc(tenant_domain::Column::Id)
        .limit(PAGE as u64)
        .into_tuple()
        .all(db)
        .await?)
}

fn key(host: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    host.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_never_rules_out_a_host_it_holds() {
        let hosts: Vec<String> = (0..10_000).map(|i| format!("t{i}-web.example")).collect();
        let mut keys: Vec<u64> = hosts.iter().map(|h| key(h)).collect();
        keys.sort_unstable();
        let known = KnownHosts::default();
        *known.filter.write().unwrap() = Some(Arc::new(build(&keys).unwrap()));
        assert!(hosts.iter().all(|host| !known.rules_out(host)));
        let strangers = (0..10_000)
            .filter(|i| known.rules_out(&format!("x{i}.invalid")))
            .count();
        // 8-bit fingerprints: about 1 in 256 false positives.
        assert!(
            strangers > 9_800,
            "only {strangers} of 10000 unknown hosts ruled out"
        );
        // A single host leaves every shard but one empty.
        let one = KnownHosts::default();
        *one.filter.write().unwrap() = Some(Arc::new(build(&[key("only.example")]).unwrap()));
        assert!(!one.rules_out("only.example"));
        assert!(one.rules_out("other.example"));
        known.mark_stale();
        assert!(
            !known.rules_out("x1.invalid"),
            "a stale filter rules out nothing"
        );
    }
}
