use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One row whose counter every write to cached state (tenants, domains, branding, app links)
/// increments in the same transaction. Every server polls it and drops its caches when it moves, so
/// a change made by the CLI or by another instance is seen everywhere within the poll interval.
#[derive(DeriveIden)]
enum CacheEpoch {
    Table,
    Id,
    Epoch,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CacheEpoch::Table)
                    .if_not_exists()
                    .col(integer(CacheEpoch::Id).primary_key())
                    .col(big_integer(CacheEpoch::Epoch))
                    .to_owned(),
            )
            .await?;
        let insert = Query::insert()
            .into_table(CacheEpoch::Table)
            .columns([CacheEpoch::Id, CacheEpoch::Epoch])
            .values_panic([1.into(), 0i64.into()])
            .to_owned();
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CacheEpoch::Table).to_owned())
            .await
    }
}
