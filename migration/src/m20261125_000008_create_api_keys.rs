use sea_orm_migration::{prelude::*, schema::*};

use crate::belongs_to_tenant;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    TenantId,
    Name,
    Kind,
    Role,
    App,
    DisplayPrefix,
    KeyHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .if_not_exists()
                    .col(uuid(ApiKeys::Id).primary_key())
                    .col(uuid(ApiKeys::TenantId))
                    .col(string_len(ApiKeys::Name, 100))
                    .col(string_len(ApiKeys::Kind, 16))
                    .col(string_len_null(ApiKeys::Role, 16))
                    .col(string_len_null(ApiKeys::App, 64))
                    // The first characters of the key, so people can tell their keys apart.
                    .col(string_len(ApiKeys::DisplayPrefix, 16))
                    // SHA-256 of the whole key, hex: the only form of the secret that is kept.
                    .col(string_len_uniq(ApiKeys::KeyHash, 64))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .foreign_key(&mut belongs_to_tenant(ApiKeys::Table, ApiKeys::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_keys_tenant")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::TenantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiKeys::Table).to_owned())
            .await
    }
}
