use sea_orm::entity::prelude::*;

/// A custom domain a tenant claimed and has not yet proven. It does not route.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domain_claims")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub app: String,
    pub host: String,
    /// A further host beside the app's custom domain.
    pub alias: bool,
    /// Must appear in the TXT record `_tenantry-challenge.<host>`.
    pub token: String,
    /// The last run's per-check results, JSON.
    pub checks: Option<String>,
    pub checked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
