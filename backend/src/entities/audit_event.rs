use sea_orm::entity::prelude::*;

/// A security-relevant event, readable by the tenant's admins.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The person who made the change, if a person did.
    pub account_id: Option<Uuid>,
    /// The API key that made the change, if a server did.
    pub api_key_id: Option<Uuid>,
    /// `login.succeeded`, `login.failed`, `password.reset`, `session.revoked`, …
    pub kind: String,
    /// Words for people; never a secret.
    pub detail: String,
    pub ip: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
