use sea_orm::entity::prelude::*;

use super::account::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub kind: KeyKind,
    /// The role a secret key acts with; `None` for public keys, which grant public operations only.
    pub role: Option<Role>,
    /// The app a key is meant for, if it is meant for one.
    pub app: Option<String>,
    /// The key's first characters, shown to tell keys apart.
    pub display_prefix: String,
    /// SHA-256 of the key, hex. The key itself is never stored.
    #[sea_orm(unique)]
    pub key_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum KeyKind {
    /// `btk_…`: server to server, acts with its role.
    #[sea_orm(string_value = "secret")]
    Secret,
    /// `bpk_…`: shipped inside apps and web pages; names its tenant, proves nothing more.
    #[sea_orm(string_value = "public")]
    Public,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
