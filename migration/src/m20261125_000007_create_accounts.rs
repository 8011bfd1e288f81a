use sea_orm_migration::{prelude::*, schema::*};

use crate::belongs_to_tenant;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    TenantId,
    Email,
    Role,
    Status,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .if_not_exists()
                    .col(uuid(Accounts::Id).primary_key())
                    .col(uuid(Accounts::TenantId))
                    // Stored lower-cased, so uniqueness per tenant ignores case.
                    .col(string_len(Accounts::Email, 255))
                    .col(string_len(Accounts::Role, 16))
                    .col(string_len(Accounts::Status, 16))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .foreign_key(&mut belongs_to_tenant(Accounts::Table, Accounts::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_accounts_tenant_email")
                    .table(Accounts::Table)
                    .col(Accounts::TenantId)
                    .col(Accounts::Email)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Accounts::Table).to_owned())
            .await
    }
}
