use sea_orm::FromJsonQueryResult;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub app: String,
    /// Apple app IDs, `TEAMID.bundle.id`.
    pub ios_app_ids: Strings,
    pub android_apps: AndroidApps,
    /// Origins beyond the app's own verified hosts that may use its passkeys.
    pub webauthn_origins: Strings,
    pub updated_at: DateTimeUtc,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Strings(pub Vec<String>);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct AndroidApps(pub Vec<AndroidApp>);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AndroidApp {
    pub package_name: String,
    /// Upper-case, colon-separated SHA-256 fingerprints of the signing certificates.
    pub sha256_cert_fingerprints: Vec<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
