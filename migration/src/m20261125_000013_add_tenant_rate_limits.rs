use sea_orm_migration::{prelude::*, schema::*};

use crate::Tenants;

/// A tenant's own request limit, set by operators; null: the configured default.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(integer_null(Alias::new("rate_limit_per_minute")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Alias::new("rate_limit_per_minute"))
                    .to_owned(),
            )
            .await
    }
}
