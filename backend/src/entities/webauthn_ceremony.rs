use sea_orm::entity::prelude::*;

/// A registration or sign-in in progress: the challenge's state, kept server-side for a short
/// while so whichever instance gets the answer can check it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webauthn_ceremonies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The account registering, or signing in (known from the address given).
    pub account_id: Option<Uuid>,
    /// `register` or `login`.
    pub kind: String,
    pub rp_id: String,
    /// webauthn-rs ceremony state, JSON.
    pub state: String,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
