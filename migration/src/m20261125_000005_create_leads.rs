use sea_orm_migration::{prelude::*, schema::*};

use crate::belongs_to_tenant;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Leads {
    Table,
    Id,
    TenantId,
    App,
    Email,
    FirstName,
    LastName,
    Message,
    SourcePage,
    Host,
    IdempotencyKey,
    RequestHash,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Leads::Table)
                    .if_not_exists()
                    .col(uuid(Leads::Id).primary_key())
                    .col(uuid(Leads::TenantId))
                    .col(string_len_null(Leads::App, 64))
                    .col(string_len(Leads::Email, 255))
                    .col(string_len_null(Leads::FirstName, 100))
                    .col(string_len_null(Leads::LastName, 100))
                    .col(text_null(Leads::Message))
                    .col(string_len_null(Leads::SourcePage, 500))
                    .col(string_len(Leads::Host, 253))
                    .col(string_len_null(Leads::IdempotencyKey, 255))
                    .col(string_len_null(Leads::RequestHash, 64))
                    .col(timestamp_with_time_zone(Leads::CreatedAt))
                    .foreign_key(&mut belongs_to_tenant(Leads::Table, Leads::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_leads_tenant_created")
                    .table(Leads::Table)
                    .col(Leads::TenantId)
                    .col(Leads::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // Retries with one Idempotency-Key store one lead. Rows without a key are NULL here and
        // never collide.
        manager
            .create_index(
                Index::create()
                    .name("uq_leads_tenant_idempotency_key")
                    .table(Leads::Table)
                    .col(Leads::TenantId)
                    .col(Leads::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Leads::Table).to_owned())
            .await
    }
}
