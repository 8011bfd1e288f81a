//! Cache events: what a write to cached state changed, recorded in the `cache_events` table inside
//! the write's own transaction, and followed by every process that caches database state.
//!
//! A write that changed nothing records nothing. Each process reads the events after the last one
//! it applied (by sequence number) and drops exactly what each names: ending one session drops
//! that session's entry, not the keys, tenants and hosts of everyone else. On PostgreSQL a
//! `NOTIFY` (delivered at commit) wakes every instance at once; a poll every
//! `cache_poll_interval` catches up otherwise, which is also how a server hears of the CLI's writes
//! on SQLite. A request that recorded events catches up before it answers, so its caller reads its
//! own write.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::entities::cache_event;

const CHANNEL: &str = "tenantry_cache";
/// Events read per query while catching up.
const BATCH: u64 = 500;
/// How long a hole in the sequence may stay open before it is taken for lost: on PostgreSQL a
/// sequence number is taken when the event is inserted and becomes visible at commit, so a
/// transaction still open shows as a hole for a moment; one rolled back leaves it for good.
const HOLE_GRACE: Duration = Duration::from_secs(5);
/// How long events are kept: far longer than any live process takes to read them.
pub const RETENTION: Duration = Duration::from_secs(3600);

/// What a write changed, in terms of what the caches hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheEvent {
    /// The tenant's row, branding or app links: its directory entry, its hosts' resolutions and
    /// their rendered documents.
    TenantChanged(Uuid),
    /// Which hosts route where (a domain added, verified, removed, a tenant provisioned): every
    /// resolution, every document and the known-host filter.
    HostsChanged,
    /// An API key, by the SHA-256 of its secret (what the key cache is keyed by).
    KeyChanged(String),
    SessionEnded(Uuid),
    AccountChanged(Uuid),
    SigningKeysChanged,
}

impl CacheEvent {
    fn kind(&self) -> &'static str {
        match self {
            CacheEvent::TenantChanged(_) => "tenant",
            CacheEvent::HostsChanged => "hosts",
            CacheEvent::KeyChanged(_) => "key",
            CacheEvent::SessionEnded(_) => "session",
            CacheEvent::AccountChanged(_) => "account",
            CacheEvent::SigningKeysChanged => "signing_keys",
        }
    }

    fn subject(&self) -> Option<String> {
        match self {
            CacheEvent::TenantChanged(id)
            | CacheEvent::SessionEnded(id)
            | CacheEvent::AccountChanged(id) => Some(id.to_string()),
            CacheEvent::KeyChanged(hash) => Some(hash.clone()),
            CacheEvent::HostsChanged | CacheEvent::SigningKeysChanged => None,
        }
    }

    /// The event a row holds; `None` for a kind this version does not know (a newer instance
    /// wrote it), which the follower answers with a flush.
    fn parse(row: &cache_event::Model) -> Option<Self> {
        let id = || row.subject.as_deref().and_then(|s| Uuid::parse_str(s).ok());
        Some(match row.kind.as_str() {
            "tenant" => CacheEvent::TenantChanged(id()?),
            "hosts" => CacheEvent::HostsChanged,
            "key" => CacheEvent::KeyChanged(row.subject.clone()?),
            "session" => CacheEvent::SessionEnded(id()?),
            "account" => CacheEvent::AccountChanged(id()?),
            "signing_keys" => CacheEvent::SigningKeysChanged,
            _ => return None,
        })
    }
}

/// Events recorded by this process, so a request can tell whether it wrote anything.
static RECORDED: AtomicU64 = AtomicU64::new(0);

/// How many events this process has recorded (in any transaction, committed or not).
pub fn recorded() -> u64 {
    RECORDED.load(Ordering::Acquire)
}

/// Records `event`. Call it inside the transaction that makes the change, only when something
/// changed: the event and the change commit, or roll back, together.
pub async fn record(db: &impl ConnectionTrait, event: CacheEvent) -> Result<(), DbErr> {
    cache_event::ActiveModel {
        kind: Set(event.kind().to_owned()),
        subject: Set(event.subject()),
        created_at: Set(crate::db::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    RECORDED.fetch_add(1, Ordering::AcqRel);
    Ok(())
}

/// Deletes the events older than [`RETENTION`].
pub async fn prune(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let cutoff = Utc::now() - chrono::Duration::from_std(RETENTION).expect("a short duration");
    let deleted = cache_event::Entity::delete_many()
        .filter(cache_event::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// What a process's caches do with the events it reads.
pub trait Caches: Send + Sync {
    fn apply(&self, event: &CacheEvent) -> impl Future<Output = ()> + Send;
    /// Drops everything: the process cannot know what changed.
    fn flush_all(&self);
}

/// Where one process is in the event sequence.
pub struct Follower {
    db: DatabaseConnection,
    position: tokio::sync::Mutex<Position>,
}

struct Position {
    /// Every event numbered below this has been applied (or was there before the process started).
    next: i64,
    /// Events applied at or above `next`: what came after a hole.
    applied: BTreeSet<i64>,
    /// The hole at `next` and when it was first seen.
    hole: Option<(i64, Instant)>,
    /// The last read failed: everything was flushed, and is flushed again once reads work.
    failing: bool,
}

impl Follower {
    /// Follows from event `next` on (see [`next_event`]): a process that has cached nothing yet
    /// needs no history.
    pub fn new(db: DatabaseConnection, next: i64) -> Self {
        Self {
            db,
            position: tokio::sync::Mutex::new(Position {
                next,
                applied: BTreeSet::new(),
                hole: None,
                failing: false,
            }),
        }
    }

    /// Applies every event recorded since the last call. A failed read flushes every cache (what
    /// changed meanwhile cannot be known), as does a hole that stays open past its grace.
    pub async fn catch_up(&self, caches: &impl Caches) {
        let mut position = self.position.lock().await;
        if let Err(err) = self.read(&mut position, caches).await {
            if !position.failing {
                tracing::warn!(error = %err, "cannot read cache events; flushing every cache until it can");
            }
            position.failing = true;
            caches.flush_all();
        }
    }

    async fn read(&self, position: &mut Position, caches: &impl Caches) -> Result<(), DbErr> {
        if position.failing {
            // Whatever happened while the database was away is unknown: start afresh after it.
            position.next = newest(&self.db).await? + 1;
            position.applied.clear();
            position.hole = None;
            position.failing = false;
            caches.flush_all();
            tracing::info!("reading cache events again; every cache was flushed");
            return Ok(());
        }
        loop {
            let rows = cache_event::Entity::find()
                .filter(cache_event::Column::Seq.gte(position.next))
                .order_by_asc(cache_event::Column::Seq)
                .limit(BATCH)
                .all(&self.db)
                .await?;
            let full = rows.len() as u64 == BATCH;
            for row in &rows {
                if !position.applied.insert(row.seq) {
                    continue;
                }
                match CacheEvent::parse(row) {
                    Some(event) => caches.apply(&event).await,
                    None => {
                        tracing::warn!(kind = %row.kind, "unknown cache event; flushing every cache");
                        caches.flush_all();
                    }
                }
            }
            position.settle(caches);
            if !full {
                return Ok(());
            }
        }
    }
}

impl Position {
    /// Moves `next` past everything applied, and past a hole that has outlived its grace (after
    /// one flush, since the event that belonged there is lost).
    fn settle(&mut self, caches: &impl Caches) {
        loop {
            while self.applied.remove(&self.next) {
                self.next += 1;
            }
            let Some(&after) = self.applied.first() else {
                self.hole = None;
                return;
            };
            match self.hole {
                Some((seq, since)) if seq == self.next && since.elapsed() >= HOLE_GRACE => {
                    tracing::warn!(
                        from = self.next,
                        to = after - 1,
                        "cache events missing from the sequence; flushing every cache once"
                    );
                    caches.flush_all();
                    self.next = after;
                    self.hole = None;
                }
                Some((seq, _)) if seq == self.next => return,
                _ => {
                    self.hole = Some((self.next, Instant::now()));
                    return;
                }
            }
        }
    }
}

/// The number the next event will get, at the earliest: where a starting process follows from.
/// Read before the process serves, so no event of its own can come before it.
pub async fn next_event(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(newest(db).await? + 1)
}

async fn newest(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(cache_event::Entity::find()
        .order_by_desc(cache_event::Column::Seq)
        .one(db)
        .await?
        .map_or(0, |row| row.seq))
}

/// Catches up every `every` for as long as the server runs.
pub async fn poll(follower: &Follower, caches: &impl Caches, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        follower.catch_up(caches).await;
    }
}

/// On PostgreSQL: catches up on every `NOTIFY`, and after every reconnection. Returns at once on
/// SQLite, where the poll covers the CLI.
pub async fn listen(follower: &Follower, caches: &impl Caches) {
    if follower.db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let pool = follower.db.get_postgres_connection_pool();
    loop {
        match PgListener::connect_with(pool).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %err, "cannot LISTEN for cache events");
                } else {
                    follower.catch_up(caches).await;
                    loop {
                        match listener.try_recv().await {
                            Ok(_) => follower.catch_up(caches).await,
                            Err(err) => {
                                tracing::warn!(error = %err, "lost the cache-event listener");
                                break;
                            }
                        }
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "cannot connect the cache-event listener"),
        }
        follower.catch_up(caches).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);

    impl Caches for Seen {
        async fn apply(&self, event: &CacheEvent) {
            self.0.lock().unwrap().push(format!("{event:?}"));
        }
        fn flush_all(&self) {
            self.0.lock().unwrap().push("flush".into());
        }
    }

    fn position(next: i64) -> Position {
        Position {
            next,
            applied: BTreeSet::new(),
            hole: None,
            failing: false,
        }
    }

    #[test]
    fn the_position_moves_past_what_was_applied_in_order() {
        let seen = Seen::default();
        let mut at = position(5);
        at.applied.extend([5, 6, 7]);
        at.settle(&seen);
        assert_eq!((at.next, at.applied.len(), at.hole), (8, 0, None));
        assert!(seen.0.lock().unwrap().is_empty());
    }

    #[test]
    fn a_hole_waits_for_its_event_then_flushes_once() {
        let seen = Seen::default();
        let mut at = position(5);
        at.applied.extend([6, 7]);
        at.settle(&seen);
        assert_eq!(at.next, 5, "event 5 may still commit");
        assert!(seen.0.lock().unwrap().is_empty());

        // Event 5 commits late: applied, and the position moves past all three.
        at.applied.insert(5);
        at.settle(&seen);
        assert_eq!((at.next, at.hole), (8, None));

        // Event 8 never comes (its transaction rolled back): after the grace, one flush.
        at.applied.insert(9);
        at.settle(&seen);
        assert_eq!(at.next, 8);
        at.hole = Some((8, Instant::now() - HOLE_GRACE));
        at.settle(&seen);
        assert_eq!((at.next, at.hole), (10, None));
        assert_eq!(*seen.0.lock().unwrap(), ["flush"]);
    }

    #[test]
    fn events_survive_the_round_trip_through_a_row() {
        let id = Uuid::now_v7();
        for event in [
            CacheEvent::TenantChanged(id),
            CacheEvent::HostsChanged,
            CacheEvent::KeyChanged("ab".repeat(32)),
            CacheEvent::SessionEnded(id),
            CacheEvent::AccountChanged(id),
            CacheEvent::SigningKeysChanged,
        ] {
            let row = cache_event::Model {
                seq: 1,
                kind: event.kind().into(),
                subject: event.subject(),
                created_at: Utc::now(),
            };
            assert_eq!(CacheEvent::parse(&row), Some(event));
        }
        let unknown = cache_event::Model {
            seq: 1,
            kind: "webhooks".into(),
            subject: None,
            created_at: Utc::now(),
        };
        assert_eq!(CacheEvent::parse(&unknown), None);
    }
}
