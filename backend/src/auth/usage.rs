//! `last_used_at` of API keys, batched: a key used a thousand times a second costs one write per
//! flush interval, never a write per request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::db;
use crate::entities::api_key;

#[derive(Default)]
pub struct KeyUsage {
    pending: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

impl KeyUsage {
    pub fn record(&self, key_id: Uuid) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.insert(key_id, db::now());
    }

    /// Writes what was recorded since the last flush. A failed write is retried next time.
    pub async fn flush(&self, db: &impl ConnectionTrait) {
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        for (id, used_at) in batch {
            let written = api_key::Entity::update_many()
                .col_expr(api_key::Column::LastUsedAt, Expr::value(used_at))
                .filter(api_key::Column::Id.eq(id))
                .exec(db)
                .await;
            if let Err(err) = written {
                tracing::warn!(error = %err, "cannot record API key use; will retry");
                let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                pending.entry(id).or_insert(used_at);
            }
        }
    }

    /// Flushes every `every` for as long as the server runs.
    pub async fn run(&self, db: DatabaseConnection, every: Duration) {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            self.flush(&db).await;
        }
    }
}
