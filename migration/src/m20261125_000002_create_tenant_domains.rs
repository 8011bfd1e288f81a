use sea_orm_migration::{prelude::*, schema::*};

use crate::belongs_to_tenant;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantDomains {
    Table,
    Id,
    TenantId,
    App,
    Host,
    Kind,
    Verified,
    VerifiedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantDomains::Table)
                    .if_not_exists()
                    .col(uuid(TenantDomains::Id).primary_key())
                    .col(uuid(TenantDomains::TenantId))
                    .col(string_len(TenantDomains::App, 64))
                    // A normalised host (ASCII, lower case, no port): at most 253 octets.
                    .col(string_len_uniq(TenantDomains::Host, 253))
                    .col(string_len(TenantDomains::Kind, 16))
                    .col(boolean(TenantDomains::Verified))
                    .col(timestamp_with_time_zone_null(TenantDomains::VerifiedAt))
                    .col(timestamp_with_time_zone(TenantDomains::CreatedAt))
                    .foreign_key(&mut belongs_to_tenant(
                        TenantDomains::Table,
                        TenantDomains::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tenant_domains_tenant_app")
                    .table(TenantDomains::Table)
                    .col(TenantDomains::TenantId)
                    .col(TenantDomains::App)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TenantDomains::Table).to_owned())
            .await
    }
}
