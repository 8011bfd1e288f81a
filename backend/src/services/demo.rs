//! The demo tenant `serve --demo` makes sure of, so a fresh checkout has something to look at.

use sea_orm::{ConnectionTrait, TransactionTrait};

use crate::config::Config;
use crate::entities::app_link::AndroidApp;
use crate::error::AppError;
use crate::services::app_links::{self, AppLinks};
use crate::services::branding::{self, BrandingFields};
use crate::services::{domains, tenants};

pub const DEMO_SLUG: &str = "acme";

/// Creates tenant `acme` with branding and app links unless it exists; returns its domains' hosts.
pub async fn ensure<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    config: &Config,
) -> Result<Vec<(String, String)>, AppError> {
    if tenants::find(db, DEMO_SLUG).await?.is_none() {
        let tenant = tenants::provision(db, config, DEMO_SLUG, "Acme Mobility", None)
            .await?
            .tenant;
        let some = |s: &str| Some(s.to_owned());
        let defaults = BrandingFields {
            display_name: some("Acme"),
            logo_url: some("https://cdn.acme.example/logo.svg"),
            favicon_url: some("https://cdn.acme.example/favicon.ico"),
            primary_color: some("#0F62FE"),
            accent_color: some("#FF832B"),
            background_color: some("#FFFFFF"),
            text_color: some("#161616"),
            seo_title: some("Acme Mobility"),
            seo_description: some("Rides, deliveries and parking from Acme."),
        };
        branding::set(db, tenant.id, None, defaults).await?;
        let rides = BrandingFields {
            display_name: some("Acme Rides"),
            seo_title: some("Acme Rides: a car in minutes"),
            ..BrandingFields::default()
        };
        branding::set(db, tenant.id, Some("TAXI_PASSENGER"), rides).await?;
        let links = AppLinks {
            ios_app_ids: vec!["ABCDE12345.com.acme.rides".into()],
            android_apps: vec![AndroidApp {
                package_name: "com.acme.rides".into(),
                sha256_cert_fingerprints: vec![
                    "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5".into(),
                ],
            }],
            webauthn_origins: vec![],
        };
        app_links::set(db, tenant.id, "TAXI_PASSENGER", links).await?;
    }
    Ok(domains::list(db, DEMO_SLUG)
        .await?
        .into_iter()
        .map(|d| (d.app, d.host))
        .collect())
}
