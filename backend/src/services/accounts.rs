//! Accounts: the people of a tenant and their roles.

use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    ModelTrait, QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use crate::cache::events::{self, CacheEvent};
use crate::db;
use crate::entities::account::{self, AccountStatus, Role};
use crate::error::{AppError, is_unique_violation};
use crate::services::audit::{self, Actor};
use crate::services::leads;
use crate::tenancy::MAIN_SLUG;
use crate::tenancy::context::{PlatformContext, TenantContext};

/// Adds an account to a tenant. `Operator` belongs to the `main` tenant alone, and `main` holds
/// operators only.
#[tracing::instrument(skip(db))]
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    email: &str,
    role: Role,
    status: AccountStatus,
) -> Result<account::Model, AppError> {
    let email = leads::normalise_email(email.trim())
        .ok_or_else(|| AppError::invalid("email", "is not a valid email address"))?
        .to_lowercase();
    check_role_for_tenant(tenant, role)?;
    let txn = db.begin().await?;
    let account = account::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.id()),
        email: Set(email.clone()),
        role: Set(role),
        status: Set(status),
        password_hash: Set(None),
        created_at: Set(db::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| match is_unique_violation(&e) {
        true => AppError::invalid("email", format!("'{email}' already has an account here")),
        false => e.into(),
    })?;
    events::record(&txn, CacheEvent::AccountChanged(account.id)).await?;
    txn.commit().await?;
    Ok(account)
}

/// Marks an invited account active: its owner has proven the address.
pub async fn activate(
    db: &impl ConnectionTrait,
    account: account::Model,
) -> Result<account::Model, AppError> {
    let mut active: account::ActiveModel = account.into();
    active.status = Set(AccountStatus::Active);
    let account = active.update(db).await?;
    events::record(db, CacheEvent::AccountChanged(account.id)).await?;
    Ok(account)
}

/// Creates the `main` tenant's operator account for `email`, or returns the existing one.
pub async fn ensure_operator<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    platform: &PlatformContext,
    email: &str,
) -> Result<account::Model, AppError> {
    let main = platform.tenant_by_slug(db, MAIN_SLUG).await?;
    let normalised = leads::normalise_email(email.trim()).map(|e| e.to_lowercase());
    if let Some(email) = &normalised
        && let Some(existing) = find_by_email(db, &main, email).await?
    {
        return Ok(existing);
    }
    create(db, &main, email, Role::Operator, AccountStatus::Active).await
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    email: &str,
) -> Result<Option<account::Model>, AppError> {
    Ok(account::Entity::find()
        .filter(account::Column::TenantId.eq(tenant.id()))
        .filter(account::Column::Email.eq(email.to_lowercase()))
        .one(db)
        .await?)
}

pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
) -> Result<Vec<account::Model>, AppError> {
    Ok(account::Entity::find()
        .filter(account::Column::TenantId.eq(tenant.id()))
        .order_by_asc(account::Column::Email)
        .all(db)
        .await?)
}

/// The account `id` of `tenant`; another tenant's account is not found, never shown.
pub async fn get(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    id: Uuid,
) -> Result<account::Model, AppError> {
    account::Entity::find_by_id(id)
        .filter(account::Column::TenantId.eq(tenant.id()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("account not found".into()))
}

/// Adds a member to `tenant`, invited: they sign in with this address.
#[tracing::instrument(skip(db, actor))]
pub async fn invite<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    email: &str,
    role: Role,
    actor: &Actor,
) -> Result<account::Model, AppError> {
    let txn = db.begin().await?;
    let account = create(&txn, tenant, email, role, AccountStatus::Invited).await?;
    let detail = format!("{} was invited as {}", account.email, role.to_value());
    audit::record(&txn, tenant, actor, "account.invited", detail).await?;
    txn.commit().await?;
    Ok(account)
}

/// Gives account `id` of `tenant` another role; answers whether it changed.
#[tracing::instrument(skip(db, actor))]
pub async fn set_role<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    id: Uuid,
    role: Role,
    actor: &Actor,
) -> Result<(account::Model, bool), AppError> {
    let account = get(db, tenant, id).await?;
    if actor.account == Some(id) {
        return Err(AppError::invalid("id", "you cannot change your own role"));
    }
    check_role_for_tenant(tenant, role)?;
    if account.role == role {
        return Ok((account, false));
    }
    let txn = db.begin().await?;
    let detail = format!(
        "{} is now {} (was {})",
        account.email,
        role.to_value(),
        account.role.to_value()
    );
    let mut active: account::ActiveModel = account.into();
    active.role = Set(role);
    let account = active.update(&txn).await?;
    events::record(&txn, CacheEvent::AccountChanged(account.id)).await?;
    audit::record(&txn, tenant, actor, "account.role_changed", detail).await?;
    txn.commit().await?;
    Ok((account, true))
}

#[tracing::instrument(skip(db, actor))]
pub async fn remove<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    id: Uuid,
    actor: &Actor,
) -> Result<(), AppError> {
    let account = get(db, tenant, id).await?;
    if actor.account == Some(id) {
        return Err(AppError::invalid(
            "id",
            "you cannot remove your own account",
        ));
    }
    let txn = db.begin().await?;
    let detail = format!("{} was removed", account.email);
    account.delete(&txn).await?;
    events::record(&txn, CacheEvent::AccountChanged(id)).await?;
    audit::record(&txn, tenant, actor, "account.removed", detail).await?;
    txn.commit().await?;
    Ok(())
}

/// `Operator` only on `main`; on `main`, only `Operator`.
fn check_role_for_tenant(tenant: &TenantContext, role: Role) -> Result<(), AppError> {
    match (tenant.is_main(), role) {
        (true, Role::Operator) | (false, Role::Admin | Role::Member | Role::User) => Ok(()),
        (true, _) => Err(AppError::invalid(
            "role",
            "the platform tenant holds operators only",
        )),
        (false, Role::Operator) => Err(AppError::invalid(
            "role",
            "OPERATOR is held only on the platform tenant",
        )),
    }
}
