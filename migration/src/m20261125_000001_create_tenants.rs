use sea_orm_migration::{prelude::*, schema::*};

use crate::Tenants;

/// The platform's own tenant. The base domain and its reserved subdomains resolve to it, and its
/// slug can never be provisioned by anyone else.
const MAIN_SLUG: &str = "main";
const MAIN_NAME: &str = "Tenantry";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .if_not_exists()
                    .col(uuid(Tenants::Id).primary_key())
                    .col(string_len_uniq(Tenants::Slug, 63))
                    .col(string_len(Tenants::Name, 200))
                    .col(string_len(Tenants::Status, 16))
                    .col(timestamp_with_time_zone(Tenants::CreatedAt))
                    .col(timestamp_with_time_zone(Tenants::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        let now = chrono::Utc::now();
        let insert = Query::insert()
            .into_table(Tenants::Table)
            .columns([
                Tenants::Id,
                Tenants::Slug,
                Tenants::Name,
                Tenants::Status,
                Tenants::CreatedAt,
                Tenants::UpdatedAt,
            ])
            .values_panic([
                uuid::Uuid::now_v7().into(),
                MAIN_SLUG.into(),
                MAIN_NAME.into(),
                "active".into(),
                now.into(),
                now.into(),
            ])
            .to_owned();
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tenants::Table).to_owned())
            .await
    }
}
