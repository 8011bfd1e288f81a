//! API keys: created with their secret shown once, listed by display prefix, revoked for good.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use crate::auth::api_key_format;
use crate::cache::events::{self, CacheEvent};
use crate::config::Config;
use crate::db;
use crate::entities::account::Role;
use crate::entities::api_key::{self, KeyKind};
use crate::error::AppError;
use crate::services::audit::{self, Actor};
use crate::tenancy::context::TenantContext;

const MAX_NAME: usize = 100;

pub struct NewKey {
    pub kind: KeyKind,
    pub name: String,
    /// Required for secret keys; refused for public ones.
    pub role: Option<Role>,
    pub app: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A stored key and its plaintext, which exists only in this value.
pub struct CreatedKey {
    pub key: api_key::Model,
    pub secret: String,
}

#[tracing::instrument(skip(db, config, new, actor), fields(kind = ?new.kind))]
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    config: &Config,
    tenant: &TenantContext,
    new: NewKey,
    actor: &Actor,
) -> Result<CreatedKey, AppError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(AppError::invalid(
            "name",
            format!("must be 1 to {MAX_NAME} characters"),
        ));
    }
    let role = match (new.kind, new.role) {
        (KeyKind::Public, None) => None,
        (KeyKind::Public, Some(_)) => {
            return Err(AppError::invalid(
                "role",
                "public keys have no role: they grant public operations only",
            ));
        }
        (KeyKind::Secret, None) => {
            return Err(AppError::invalid("role", "secret keys need a role"));
        }
        (KeyKind::Secret, Some(role)) => {
            let is_main = tenant.is_main();
            if (role == Role::Operator) != is_main {
                return Err(AppError::invalid(
                    "role",
                    "keys of the platform tenant are OPERATOR keys, and OPERATOR keys belong to it alone",
                ));
            }
            Some(role)
        }
    };
    let app = new
        .app
        .map(|app| config.tenancy.apps.check("app", &app))
        .transpose()?;
    if new.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(AppError::invalid("expiresAt", "must be in the future"));
    }

    let secret = api_key_format::generate(new.kind);
    let txn = db.begin().await?;
    let key = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.id()),
        name: Set(name.to_owned()),
        kind: Set(new.kind),
        role: Set(role),
        app: Set(app),
        display_prefix: Set(api_key_format::display_prefix(&secret)),
        key_hash: Set(api_key_format::hash(&secret)),
        created_at: Set(db::now()),
        expires_at: Set(new.expires_at.map(|at| at.trunc_subsecs(6))),
        revoked_at: Set(None),
        last_used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let role_text = key
        .role
        .map(|role| format!(", role {role:?}"))
        .unwrap_or_default();
    let detail = format!(
        "{:?} key '{}' ({}…){role_text} created",
        key.kind, key.name, key.display_prefix
    );
    audit::record(&txn, tenant, actor, "api_key.created", detail).await?;
    // The directory caches misses too: a key tried before it existed must now be found.
    events::record(&txn, CacheEvent::KeyChanged(key.key_hash.clone())).await?;
    txn.commit().await?;
    tracing::info!(key = %key.id, "API key created");
    Ok(CreatedKey { key, secret })
}

pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
) -> Result<Vec<api_key::Model>, AppError> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::TenantId.eq(tenant.id()))
        .order_by_desc(api_key::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Revokes key `id` of `tenant` (another tenant's key is not found), and answers whether it was
/// live. Revoking twice is harmless: the second time writes and announces nothing.
#[tracing::instrument(skip(db))]
pub async fn revoke<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    id: Uuid,
    actor: &Actor,
) -> Result<(api_key::Model, bool), AppError> {
    let key = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::TenantId.eq(tenant.id()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("API key not found".into()))?;
    if key.revoked_at.is_some() {
        return Ok((key, false));
    }
    let txn = db.begin().await?;
    let mut active: api_key::ActiveModel = key.into();
    active.revoked_at = Set(Some(db::now()));
    let key = active.update(&txn).await?;
    let detail = format!("key '{}' ({}…) revoked", key.name, key.display_prefix);
    audit::record(&txn, tenant, actor, "api_key.revoked", detail).await?;
    events::record(&txn, CacheEvent::KeyChanged(key.key_hash.clone())).await?;
    txn.commit().await?;
    tracing::info!(key = %key.id, "API key revoked");
    Ok((key, true))
}
