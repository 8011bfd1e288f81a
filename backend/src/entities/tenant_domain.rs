use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_domains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Catalog key of the app this host serves (`TAXI_PASSENGER`, …).
    pub app: String,
    /// Normalised host: ASCII (UTS 46), lower case, no port, no trailing dot.
    #[sea_orm(unique)]
    pub host: String,
    pub kind: DomainKind,
    /// Only verified rows route requests; an unverified row is treated as absent.
    pub verified: bool,
    pub verified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// Verified by the checks rather than by an operator: re-checked in the background.
    pub auto_verified: bool,
    /// Consecutive failed re-checks.
    pub failed_checks: i32,
    /// The last run's per-check results, JSON.
    pub checks: Option<String>,
    pub checked_at: Option<DateTimeUtc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DomainKind {
    /// `{slug}-{suffix}.{base_domain}`, created at provisioning and verified by construction.
    #[sea_orm(string_value = "system")]
    System,
    /// The tenant's own host for an app, at most one per (tenant, app).
    #[sea_orm(string_value = "custom")]
    Custom,
    /// A further host beside the custom one (`acme.com` beside `www.acme.com`).
    #[sea_orm(string_value = "alias")]
    Alias,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::tenant::Entity",
        from = "Column::TenantId",
        to = "super::tenant::Column::Id",
        on_delete = "Cascade"
    )]
    Tenant,
}

impl Related<super::tenant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
