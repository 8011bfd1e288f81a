//! App links: what lets a tenant's native apps and passkeys trust its hosts, served as the
//! well-known documents Apple, Google and browsers fetch.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::cache::events::{self, CacheEvent};
use crate::db;
use crate::entities::app_link::{self, AndroidApp, AndroidApps, Strings};
use crate::error::AppError;
use crate::services::audit::{self, Actor};
use crate::services::domains;
use crate::tenancy::context::TenantContext;
use crate::tenancy::host::{self, RequestHost};
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
        Some(app) => get(db, &host.tenant, app).await,
        None => Ok(AppLinks::default()),
    }
}

/// What a tenant declared for one app; empty when nothing was.
pub async fn get(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    app: &str,
) -> Result<AppLinks, AppError> {
    let row = app_link::Entity::find()
        .filter(app_link::Column::TenantId.eq(tenant.id()))
        .filter(app_link::Column::App.eq(app))
        .one(db)
        .await?;
    Ok(row.map_or_else(AppLinks::default, |row| AppLinks {
        ios_app_ids: row.ios_app_ids.0,
        android_apps: row.android_apps.0,
        webauthn_origins: row.webauthn_origins.0,
    }))
}

const MAX_ENTRIES: usize = 50;

impl AppLinks {
    /// Checks every entry against the format Apple, Google or browsers expect of it.
    fn validated(self) -> Result<AppLinks, AppError> {
        let too_many = [
            ("iosAppIds", self.ios_app_ids.len()),
            ("androidApps", self.android_apps.len()),
            ("webauthnOrigins", self.webauthn_origins.len()),
        ];
        if let Some((field, _)) = too_many.iter().find(|(_, n)| *n > MAX_ENTRIES) {
            return Err(AppError::invalid(
                *field,
                format!("at most {MAX_ENTRIES} entries"),
            ));
        }
        for id in &self.ios_app_ids {
            // `TEAMID.bundle.id`: a ten-character team ID, then a reverse-DNS bundle ID.
            let valid = id.split_once('.').is_some_and(|(team, bundle)| {
                team.len() == 10
                    && team.bytes().all(|b| b.is_ascii_alphanumeric())
                    && is_reverse_dns(bundle)
            });
            if !valid {
                return Err(AppError::invalid(
                    "iosAppIds",
                    format!("'{id}' is not TEAMID.bundle.id"),
                ));
            }
        }
        for (index, app) in self.android_apps.iter().enumerate() {
            // The entry and its part, so a form can show the words beside that one input.
            let at = |part: &str| format!("androidApps[{index}].{part}");
            if !is_reverse_dns(&app.package_name) {
                return Err(AppError::invalid(
                    at("packageName"),
                    format!("'{}' is not a package name", app.package_name),
                ));
            }
            if app.sha256_cert_fingerprints.is_empty() {
                return Err(AppError::invalid(
                    at("sha256CertFingerprints"),
                    "each app needs a certificate fingerprint",
                ));
            }
            for print in &app.sha256_cert_fingerprints {
                let bytes: Vec<&str> = print.split(':').collect();
                let valid = bytes.len() == 32
                    && bytes
                        .iter()
                        .all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit()));
                if !valid {
                    return Err(AppError::invalid(
                        at("sha256CertFingerprints"),
                        format!(
                            "'{print}' is not a SHA-256 fingerprint (32 hex bytes, colon-separated)"
                        ),
                    ));
                }
            }
        }
        let android_apps = self
            .android_apps
            .into_iter()
            .map(|app| AndroidApp {
                sha256_cert_fingerprints: app
                    .sha256_cert_fingerprints
                    .iter()
                    .map(|print| print.to_uppercase())
                    .collect(),
                ..app
            })
            .collect();
        for origin in &self.webauthn_origins {
            let host = origin.strip_prefix("https://").map(host::normalise);
            if !matches!(host, Some(Ok(RequestHost::Name(_)))) {
                return Err(AppError::invalid(
                    "webauthnOrigins",
                    format!("'{origin}' is not an https origin (https://host[:port])"),
                ));
            }
        }
        Ok(AppLinks {
            android_apps,
            ..self
        })
    }
}

/// `com.acme.rides`: two or more dot-separated identifiers.
fn is_reverse_dns(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    value.len() <= 255
        && parts.len() >= 2
        && parts.iter().all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

/// Replaces the app links of one app of a tenant; answers what is now stored.
#[tracing::instrument(skip(db, links))]
pub async fn set<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    app: &str,
    links: AppLinks,
    actor: &Actor,
) -> Result<AppLinks, AppError> {
    let links = links.validated()?;
    let stored = links.clone();
    let row = app_link::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.id()),
        app: Set(app.to_owned()),
        ios_app_ids: Set(Strings(links.ios_app_ids)),
        android_apps: Set(AndroidApps(links.android_apps)),
        webauthn_origins: Set(Strings(links.webauthn_origins)),
        updated_at: Set(db::now()),
    };
    let txn = db.begin().await?;
    // One statement: two first writes of an app at once cannot both find no row and insert.
    app_link::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([app_link::Column::TenantId, app_link::Column::App])
                .update_columns([
                    app_link::Column::IosAppIds,
                    app_link::Column::AndroidApps,
                    app_link::Column::WebauthnOrigins,
                    app_link::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    events::record(&txn, CacheEvent::TenantChanged(tenant.id())).await?;
    let detail = format!("the app links of {app} were changed");
    audit::record(&txn, tenant, actor, "app_links.updated", detail).await?;
    txn.commit().await?;
    Ok(stored)
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
/// verified host of the app in the scheme clients use (`https` in production), then the extra
/// origins the tenant declared, without repeats.
pub async fn webauthn(
    db: &impl ConnectionTrait,
    host: &HostTenant,
    links: &AppLinks,
    scheme: &str,
) -> Result<Value, AppError> {
    let hosts = match &host.app {
        Some(app) => domains::verified_hosts(db, &host.tenant, app).await?,
        None => vec![host.host.clone()],
    };
    let mut origins: Vec<String> = hosts.iter().map(|h| format!("{scheme}://{h}")).collect();
    for origin in &links.webauthn_origins {
        if !origins.contains(origin) {
            origins.push(origin.clone());
        }
    }
    Ok(json!({ "origins": origins }))
}
