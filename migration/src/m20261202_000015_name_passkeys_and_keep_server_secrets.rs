use sea_orm_migration::{prelude::*, schema::*};

/// Passkeys get the name their owner sees in the list of their passkeys; passkeys made before
/// names existed are called "Passkey". `server_secrets` keeps random secrets every instance must
/// share (the key that derives the decoy passkey ids shown for addresses without passkeys).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Passkeys {
    Table,
    Name,
}

#[derive(DeriveIden)]
enum ServerSecrets {
    Table,
    Name,
    Secret,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Passkeys::Table)
                    .add_column(string(Passkeys::Name).default("Passkey"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServerSecrets::Table)
                    .col(string(ServerSecrets::Name).primary_key())
                    .col(string(ServerSecrets::Secret))
                    .col(timestamp_with_time_zone(ServerSecrets::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServerSecrets::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Passkeys::Table)
                    .drop_column(Passkeys::Name)
                    .to_owned(),
            )
            .await
    }
}
