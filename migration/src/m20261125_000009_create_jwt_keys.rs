use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Signing keys shared by every instance. The newest unretired key signs; retired keys keep
/// verifying until the tokens they signed have expired.
#[derive(DeriveIden)]
enum JwtKeys {
    Table,
    Kid,
    Algorithm,
    PrivateKey,
    PublicKey,
    CreatedAt,
    RetiredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JwtKeys::Table)
                    .if_not_exists()
                    .col(string_len(JwtKeys::Kid, 64).primary_key())
                    .col(string_len(JwtKeys::Algorithm, 16))
                    // PKCS#8 DER, base64url.
                    .col(text(JwtKeys::PrivateKey))
                    // The raw public key, base64url (the JWK `x`).
                    .col(text(JwtKeys::PublicKey))
                    .col(timestamp_with_time_zone(JwtKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(JwtKeys::RetiredAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JwtKeys::Table).to_owned())
            .await
    }
}
