use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "branding")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Catalog key of the app, or [`TENANT_DEFAULTS`] for the values every app inherits.
    pub app: String,
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    pub favicon_url: Option<String>,
    pub primary_color: Option<String>,
    pub accent_color: Option<String>,
    pub background_color: Option<String>,
    pub text_color: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub updated_at: DateTimeUtc,
}

/// The `app` value of a tenant's default branding row (see the migration for why not NULL).
pub const TENANT_DEFAULTS: &str = "";

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Calls `$then!` with every branding value as `field: Column`, so each type that carries the
/// values (the service's, the GraphQL object and input, the REST document) and each copy between
/// them lists them once, here beside the table. A new column is added here and in the migration.
macro_rules! with_branding_fields {
    ($then:ident) => {
        $then! {
            display_name: DisplayName,
            logo_url: LogoUrl,
            favicon_url: FaviconUrl,
            primary_color: PrimaryColor,
            accent_color: AccentColor,
            background_color: BackgroundColor,
            text_color: TextColor,
            seo_title: SeoTitle,
            seo_description: SeoDescription,
        }
    };
}
pub(crate) use with_branding_fields;
