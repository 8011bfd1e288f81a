//! Cross-process cache invalidation through the database.
//!
//! Every write to state a server caches increments the `cache_epoch` counter in the same
//! transaction. Each server polls the counter and drops its caches when it moves, so a change made
//! by the CLI or by another instance is honoured within one poll interval, on SQLite and
//! PostgreSQL alike, for one indexed read per interval. On PostgreSQL the bump also sends a
//! `NOTIFY` (delivered at commit) that every instance `LISTEN`s for, so they drop their caches at
//! once; the poll stays as the safety net.

use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
};

use crate::entities::cache_epoch;

const ROW: i32 = 1;
const CHANNEL: &str = "tenantry_cache";

/// Records that cached state changed. Call inside the transaction that changes it.
pub async fn bump(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    cache_epoch::Entity::update_many()
        .col_expr(
            cache_epoch::Column::Epoch,
            Expr::col(cache_epoch::Column::Epoch).add(1),
        )
        .filter(cache_epoch::Column::Id.eq(ROW))
        .exec(db)
        .await?;
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    Ok(())
}

async fn current(db: &impl ConnectionTrait) -> Result<Option<i64>, DbErr> {
    Ok(cache_epoch::Entity::find_by_id(ROW)
        .one(db)
        .await?
        .map(|row| row.epoch))
}

/// Polls the counter for as long as the server runs, calling `flush` when it moves. A failed
/// poll (the database away) flushes too: whatever changed meanwhile cannot have been seen.
pub async fn watch(db: DatabaseConnection, every: Duration, flush: impl Fn()) {
    let mut seen = current(&db).await.ok().flatten();
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let now = current(&db).await;
        match now {
            Ok(epoch) if epoch == seen => continue,
            Ok(epoch) => {
                tracing::debug!(?epoch, "cached state changed elsewhere; flushing caches");
                seen = epoch;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot poll the cache epoch; flushing caches");
                seen = None;
            }
        }
        flush();
    }
}

/// On PostgreSQL: calls `flush` on every `NOTIFY` of a bump, and after every reconnection (what
/// was sent while away is lost). Returns at once on SQLite, where one process is the norm and the
/// poll covers the CLI.
pub async fn listen(db: DatabaseConnection, flush: impl Fn()) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let pool = db.get_postgres_connection_pool();
    loop {
        match PgListener::connect_with(pool).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %err, "cannot LISTEN for cache changes");
                } else {
                    flush();
                    // `Ok(None)`: the connection dropped and sqlx reconnected; flush, then go on.
                    loop {
                        match listener.try_recv().await {
                            Ok(_) => flush(),
                            Err(err) => {
                                tracing::warn!(error = %err, "lost the cache-change listener");
                                break;
                            }
                        }
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "cannot connect the cache-change listener"),
        }
        flush();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
