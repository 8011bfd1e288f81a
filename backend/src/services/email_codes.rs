//! Passwordless sign-in: a six-digit code emailed to the address, good once, for a short while,
//! for a few tries. The answer to "send me a code" never says whether the address has an account.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use crate::auth::secrets;
use crate::config::Config;
use crate::db;
use crate::entities::account::{self, AccountStatus, Role};
use crate::entities::email_challenge;
use crate::error::AppError;
use crate::services::mail::{self, Mailer};
use crate::services::{accounts, leads, tenants};
use crate::tenancy::context::TenantContext;
use crate::tenancy::resolver::HostTenant;

/// The address as stored and compared: validated, lower-cased.
pub fn normalise(email: &str) -> Result<String, AppError> {
    leads::normalise_email(email.trim())
        .map(|e| e.to_lowercase())
        .ok_or_else(|| AppError::invalid("email", "is not a valid email address"))
}

/// What a sign-in address is counted as by the per-address limit: the address exactly as account
/// look-up normalises it, so every spelling that reaches one account (case, soft hyphens or
/// full-width letters in the domain, a trailing dot) spends one budget. What is not an address
/// reaches no account and is counted as sent, lower-cased.
pub fn budget_key(email: &str) -> String {
    normalise(email).unwrap_or_else(|_| email.trim().to_lowercase())
}

/// Whether an unknown address may become a `USER` of the host's tenant.
pub async fn signup_allowed(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
) -> Result<bool, AppError> {
    Ok(tenants::signup_open(&tenants::row(db, tenant).await?))
}

/// Sends a code to `email` if it can sign in here (an account, or sign-up open); does nothing
/// visible otherwise. Returns whether a code was sent, for the audit trail only.
pub async fn start(
    db: &impl ConnectionTrait,
    config: &Config,
    mailer: &Mailer,
    host: &HostTenant,
    email: &str,
) -> Result<bool, AppError> {
    let email = normalise(email)?;
    let known = accounts::find_by_email(db, &host.tenant, &email)
        .await?
        .is_some();
    if !known && !signup_allowed(db, &host.tenant).await? {
        return Ok(false);
    }
    let id = Uuid::now_v7();
    let code = secrets::six_digit_code();
    let ttl = chrono::Duration::from_std(config.sign_in.otp_ttl).map_err(AppError::internal)?;
    email_challenge::ActiveModel {
        id: Set(id),
        tenant_id: Set(host.tenant.id()),
        email: Set(email.clone()),
        code_hash: Set(code_hash(id, &code)),
        attempts: Set(0),
        expires_at: Set(db::now() + ttl),
        consumed_at: Set(None),
        created_at: Set(db::now()),
    }
    .insert(db)
    .await?;
    let minutes = config.sign_in.otp_ttl.as_secs().div_ceil(60);
    let paragraphs = [
        "Enter this code to sign in, or to confirm it's you when a change asks you to.".to_owned(),
        format!(
            "It works once, for {minutes} minutes. If you did not ask for it, ignore this message."
        ),
    ];
    // The same code signs in and confirms a change (step-up): the words fit both.
    let subject = |name: &str| format!("Your code for {name}");
    mail::send_branded(db, mailer, host, email, subject, &paragraphs, &code).await?;
    Ok(true)
}

/// The account `code` proves, creating a `USER` for a new address where sign-up is open.
/// Wrong codes count against the challenge; at the limit it is dead. A used code never works again.
pub async fn verify<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    config: &Config,
    host: &HostTenant,
    email: &str,
    code: &str,
) -> Result<account::Model, AppError> {
    // One answer for every refusal: a different word for "too many tries" would tell that a
    // challenge exists, and so that the address has an account, where sign-up is closed.
    let refused = || AppError::unauthenticated("wrong_code", REFUSED);
    let email = normalise(email)?;
    let challenge = email_challenge::Entity::find()
        .filter(email_challenge::Column::TenantId.eq(host.tenant.id()))
        .filter(email_challenge::Column::Email.eq(&email))
        .order_by_desc(email_challenge::Column::Id)
        .one(db)
        .await?
        .ok_or_else(refused)?;
    if challenge.consumed_at.is_some() || challenge.expires_at <= db::now() {
        return Err(refused());
    }
    // Each guess first takes one of the challenge's tries, in one conditional update: guesses sent
    // together cannot all read a count under the limit, so at most `otp_max_attempts` of them are
    // ever compared, and the right code sent after them finds no try left.
    let took_a_try = email_challenge::Entity::update_many()
        .col_expr(
            email_challenge::Column::Attempts,
            Expr::col(email_challenge::Column::Attempts).add(1),
        )
        .filter(email_challenge::Column::Id.eq(challenge.id))
        .filter(email_challenge::Column::Attempts.lt(config.sign_in.otp_max_attempts))
        .filter(email_challenge::Column::ConsumedAt.is_null())
        .exec(db)
        .await?;
    if took_a_try.rows_affected == 0 {
        return Err(refused());
    }
    let presented = code_hash(challenge.id, code.trim());
    if !secrets::constant_time_eq(presented.as_bytes(), challenge.code_hash.as_bytes()) {
        return Err(refused());
    }
    // Consumed only if still unconsumed: two racing uses of one code cannot both win.
    let consumed = email_challenge::Entity::update_many()
        .col_expr(email_challenge::Column::ConsumedAt, Expr::value(db::now()))
        .filter(email_challenge::Column::Id.eq(challenge.id))
        .filter(email_challenge::Column::ConsumedAt.is_null())
        .exec(db)
        .await?;
    if consumed.rows_affected == 0 {
        return Err(refused());
    }
    match accounts::find_by_email(db, &host.tenant, &email).await? {
        Some(account) if account.status == AccountStatus::Invited => {
            accounts::activate(db, account).await
        }
        Some(account) => Ok(account),
        None if signup_allowed(db, &host.tenant).await? => {
            accounts::create(db, &host.tenant, &email, Role::User, AccountStatus::Active).await
        }
        None => Err(refused()),
    }
}

/// What every refused code is told.
const REFUSED: &str =
    "the code is wrong or has expired (five wrong tries end a code: ask for a new one)";

/// Codes have only a million values: salting with the challenge id keeps equal codes apart.
fn code_hash(challenge_id: Uuid, code: &str) -> String {
    secrets::sha256_hex(&[challenge_id.as_bytes(), code.as_bytes()])
}
