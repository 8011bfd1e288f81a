//! Live leads: every lead stored for a tenant reaches the `leadCreated` subscribers of every
//! instance.
//!
//! On PostgreSQL a stored lead is announced with `NOTIFY` carrying only its id (a payload holds
//! at most 8,000 bytes, and a lead's message can be longer); each instance, the one that stored it
//! included, reads the lead back by id and hands it to its own subscribers. On SQLite, where one
//! instance owns the file, the lead goes to this instance's subscribers directly.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::entities::lead;

const CHANNEL: &str = "tenantry_leads";
/// Leads a slow subscriber may fall behind by before it skips to the newest.
const BACKLOG: usize = 1024;

pub struct LiveLeads {
    sender: broadcast::Sender<Arc<lead::Model>>,
}

impl Default for LiveLeads {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl LiveLeads {
    /// Every lead this instance hears of from now on, of every tenant: the subscriber filters.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<lead::Model>> {
        self.sender.subscribe()
    }

    /// Announces a lead stored (and committed) just now. A failed `NOTIFY` costs subscribers this
    /// lead, never the request that stored it: the lead is stored either way.
    pub async fn announce(&self, db: &impl ConnectionTrait, lead: &lead::Model) {
        match db.get_database_backend() {
            DbBackend::Postgres => {
                let notify = Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), lead.id.to_string().into()],
                );
                if let Err(err) = db.execute_raw(notify).await {
                    tracing::warn!(error = %err, "cannot announce a new lead");
                }
            }
            _ => self.deliver(lead.clone()),
        }
    }

    fn deliver(&self, lead: lead::Model) {
        // No subscriber is no error.
        let _ = self.sender.send(Arc::new(lead));
    }

    /// On PostgreSQL: reads back every announced lead and delivers it here, for as long as the
    /// server runs, reconnecting when the listener is lost. Returns at once on SQLite.
    pub async fn listen(&self, db: &DatabaseConnection) {
        if db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let pool = db.get_postgres_connection_pool();
        loop {
            match PgListener::connect_with(pool).await {
                Ok(mut listener) => match listener.listen(CHANNEL).await {
                    Ok(()) => loop {
                        match listener.try_recv().await {
                            Ok(Some(notification)) => {
                                self.read_back(db, notification.payload()).await;
                            }
                            // The connection was lost and is back; announcements meanwhile are
                            // gone, as they would be for a subscriber that reconnects.
                            Ok(None) => {}
                            Err(err) => {
                                tracing::warn!(error = %err, "lost the lead listener");
                                break;
                            }
                        }
                    },
                    Err(err) => tracing::warn!(error = %err, "cannot LISTEN for leads"),
                },
                Err(err) => tracing::warn!(error = %err, "cannot connect the lead listener"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn read_back(&self, db: &DatabaseConnection, id: &str) {
        let Ok(id) = Uuid::parse_str(id) else {
            return;
        };
        match lead::Entity::find_by_id(id).one(db).await {
            Ok(Some(lead)) => self.deliver(lead),
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "cannot read an announced lead"),
        }
    }
}
