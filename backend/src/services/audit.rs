//! The audit trail: security events a tenant's admins can read.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use std::net::IpAddr;

use uuid::Uuid;

use crate::db;
use crate::entities::audit_event;
use crate::error::AppError;
use crate::tenancy::context::TenantContext;

/// Who made a change: a person, a server's API key, or the platform itself (the CLI on the
/// operator's machine, a background task), and from which address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    pub account: Option<Uuid>,
    pub key: Option<Uuid>,
    pub ip: Option<IpAddr>,
}

impl Actor {
    /// The platform itself: the CLI, a background task.
    pub const PLATFORM: Actor = Actor {
        account: None,
        key: None,
        ip: None,
    };

    pub fn account(id: Uuid, ip: Option<IpAddr>) -> Self {
        Self {
            account: Some(id),
            key: None,
            ip,
        }
    }
}

/// What happened to `tenant`, who did it, from where. Call it inside the transaction of the
/// change it describes: if the event cannot be written, the change does not happen either.
pub async fn record(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    actor: &Actor,
    kind: &str,
    detail: impl Into<String>,
) -> Result<(), AppError> {
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.id()),
        account_id: Set(actor.account),
        api_key_id: Set(actor.key),
        kind: Set(kind.to_owned()),
        detail: Set(detail.into()),
        ip: Set(actor.ip.map(|ip| ip.to_string())),
        created_at: Set(db::now()),
    }
    .insert(db)
    .await
    .map_err(|err| {
        tracing::error!(error = %err, kind, "cannot record an audit event");
        AppError::from(err)
    })?;
    Ok(())
}

/// One page of a tenant's events, newest first, after the event `after`.
pub async fn page(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    first: u64,
    after: Option<Uuid>,
) -> Result<(Vec<audit_event::Model>, bool), AppError> {
    let mut query =
        audit_event::Entity::find().filter(audit_event::Column::TenantId.eq(tenant.id()));
    if let Some(after) = after {
        query = query.filter(audit_event::Column::Id.lt(after));
    }
    super::page_of(db, query.order_by_desc(audit_event::Column::Id), first).await
}
