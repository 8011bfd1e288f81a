use sea_orm_migration::{prelude::*, schema::*};

use crate::belongs_to_tenant;

/// Passkeys, and the server-side state of ceremonies in progress (so any instance can finish a
/// ceremony another one started).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
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
enum WebauthnCeremonies {
    Table,
    Id,
    TenantId,
    AccountId,
    Kind,
    RpId,
    State,
    ExpiresAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Passkeys::Table)
                    .if_not_exists()
                    .col(uuid(Passkeys::Id).primary_key())
                    .col(uuid(Passkeys::TenantId))
                    .col(uuid(Passkeys::AccountId))
                    // base64url of the authenticator's credential id.
                    .col(string_len_uniq(Passkeys::CredentialId, 1024))
                    .col(string_len(Passkeys::RpId, 253))
                    // The public key and counters, as webauthn-rs serialises them.
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
        manager
            .create_table(
                Table::create()
                    .table(WebauthnCeremonies::Table)
                    .if_not_exists()
                    .col(uuid(WebauthnCeremonies::Id).primary_key())
                    .col(uuid(WebauthnCeremonies::TenantId))
                    .col(uuid_null(WebauthnCeremonies::AccountId))
                    .col(string_len(WebauthnCeremonies::Kind, 16))
                    .col(string_len(WebauthnCeremonies::RpId, 253))
                    .col(text(WebauthnCeremonies::State))
                    .col(timestamp_with_time_zone(WebauthnCeremonies::ExpiresAt))
                    .col(timestamp_with_time_zone(WebauthnCeremonies::CreatedAt))
                    .foreign_key(&mut belongs_to_tenant(
                        WebauthnCeremonies::Table,
                        WebauthnCeremonies::TenantId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebauthnCeremonies::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Passkeys::Table).to_owned())
            .await
    }
}
