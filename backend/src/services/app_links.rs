//! App links: what lets a tenant's native apps and passkeys trust its hosts, served as the
//! well-known documents Apple, Google and browsers fetch.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db;
use crate::entities::app_link::{self, AndroidApp, AndroidApps, Strings};
use crate::error::AppError;
use crate::services::domains;
use crate::tenancy::epoch;
use crate::tenancy::resolver::HostTenant;

/// What a tenant declares for one app.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppLinks {
    pub ios_app_ids: Vec<String>,
    pub android_apps: Vec<AndroidApp>,
    pub webauthn_origins: Vec<String>,
}

/// The app links of the host's app; empty on hosts that serve no app or declare none.
pub async fn for_host(db: &impl ConnectionTrait, host: &HostTenant) -> Result<AppLinks, AppError> {
    match &host.app {
        Some(app) => get(db, host.tenant_id, app).await,
        None => Ok(AppLinks::default()),
    }
}

/// What a tenant declared for one app; empty when nothing was.
pub async fn get(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    app: &str,
) -> Result<AppLinks, AppError> {
    let row = app_link::Entity::find()
        .filter(app_link::Column::TenantId.eq(tenant_id))
        .filter(app_link::Column::App.eq(app))
        .one(db)
        .await?;
    Ok(row.map_or_else(AppLinks::default, |row| AppLinks {
        ios_app_ids: row.ios_app_ids.0,
        android_apps: row.android_apps.0,
        webauthn_origins: row.webauthn_origins.0,
    }))
}

/// Replaces the app links of one app of a tenant.
#[tracing::instrument(skip(db, links))]
pub async fn set<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant_id: Uuid,
    app: &str,
    links: AppLinks,
) -> Result<(), AppError> {
    let txn = db.begin().await?;
    let existing = app_link::Entity::find()
        .filter(app_link::Column::TenantId.eq(tenant_id))
        .filter(app_link::Column::App.eq(app))
        .one(&txn)
        .await?;
    let is_new = existing.is_none();
    let mut row: app_link::ActiveModel = match existing {
        Some(row) => row.into(),
        None => app_link::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant_id),
            app: Set(app.to_owned()),
            ..Default::default()
        },
    };
    row.ios_app_ids = Set(Strings(links.ios_app_ids));
    row.android_apps = Set(AndroidApps(links.android_apps));
    row.webauthn_origins = Set(Strings(links.webauthn_origins));
    row.updated_at = Set(db::now());
    match is_new {
        true => row.insert(&txn).await?,
        false => row.update(&txn).await?,
    };
    epoch::bump(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Apple's `apple-app-site-association`: universal links for every path, and shared web
/// credentials (https://developer.apple.com/documentation/xcode/supporting-associated-domains).
pub fn apple_app_site_association(links: &AppLinks) -> Value {
    let details: Vec<Value> = match links.ios_app_ids.is_empty() {
        true => vec![],
        false => vec![json!({ "appIDs": links.ios_app_ids, "components": [{ "/": "*" }] })],
    };
    json!({
        "applinks": { "details": details },
        "webcredentials": { "apps": links.ios_app_ids },
    })
}

/// Google's Digital Asset Links statement list: app links and shared sign-in credentials
/// (https://developers.google.com/digital-asset-links/v1/getting-started).
pub fn assetlinks(links: &AppLinks) -> Value {
    let statements: Vec<Value> = links
        .android_apps
        .iter()
        .map(|app| {
            json!({
                "relation": [
                    "delegate_permission/common.handle_all_urls",
                    "delegate_permission/common.get_login_creds",
                ],
                "target": {
                    "namespace": "android_app",
                    "package_name": app.package_name,
                    "sha256_cert_fingerprints": app.sha256_cert_fingerprints,
                },
            })
        })
        .collect();
    Value::Array(statements)
}

/// WebAuthn related origins (https://w3c.github.io/webauthn/#sctn-related-origins): every
/// verified host of the app, then the extra origins the tenant declared, without repeats.
pub async fn webauthn(
    db: &impl ConnectionTrait,
    host: &HostTenant,
    links: &AppLinks,
) -> Result<Value, AppError> {
    let hosts = match &host.app {
        Some(app) => domains::verified_hosts(db, host.tenant_id, app).await?,
        None => vec![host.host.clone()],
    };
    let mut origins: Vec<String> = hosts.iter().map(|h| format!("https://{h}")).collect();
    for origin in &links.webauthn_origins {
        if !origins.contains(origin) {
            origins.push(origin.clone());
        }
    }
    Ok(json!({ "origins": origins }))
}
