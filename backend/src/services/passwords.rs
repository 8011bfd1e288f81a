//! Password sign-in and reset. Unknown addresses get the same answers, in the same time.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};
use std::net::IpAddr;

use uuid::Uuid;

use crate::auth::password::{self, Passwords};
use crate::auth::secrets;
use crate::cache::events::{self, CacheEvent};
use crate::config::Config;
use crate::db;
use crate::entities::{account, email_challenge, password_reset};
use crate::error::AppError;
use crate::services::audit::{self, Actor};
use crate::services::email_codes::normalise;
use crate::services::mail::{self, Mailer};
use crate::services::{accounts, sessions};
use crate::tenancy::context::TenantContext;
use crate::tenancy::resolver::HostTenant;

const RESET_PREFIX: &str = "bpr_";

/// The account whose password this is. A wrong password, an account without one and an unknown
/// address answer alike, after the same work: exactly one argon2 verification.
pub async fn login(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
    tenant: &TenantContext,
    email: &str,
    password_text: &str,
) -> Result<account::Model, AppError> {
    let account = match normalise(email) {
        Ok(email) => accounts::find_by_email(db, tenant, &email).await?,
        Err(_) => None,
    };
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let matches = passwords.verify(password_text.to_owned(), stored).await?;
    match account {
        Some(account) if matches => Ok(account),
        _ => Err(AppError::unauthenticated(
            "wrong_password",
            "the email or the password is wrong",
        )),
    }
}

/// Emails a single-use reset token when the address has an account here; nothing otherwise.
/// Returns whether one was sent, for the audit trail only.
pub async fn start_reset(
    db: &impl ConnectionTrait,
    config: &Config,
    mailer: &Mailer,
    host: &HostTenant,
    email: &str,
    ip: Option<IpAddr>,
) -> Result<Option<Uuid>, AppError> {
    let email = normalise(email)?;
    let Some(account) = accounts::find_by_email(db, &host.tenant, &email).await? else {
        return Ok(None);
    };
    let token = secrets::random_token(RESET_PREFIX);
    let ttl = chrono::Duration::from_std(config.sign_in.password_reset_ttl)
        .map_err(AppError::internal)?;
    password_reset::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(host.tenant.id()),
        account_id: Set(account.id),
        token_hash: Set(secrets::sha256_hex(&[token.as_bytes()])),
        expires_at: Set(db::now() + ttl),
        used_at: Set(None),
        created_at: Set(db::now()),
    }
    .insert(db)
    .await?;
    let actor = Actor::account(account.id, ip);
    let detail = "a reset token was emailed";
    audit::record(db, &host.tenant, &actor, "password.reset_requested", detail).await?;
    let minutes = config.sign_in.password_reset_ttl.as_secs().div_ceil(60);
    let paragraphs = [
        "Use this token to choose a new password.".to_owned(),
        format!(
            "It works once, for {minutes} minutes. If you did not ask for it, ignore this message."
        ),
    ];
    let subject = |_: &str| "Reset your password".to_owned();
    mail::send_branded(db, mailer, host, email, subject, &paragraphs, &token).await?;
    Ok(Some(account.id))
}

/// Sets a new password with a reset token, spends every other reset token and pending sign-in
/// code of the account, ends every session, and tells the account by mail.
pub async fn finish_reset<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    passwords: &Passwords,
    mailer: &Mailer,
    host: &HostTenant,
    token: &str,
    new_password: &str,
    ip: Option<IpAddr>,
) -> Result<account::Model, AppError> {
    let tenant = &host.tenant;
    password::check_policy(new_password)?;
    let refused = || {
        AppError::unauthenticated(
            "invalid_reset_token",
            "the reset token is wrong, used or expired",
        )
    };
    let reset = password_reset::Entity::find()
        .filter(
            password_reset::Column::TokenHash.eq(secrets::sha256_hex(&[token.trim().as_bytes()])),
        )
        .filter(password_reset::Column::TenantId.eq(tenant.id()))
        .one(db)
        .await?
        .ok_or_else(refused)?;
    if reset.used_at.is_some() || reset.expires_at <= db::now() {
        return Err(refused());
    }
    let hash = passwords.hash(new_password.to_owned()).await?;
    let txn = db.begin().await?;
    let used = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(db::now()))
        .filter(password_reset::Column::Id.eq(reset.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected == 0 {
        return Err(refused());
    }
    let account = account::Entity::find_by_id(reset.account_id)
        .one(&txn)
        .await?
        .ok_or_else(refused)?;
    let mut active: account::ActiveModel = account.into();
    active.password_hash = Set(Some(hash));
    let account = active.update(&txn).await?;
    // Whoever asked for the other tokens or codes (maybe not the owner) loses them with this one.
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(db::now()))
        .filter(password_reset::Column::AccountId.eq(account.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    email_challenge::Entity::update_many()
        .col_expr(email_challenge::Column::ConsumedAt, Expr::value(db::now()))
        .filter(email_challenge::Column::TenantId.eq(tenant.id()))
        .filter(email_challenge::Column::Email.eq(&account.email))
        .filter(email_challenge::Column::ConsumedAt.is_null())
        .exec(&txn)
        .await?;
    events::record(&txn, CacheEvent::AccountChanged(account.id)).await?;
    sessions::end_all(&txn, account.id).await?;
    let detail = format!(
        "{} chose a new password; every session was ended",
        account.email
    );
    let actor = Actor::account(account.id, ip);
    audit::record(&txn, tenant, &actor, "password.reset", detail).await?;
    txn.commit().await?;
    let paragraphs = [
        "The password of your account was changed, and every session was signed out.".to_owned(),
        "If you did not change it, reset it again at once and tell your administrator.".to_owned(),
    ];
    let notice = mail::send_notice(
        db,
        mailer,
        host,
        account.email.clone(),
        "Your password was changed",
        &paragraphs,
    )
    .await;
    if let Err(err) = notice {
        // The password is changed either way; a lost notice must not undo or hide that.
        tracing::error!(error = %err.chain(), "cannot send the password-changed notice");
    }
    Ok(account)
}
