use sea_orm_migration::{prelude::*, schema::*};

use crate::{Tenants, belongs_to_tenant};

/// Sign-in: passwords and the sign-up setting, sessions and their rotating refresh tokens, email
/// codes, password resets, the mail outbox and the audit trail.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    PasswordHash,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TenantId,
    AccountId,
    App,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum EmailChallenges {
    Table,
    Id,
    TenantId,
    Email,
    CodeHash,
    Attempts,
    ExpiresAt,
    ConsumedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    TenantId,
    AccountId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    TenantId,
    Recipient,
    Subject,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    TenantId,
    AccountId,
    Kind,
    Detail,
    Ip,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(text_null(Accounts::PasswordHash))
                    .to_owned(),
            )
            .await?;
        // Whether an unknown address that proves it owns its mailbox becomes a USER account.
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(boolean(Alias::new("signup_enabled")).default(true))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .if_not_exists()
                    .col(uuid(Sessions::Id).primary_key())
                    .col(uuid(Sessions::TenantId))
                    .col(uuid(Sessions::AccountId))
                    .col(string_len_null(Sessions::App, 64))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .foreign_key(&mut belongs_to_tenant(Sessions::Table, Sessions::TenantId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_sessions_account",
            Sessions::Table,
            [Sessions::AccountId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .if_not_exists()
                    .col(uuid(RefreshTokens::Id).primary_key())
                    .col(uuid(RefreshTokens::SessionId))
                    // SHA-256 of the token, hex.
                    .col(string_len_uniq(RefreshTokens::TokenHash, 64))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    // Set when the token is exchanged; presenting it again revokes the session.
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::SessionId)
                            .to(Sessions::Table, Sessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EmailChallenges::Table)
                    .if_not_exists()
                    .col(uuid(EmailChallenges::Id).primary_key())
                    .col(uuid(EmailChallenges::TenantId))
                    .col(string_len(EmailChallenges::Email, 255))
                    .col(string_len(EmailChallenges::CodeHash, 64))
                    .col(integer(EmailChallenges::Attempts))
                    .col(timestamp_with_time_zone(EmailChallenges::ExpiresAt))
                    .col(timestamp_with_time_zone_null(EmailChallenges::ConsumedAt))
                    .col(timestamp_with_time_zone(EmailChallenges::CreatedAt))
                    .foreign_key(&mut belongs_to_tenant(
                        EmailChallenges::Table,
                        EmailChallenges::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_email_challenges_tenant_email",
            EmailChallenges::Table,
            [EmailChallenges::TenantId, EmailChallenges::Email],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .if_not_exists()
                    .col(uuid(PasswordResets::Id).primary_key())
                    .col(uuid(PasswordResets::TenantId))
                    .col(uuid(PasswordResets::AccountId))
                    .col(string_len_uniq(PasswordResets::TokenHash, 64))
                    .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                    .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                    .foreign_key(&mut belongs_to_tenant(
                        PasswordResets::Table,
                        PasswordResets::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(uuid(Outbox::Id).primary_key())
                    .col(uuid(Outbox::TenantId))
                    .col(string_len(Outbox::Recipient, 255))
                    .col(string_len(Outbox::Subject, 255))
                    .col(text(Outbox::Body))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .foreign_key(&mut belongs_to_tenant(Outbox::Table, Outbox::TenantId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .if_not_exists()
                    .col(uuid(AuditEvents::Id).primary_key())
                    .col(uuid(AuditEvents::TenantId))
                    .col(uuid_null(AuditEvents::AccountId))
                    .col(string_len(AuditEvents::Kind, 64))
                    .col(text(AuditEvents::Detail))
                    .col(string_len_null(AuditEvents::Ip, 64))
                    .col(timestamp_with_time_zone(AuditEvents::CreatedAt))
                    .foreign_key(&mut belongs_to_tenant(
                        AuditEvents::Table,
                        AuditEvents::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_audit_events_tenant",
            AuditEvents::Table,
            [AuditEvents::TenantId, AuditEvents::Id],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            Outbox::Table.into_iden(),
            PasswordResets::Table.into_iden(),
            EmailChallenges::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .drop_column(Alias::new("signup_enabled"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::PasswordHash)
                    .to_owned(),
            )
            .await
    }
}

async fn index<T: IntoIden>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: impl IntoIterator<Item = T>,
) -> Result<(), DbErr> {
    let mut index = Index::create().name(name).table(table).to_owned();
    for column in columns {
        index.col(column);
    }
    manager.create_index(index).await
}
