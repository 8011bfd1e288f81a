use sea_orm_migration::{prelude::*, schema::*};

use crate::belongs_to_tenant;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppLinks {
    Table,
    Id,
    TenantId,
    App,
    IosAppIds,
    AndroidApps,
    WebauthnOrigins,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AppLinks::Table)
                    .if_not_exists()
                    .col(uuid(AppLinks::Id).primary_key())
                    .col(uuid(AppLinks::TenantId))
                    .col(string_len(AppLinks::App, 64))
                    // JSON arrays: `["TEAMID.com.acme.rides"]`,
                    // `[{"package_name": …, "sha256_cert_fingerprints": […]}]`, `["https://…"]`.
                    .col(json(AppLinks::IosAppIds))
                    .col(json(AppLinks::AndroidApps))
                    .col(json(AppLinks::WebauthnOrigins))
                    .col(timestamp_with_time_zone(AppLinks::UpdatedAt))
                    .foreign_key(&mut belongs_to_tenant(AppLinks::Table, AppLinks::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_app_links_tenant_app")
                    .table(AppLinks::Table)
                    .col(AppLinks::TenantId)
                    .col(AppLinks::App)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AppLinks::Table).to_owned())
            .await
    }
}
