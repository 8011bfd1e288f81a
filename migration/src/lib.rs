//! Tenantry's schema, as an ordered list of migrations that run unchanged on SQLite and PostgreSQL.
//!
//! Migrations describe tables with sea-query `Iden` enums and never import the application's
//! entities, so an old migration keeps meaning what it meant when it first ran.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_tenants;
mod m20261125_000002_create_tenant_domains;
mod m20261125_000003_create_branding;
mod m20261125_000004_create_app_links;
mod m20261125_000005_create_leads;
mod m20261125_000006_create_cache_epoch;
mod m20261125_000007_create_accounts;
mod m20261125_000008_create_api_keys;
mod m20261125_000009_create_jwt_keys;
mod m20261125_000010_create_identity;
mod m20261125_000011_create_passkeys;
mod m20261125_000012_create_domain_claims;
mod m20261125_000013_add_tenant_rate_limits;
mod m20261125_000014_add_leads_page_index;
mod m20261202_000015_name_passkeys_and_keep_server_secrets;
mod m20261202_000016_create_cache_events;
mod m20261202_000017_add_audit_event_keys;
mod m20261203_000018_add_session_devices;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_tenants::Migration),
            Box::new(m20261125_000002_create_tenant_domains::Migration),
            Box::new(m20261125_000003_create_branding::Migration),
            Box::new(m20261125_000004_create_app_links::Migration),
            Box::new(m20261125_000005_create_leads::Migration),
            Box::new(m20261125_000006_create_cache_epoch::Migration),
            Box::new(m20261125_000007_create_accounts::Migration),
            Box::new(m20261125_000008_create_api_keys::Migration),
            Box::new(m20261125_000009_create_jwt_keys::Migration),
            Box::new(m20261125_000010_create_identity::Migration),
            Box::new(m20261125_000011_create_passkeys::Migration),
            Box::new(m20261125_000012_create_domain_claims::Migration),
            Box::new(m20261125_000013_add_tenant_rate_limits::Migration),
            Box::new(m20261125_000014_add_leads_page_index::Migration),
            Box::new(m20261202_000015_name_passkeys_and_keep_server_secrets::Migration),
            Box::new(m20261202_000016_create_cache_events::Migration),
            Box::new(m20261202_000017_add_audit_event_keys::Migration),
            Box::new(m20261203_000018_add_session_devices::Migration),
        ]
    }
}

/// `tenant_id` of `table` → `tenants.id`: a tenant's rows go when the tenant goes.
pub(crate) fn belongs_to_tenant(
    table: impl IntoIden,
    column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// Identifiers shared by several migrations: the `tenants` table is the parent of every other.
#[derive(DeriveIden)]
pub(crate) enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    Status,
    CreatedAt,
    UpdatedAt,
}
