//! Sessions: what a successful sign-in starts. A session is a short-lived access token plus a
//! long-lived refresh token that is replaced on every use; presenting a replaced refresh token
//! again means it was stolen, so the whole session ends.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::jwt::{ElevationClaim, TokenRequest, TokenService};
use crate::auth::secrets;
use crate::cache::events::{self, CacheEvent};
use crate::config::Config;
use crate::db;
use crate::entities::{account, refresh_token, session};
use crate::error::AppError;
use crate::services::audit::{self, Actor};
use crate::services::devices::UserAgent;
use crate::tenancy::context::TenantContext;

const REFRESH_PREFIX: &str = "brt_";
/// The refusal of a refresh token presented a second time; the session it belonged to has ended.
/// The metrics reason of a refusal that ended the session.
pub const REUSE_REASON: &str = "refresh_token_reused";
const REUSED: &str = "refresh token was already used; the session has been ended";

/// The OAuth 2.0 token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
}

/// Where a session began: what its owner is shown to tell their sessions apart.
#[derive(Debug, Default)]
pub struct Origin {
    /// The app whose host the person signed in on.
    pub app: Option<String>,
    /// The client's address, as the audit trail records it (behind a trusted proxy, the one it
    /// forwarded).
    pub ip: Option<IpAddr>,
    pub user_agent: Option<UserAgent>,
}

/// Starts a session for `account`, signed in from `origin`.
pub async fn start<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    config: &Config,
    tokens: &TokenService,
    account: &account::Model,
    origin: Origin,
) -> Result<TokenResponse, AppError> {
    let now = db::now();
    let session_ttl =
        chrono::Duration::from_std(config.sign_in.session_ttl).map_err(AppError::internal)?;
    let txn = db.begin().await?;
    let session = session::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(account.tenant_id),
        account_id: Set(account.id),
        app: Set(origin.app),
        created_at: Set(now),
        expires_at: Set(now + session_ttl),
        revoked_at: Set(None),
        user_agent: Set(origin.user_agent.map(UserAgent::into_inner)),
        ip_address: Set(origin.ip.map(|ip| ip.to_string())),
    }
    .insert(&txn)
    .await?;
    let refresh = new_refresh_token(&txn, session.id).await?;
    txn.commit().await?;
    let access_token = issue(db, tokens, account, session.id, None).await?;
    Ok(response(tokens, access_token, refresh))
}

/// Exchanges a refresh token for a new pair. `tenant` is the tenant of the host it was sent to:
/// a token of another tenant is refused like an unknown one.
pub async fn refresh<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tokens: &TokenService,
    tenant: &TenantContext,
    presented: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<(TokenResponse, account::Model), AppError> {
    let refused = || {
        AppError::unauthenticated(
            "invalid_refresh_token",
            "refresh token is invalid or the session has ended",
        )
    };
    let hash = secrets::sha256_hex(&[presented.as_bytes()]);
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(db)
        .await?
        .ok_or_else(refused)?;
    let session = session::Entity::find_by_id(row.session_id)
        .one(db)
        .await?
        .filter(|s| s.tenant_id == tenant.id())
        .ok_or_else(refused)?;
    if session.revoked_at.is_some() || session.expires_at <= db::now() {
        return Err(refused());
    }
    let txn = db.begin().await?;
    // Marking it used only if it was unused makes two racing exchanges of one token a reuse.
    let marked = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(db::now()))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected == 0 {
        txn.rollback().await?;
        let txn = db.begin().await?;
        end(&txn, session.id).await?;
        audit::record(
            &txn,
            tenant,
            &Actor::account(session.account_id, ip),
            "session.reuse_detected",
            "a refresh token was presented twice; the session was ended",
        )
        .await?;
        txn.commit().await?;
        return Err(AppError::unauthenticated(REUSE_REASON, REUSED));
    }
    let next = new_refresh_token(&txn, session.id).await?;
    txn.commit().await?;
    let account = account::Entity::find_by_id(session.account_id)
        .one(db)
        .await?
        .ok_or_else(refused)?;
    let access_token = issue(db, tokens, &account, session.id, None).await?;
    Ok((response(tokens, access_token, next), account))
}

/// A new access token for the same session, carrying a fresh elevation.
pub async fn elevated_token(
    db: &impl ConnectionTrait,
    config: &Config,
    tokens: &TokenService,
    account: &account::Model,
    session_id: Uuid,
) -> Result<(String, DateTime<Utc>), AppError> {
    let ttl =
        chrono::Duration::from_std(config.sign_in.elevation_ttl).map_err(AppError::internal)?;
    let expires_at = db::now() + ttl;
    let elevation = ElevationClaim {
        jti: Uuid::now_v7().to_string(),
        exp: expires_at.timestamp(),
    };
    let token = issue(db, tokens, account, session_id, Some(elevation)).await?;
    Ok((token, expires_at))
}

/// Ends a session: its access tokens stop working at once, its refresh tokens never work again.
/// Answers whether it was still live (ending an ended session changes and announces nothing).
async fn end<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    session_id: Uuid,
) -> Result<bool, AppError> {
    end_where(db, session::Column::Id.eq(session_id)).await
}

/// Signs out of session `session_id` of `tenant`: it ends, with an audit event. Signing out
/// of a session already ended writes nothing.
pub async fn sign_out<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    session_id: Uuid,
    actor: &Actor,
) -> Result<bool, AppError> {
    let txn = db.begin().await?;
    let which = session::Column::Id
        .eq(session_id)
        .and(session::Column::TenantId.eq(tenant.id()));
    let ended = end_where(&txn, which).await?;
    if ended {
        audit::record(&txn, tenant, actor, "session.ended", "signed out").await?;
    }
    txn.commit().await?;
    Ok(ended)
}

/// Ends every session of an account (after a password reset); answers whether any was live.
pub(crate) async fn end_all<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    account_id: Uuid,
) -> Result<bool, AppError> {
    end_where(db, session::Column::AccountId.eq(account_id)).await
}

/// Ends the live sessions `which` selects. Only a write that ended one records cache events, one
/// per session ended: a request repeating an ended session's revocation drops no cache anywhere.
async fn end_where<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    which: sea_orm::sea_query::SimpleExpr,
) -> Result<bool, AppError> {
    let txn = db.begin().await?;
    let ended = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(db::now()))
        .filter(which)
        .filter(session::Column::RevokedAt.is_null())
        .exec_with_returning(&txn)
        .await?;
    for session in &ended {
        events::record(&txn, CacheEvent::SessionEnded(session.id)).await?;
    }
    txn.commit().await?;
    Ok(!ended.is_empty())
}

/// The sessions of account `account_id` of `tenant` that have not ended, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    account_id: Uuid,
) -> Result<Vec<session::Model>, AppError> {
    Ok(session::Entity::find()
        .filter(session::Column::TenantId.eq(tenant.id()))
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(db::now()))
        .order_by_desc(session::Column::Id)
        .all(db)
        .await?)
}

/// Ends one of the account's own sessions; anyone else's is not found. Answers whether it was
/// still live.
pub async fn revoke<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    account_id: Uuid,
    session_id: Uuid,
    actor: &Actor,
) -> Result<bool, AppError> {
    session::Entity::find_by_id(session_id)
        .filter(session::Column::TenantId.eq(tenant.id()))
        .filter(session::Column::AccountId.eq(account_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("session not found".into()))?;
    let txn = db.begin().await?;
    let ended = end(&txn, session_id).await?;
    if ended {
        let detail = "a session was ended";
        audit::record(&txn, tenant, actor, "session.revoked", detail).await?;
    }
    txn.commit().await?;
    Ok(ended)
}

async fn new_refresh_token(
    db: &impl ConnectionTrait,
    session_id: Uuid,
) -> Result<String, AppError> {
    let token = secrets::random_token(REFRESH_PREFIX);
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(secrets::sha256_hex(&[token.as_bytes()])),
        created_at: Set(db::now()),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

async fn issue(
    db: &impl ConnectionTrait,
    tokens: &TokenService,
    account: &account::Model,
    session_id: Uuid,
    elevation: Option<ElevationClaim>,
) -> Result<String, AppError> {
    tokens
        .issue(
            db,
            TokenRequest {
                account_id: account.id,
                tenant_id: account.tenant_id,
                session_id,
                role: account.role.as_str().to_owned(),
                partnership_id: None,
                elevation,
            },
        )
        .await
}

fn response(tokens: &TokenService, access_token: String, refresh_token: String) -> TokenResponse {
    TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: tokens.ttl().as_secs(),
        refresh_token,
    }
}
