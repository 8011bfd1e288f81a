use sea_orm_migration::{prelude::*, schema::*};

use crate::belongs_to_tenant;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Branding {
    Table,
    Id,
    TenantId,
    App,
    DisplayName,
    LogoUrl,
    FaviconUrl,
    PrimaryColor,
    AccentColor,
    BackgroundColor,
    TextColor,
    SeoTitle,
    SeoDescription,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Branding::Table)
                    .if_not_exists()
                    .col(uuid(Branding::Id).primary_key())
                    .col(uuid(Branding::TenantId))
                    // '' holds the tenant-wide defaults. An empty string rather than NULL, so the
                    // unique index below also holds for them (NULLs never collide in an index).
                    .col(string_len(Branding::App, 64))
                    .col(string_len_null(Branding::DisplayName, 200))
                    .col(string_len_null(Branding::LogoUrl, 2048))
                    .col(string_len_null(Branding::FaviconUrl, 2048))
                    .col(string_len_null(Branding::PrimaryColor, 32))
                    .col(string_len_null(Branding::AccentColor, 32))
                    .col(string_len_null(Branding::BackgroundColor, 32))
                    .col(string_len_null(Branding::TextColor, 32))
                    .col(string_len_null(Branding::SeoTitle, 200))
                    .col(text_null(Branding::SeoDescription))
                    .col(timestamp_with_time_zone(Branding::UpdatedAt))
                    .foreign_key(&mut belongs_to_tenant(Branding::Table, Branding::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_branding_tenant_app")
                    .table(Branding::Table)
                    .col(Branding::TenantId)
                    .col(Branding::App)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Branding::Table).to_owned())
            .await
    }
}
