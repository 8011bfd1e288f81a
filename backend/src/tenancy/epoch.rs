//! Cross-process cache invalidation through the database.
//!
//! Every write to state a server caches increments the `cache_epoch` counter in the same
//! transaction. Each server polls the counter and drops its caches when it moves, so a change made
//! by the CLI or by another instance is honoured within one poll interval. This works the same on
//! SQLite and PostgreSQL and costs one indexed read per interval.

use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::entities::cache_epoch;

const ROW: i32 = 1;

/// Records that cached state changed. Call inside the transaction that changes it.
pub async fn bump(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    cache_epoch::Entity::update_many()
        .col_expr(
            cache_epoch::Column::Epoch,
            Expr::col(cache_epoch::Column::Epoch).add(1),
        )
        .filter(cache_epoch::Column::Id.eq(ROW))
        .exec(db)
        .await
        .map(drop)
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
