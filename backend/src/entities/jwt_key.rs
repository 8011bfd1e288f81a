use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jwt_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    /// `EdDSA` (Ed25519).
    pub algorithm: String,
    /// PKCS#8 DER, base64url.
    pub private_key: String,
    /// The raw public key, base64url: the JWK `x`.
    pub public_key: String,
    pub created_at: DateTimeUtc,
    /// When a newer key took over signing; `None` while this key signs.
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
