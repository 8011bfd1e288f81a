use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Lower-cased; unique per tenant.
    pub email: String,
    pub role: Role,
    pub status: AccountStatus,
    /// argon2id PHC string; `None` until the person sets a password.
    pub password_hash: Option<String>,
    pub created_at: DateTimeUtc,
}

/// What a caller may do. `Operator` is the platform's own role, held only by accounts and keys of
/// the `main` tenant; the others are roles inside one tenant, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "OPERATOR")]
    Operator,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "MEMBER")]
    Member,
    /// An end user of the tenant's apps.
    #[sea_orm(string_value = "USER")]
    User,
}

impl Role {
    /// How much the role may do; a guard asking for a rank admits every role at or above it.
    pub fn rank(self) -> u8 {
        match self {
            Role::Operator => 3,
            Role::Admin => 2,
            Role::Member => 1,
            Role::User => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "OPERATOR",
            Role::Admin => "ADMIN",
            Role::Member => "MEMBER",
            Role::User => "USER",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "OPERATOR" => Some(Role::Operator),
            "ADMIN" => Some(Role::Admin),
            "MEMBER" => Some(Role::Member),
            "USER" => Some(Role::User),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AccountStatus {
    #[sea_orm(string_value = "active")]
    Active,
    /// Invited, not yet signed in.
    #[sea_orm(string_value = "invited")]
    Invited,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
