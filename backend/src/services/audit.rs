//! The audit trail: security events a tenant's admins can read.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::db;
use crate::entities::audit_event;
use crate::error::AppError;

/// What happened, to whom, from where. A failure to record is logged, never fatal to the request
/// that caused it.
pub async fn record(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    account_id: Option<Uuid>,
    kind: &str,
    detail: impl Into<String>,
    ip: Option<std::net::IpAddr>,
) {
    let event = audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        account_id: Set(account_id),
        kind: Set(kind.to_owned()),
        detail: Set(detail.into()),
        ip: Set(ip.map(|ip| ip.to_string())),
        created_at: Set(db::now()),
    };
    if let Err(err) = event.insert(db).await {
        tracing::error!(error = %err, kind, "cannot record an audit event");
    }
}

/// One page of a tenant's events, newest first, after the event `after`.
pub async fn page(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    first: u64,
    after: Option<Uuid>,
) -> Result<(Vec<audit_event::Model>, bool), AppError> {
    let mut query = audit_event::Entity::find().filter(audit_event::Column::TenantId.eq(tenant_id));
    if let Some(after) = after {
        query = query.filter(audit_event::Column::Id.lt(after));
    }
    super::page_of(db, query.order_by_desc(audit_event::Column::Id), first).await
}
