use sea_orm_migration::{prelude::*, schema::*};

use crate::belongs_to_tenant;

/// Passkeys move to `account_passkeys`, where they have the name their owner sees in the list of
/// their passkeys (passkeys made before names existed are called "Passkey") and a credential id is
/// unique per account instead of across the database: a global constraint answered "already
/// taken" for a real passkey's id and not for a decoy's, which told who has passkeys. Sign-in
/// always names the account first, so an id shared by two accounts is never ambiguous. (SQLite
/// cannot drop a column's UNIQUE constraint, hence a new table rather than an altered one.)
///
/// `server_secrets` keeps random secrets every instance must share (the key that derives the
/// decoy passkey ids shown for addresses without passkeys).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Passkeys {
    Table,
    Id,
    TenantId,
    AccountId,
    CredentialId,
    RpId,
    Passkey,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum AccountPasskeys {
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

/// Columns both tables hold.
const KEPT: [Passkeys; 8] = [
    Passkeys::Id,
    Passkeys::TenantId,
    Passkeys::AccountId,
    Passkeys::CredentialId,
    Passkeys::RpId,
    Passkeys::Passkey,
    Passkeys::CreatedAt,
    Passkeys::LastUsedAt,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccountPasskeys::Table)
                    .col(uuid(Passkeys::Id).primary_key())
                    .col(uuid(Passkeys::TenantId))
                    .col(uuid(Passkeys::AccountId))
                    // base64url of the authenticator's credential id.
                    .col(string_len(Passkeys::CredentialId, 1024))
                    .col(string_len(Passkeys::RpId, 253))
                    .col(string_len(AccountPasskeys::Name, 100).default("Passkey"))
                    // The public key and counters, as webauthn-rs serialises them.
                    .col(text(Passkeys::Passkey))
                    .col(timestamp_with_time_zone(Passkeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(Passkeys::LastUsedAt))
                    .foreign_key(&mut belongs_to_tenant(
                        AccountPasskeys::Table,
                        Passkeys::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_account_passkeys_account_credential")
                    .table(AccountPasskeys::Table)
                    .col(Passkeys::AccountId)
                    .col(Passkeys::CredentialId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let copy = Query::insert()
            .into_table(AccountPasskeys::Table)
            .columns(KEPT)
            .select_from(
                Query::select()
                    .columns(KEPT)
                    .from(Passkeys::Table)
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(copy).await?;
        manager
            .drop_table(Table::drop().table(Passkeys::Table).to_owned())
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
            .create_table(
                Table::create()
                    .table(Passkeys::Table)
                    .col(uuid(Passkeys::Id).primary_key())
                    .col(uuid(Passkeys::TenantId))
                    .col(uuid(Passkeys::AccountId))
                    .col(string_len_uniq(Passkeys::CredentialId, 1024))
                    .col(string_len(Passkeys::RpId, 253))
                    .col(text(Passkeys::Passkey))
                    .col(timestamp_with_time_zone(Passkeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(Passkeys::LastUsedAt))
                    .foreign_key(&mut belongs_to_tenant(Passkeys::Table, Passkeys::TenantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_passkeys_account")
                    .table(Passkeys::Table)
                    .col(Passkeys::AccountId)
                    .to_owned(),
            )
            .await?;
        let copy = Query::insert()
            .into_table(Passkeys::Table)
            .columns(KEPT)
            .select_from(
                Query::select()
                    .columns(KEPT)
                    .from(AccountPasskeys::Table)
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(copy).await?;
        manager
            .drop_table(Table::drop().table(AccountPasskeys::Table).to_owned())
            .await
    }
}
