use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The app whose host received the form; `None` on the platform's own hosts.
    pub app: Option<String>,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub message: Option<String>,
    pub source_page: Option<String>,
    /// The normalised host the form was posted to.
    pub host: String,
    pub idempotency_key: Option<String>,
    /// SHA-256 (hex) of what was asked, to tell a retry from a different request with the same key.
    pub request_hash: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
