use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What each write to cached state changed, in the write's own transaction: every process that
/// caches database state follows the table by sequence number and drops exactly what an event
/// names. It replaces the single `cache_epoch` counter, whose every bump emptied every cache.
#[derive(DeriveIden)]
enum CacheEvents {
    Table,
    Seq,
    Kind,
    Subject,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CacheEpoch {
    Table,
    Id,
    Epoch,
}

const BY_AGE: &str = "idx_cache_events_created_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CacheEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CacheEvents::Seq))
                    .col(string_len(CacheEvents::Kind, 32))
                    .col(string_len_null(CacheEvents::Subject, 128))
                    .col(timestamp_with_time_zone(CacheEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_AGE)
                    .table(CacheEvents::Table)
                    .col(CacheEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(CacheEpoch::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CacheEvents::Table).to_owned())
            .await?;
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
}
