use sea_orm::entity::prelude::*;

/// A signed-in person on one device: a family of refresh tokens, each used once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    /// The app whose host the person signed in on.
    pub app: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set by logout, revocation, a password reset, or the reuse of a rotated refresh token.
    pub revoked_at: Option<DateTimeUtc>,
    /// The `User-Agent` the session began with, cleaned and bounded; it names the device to the
    /// session's owner. Null when none was sent, and for sessions older than the column.
    pub user_agent: Option<String>,
    /// The client address the session began with, as the server determined it.
    pub ip_address: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
