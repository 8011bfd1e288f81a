use sea_orm_migration::{prelude::*, schema::*};

use crate::belongs_to_tenant;

/// Custom domains a tenant has claimed but not yet proven, and what the last checks of each
/// domain found. Several tenants may claim one host; the first to pass verification gets it.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DomainClaims {
    Table,
    Id,
    TenantId,
    App,
    Host,
    Alias,
    Token,
    Checks,
    CheckedAt,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum TenantDomains {
    Table,
    AutoVerified,
    FailedChecks,
    Checks,
    CheckedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DomainClaims::Table)
                    .if_not_exists()
                    .col(uuid(DomainClaims::Id).primary_key())
                    .col(uuid(DomainClaims::TenantId))
                    .col(string_len(DomainClaims::App, 64))
                    .col(string_len(DomainClaims::Host, 253))
                    .col(boolean(DomainClaims::Alias))
                    // Proves ownership when found in TXT _tenantry-challenge.<host>.
                    .col(string_len(DomainClaims::Token, 64))
                    // The last run's per-check results, JSON.
                    .col(text_null(DomainClaims::Checks))
                    .col(timestamp_with_time_zone_null(DomainClaims::CheckedAt))
                    .col(timestamp_with_time_zone(DomainClaims::CreatedAt))
                    .col(timestamp_with_time_zone(DomainClaims::ExpiresAt))
                    .foreign_key(&mut belongs_to_tenant(
                        DomainClaims::Table,
                        DomainClaims::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_domain_claims_tenant_host")
                    .table(DomainClaims::Table)
                    .col(DomainClaims::TenantId)
                    .col(DomainClaims::Host)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        let columns = [
            // Verified by the checks (not by an operator): re-checked in the background.
            boolean(TenantDomains::AutoVerified)
                .default(false)
                .to_owned(),
            // Consecutive failed re-checks; at the limit the domain stops routing.
            integer(TenantDomains::FailedChecks).default(0).to_owned(),
            text_null(TenantDomains::Checks).to_owned(),
            timestamp_with_time_zone_null(TenantDomains::CheckedAt).to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(TenantDomains::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            TenantDomains::AutoVerified,
            TenantDomains::FailedChecks,
            TenantDomains::Checks,
            TenantDomains::CheckedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(TenantDomains::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(DomainClaims::Table).to_owned())
            .await
    }
}
