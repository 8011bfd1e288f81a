//! The databases the scenarios run against: the demo tenant, filler tenants with a system domain
//! per app, and the demo tenant's leads, inserted in bulk (provisioning 100,000 tenants one by one
//! would take longer than the whole benchmark).

use std::error::Error;

use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, Database, EntityTrait, PaginatorTrait, TransactionTrait};
use tenantry::auth::jwt::TokenService;
use tenantry::auth::master_key::MasterKey;
use tenantry::config::Config;
use tenantry::db;
use tenantry::entities::tenant::TenantStatus;
use tenantry::entities::tenant_domain::DomainKind;
use tenantry::entities::{lead, tenant, tenant_domain};
use tenantry::services::{accounts, demo, domains, sessions, tenants};
use tenantry::tenancy::context::PlatformContext;
use uuid::Uuid;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Rows per multi-row `INSERT`, under SQLite's 32,766 bound parameters at 12 columns.
const CHUNK: usize = 2_000;

/// The credentials of the demo admin, and what was seeded.
pub struct Seeded {
    pub tenants: u64,
    pub domains: u64,
    /// A Bearer access token of the demo admin, minted by a real session.
    pub access_token: String,
    /// A `btk_` secret key with the admin role on the demo tenant.
    pub secret_key: String,
    /// The demo tenant's id (whose leads the peer reads).
    pub tenant_id: uuid::Uuid,
}

/// Migrates the empty database at `config.database.url` and fills it: the demo tenant (with
/// `leads` leads) and platform, then filler tenants up to `tenants` in all.
pub async fn seed(config: &Config, tenants: u64, leads: u64) -> Result<Seeded> {
    let db = db::connect(config).await?;
    db::migrate(&db).await?;
    let master =
        MasterKey::configured(&config.secrets)?.ok_or("the bench config has a master key")?;
    TokenService::ensure_signing_key(&db, &master).await?;
    let demo = demo::ensure(&db, config, &PlatformContext::process()).await?;
    let acme = PlatformContext::process()
        .tenant_by_slug(&db, demo::DEMO_SLUG)
        .await?;

    let txn = db.begin().await?;
    let filler = tenants.saturating_sub(2);
    let mut start = 0;
    while start < filler {
        let end = (start + CHUNK as u64 / 8).min(filler);
        insert_tenants(&txn, config, start..end).await?;
        start = end;
    }
    insert_leads(&txn, config, acme.id(), leads).await?;
    txn.commit().await?;

    let admin = accounts::find_by_email(&db, &acme, demo::DEMO_ADMIN)
        .await?
        .ok_or("the demo admin is missing")?;
    let session = sessions::start(
        &db,
        config,
        &TokenService::new(config, Some(master.clone())),
        &admin,
        sessions::Origin {
            app: Some("ADMIN_CONSOLE".into()),
            ..Default::default()
        },
    )
    .await?;
    let domains = tenant_domain::Entity::find().count(&db).await?;
    db.close().await?;
    Ok(Seeded {
        tenants: 2 + filler,
        domains,
        access_token: session.access_token,
        secret_key: demo.admin_key,
        tenant_id: acme.id(),
    })
}

/// Filler tenant `n`: `bench-{n}`, whose hosts are `bench-{n}-{suffix}.{base domain}`.
pub fn filler_slug(n: u64) -> String {
    format!("bench-{n}")
}

async fn insert_tenants(
    db: &impl ConnectionTrait,
    config: &Config,
    range: std::ops::Range<u64>,
) -> Result<()> {
    let now = db::now();
    let mut rows = Vec::new();
    let mut hosts = Vec::new();
    for n in range {
        let id = Uuid::now_v7();
        let slug = filler_slug(n);
        rows.push(tenant::ActiveModel {
            id: Set(id),
            slug: Set(slug.clone()),
            name: Set(format!("Bench tenant {n}")),
            status: Set(TenantStatus::Active),
            signup_enabled: Set(true),
            rate_limit_per_minute: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        });
        for app in config.tenancy.apps.apps() {
            hosts.push(domains::verified_row(
                Uuid::now_v7(),
                id,
                app.to_owned(),
                tenants::system_host(config, &slug, app)?,
                DomainKind::System,
            ));
        }
    }
    tenant::Entity::insert_many(rows).exec(db).await?;
    tenant_domain::Entity::insert_many(hosts).exec(db).await?;
    Ok(())
}

async fn insert_leads(
    db: &impl ConnectionTrait,
    config: &Config,
    tenant_id: Uuid,
    count: u64,
) -> Result<()> {
    let host = tenants::system_host(config, demo::DEMO_SLUG, "TAXI_PASSENGER")?;
    let mut n = 0;
    while n < count {
        let end = (n + CHUNK as u64).min(count);
        let rows = (n..end).map(|i| lead::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant_id),
            app: Set(Some("TAXI_PASSENGER".into())),
            email: Set(format!("lead{i}@example.com")),
            first_name: Set(Some("Lead".into())),
            last_name: Set(Some(format!("Number {i}"))),
            message: Set(Some("Please call me back about a fleet account.".into())),
            source_page: Set(Some("/fleet".into())),
            host: Set(host.clone()),
            idempotency_key: Set(None),
            request_hash: Set(None),
            created_at: Set(db::now()),
        });
        lead::Entity::insert_many(rows).exec(db).await?;
        n = end;
    }
    Ok(())
}

/// Creates the empty PostgreSQL database `name` on the server of `admin_url` (dropping one left by
/// an earlier run) and answers its URL.
pub async fn fresh_postgres(admin_url: &str, name: &str) -> Result<String> {
    let admin = Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await?;
    let mut url = reqwest::Url::parse(admin_url)?;
    url.set_path(name);
    Ok(url.to_string())
}

pub async fn drop_postgres(admin_url: &str, name: &str) -> Result<()> {
    let admin = Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin.close().await?;
    Ok(())
}
