use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_passkeys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    /// base64url of the credential id; unique per account.
    pub credential_id: String,
    /// The relying party the passkey was made for: the app's system host.
    pub rp_id: String,
    /// What its owner calls it ("Work laptop"); "Passkey <date>" unless they said.
    pub name: String,
    /// The public key and counters (webauthn-rs `Passkey`, JSON).
    pub passkey: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
