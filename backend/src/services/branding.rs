//! Branding: what a page needs to render before anyone signs in.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

use crate::cache::events::{self, CacheEvent};
use crate::db;
use crate::entities::branding::{self, TENANT_DEFAULTS, with_branding_fields};
use crate::error::AppError;
use crate::services::audit::{self, Actor};
use crate::services::text::is_invisible;
use crate::tenancy::context::TenantContext;
use crate::tenancy::resolver::HostTenant;

macro_rules! branding_fields {
    ($($field:ident: $column:ident,)*) => {
        /// Branding values; `None` is unset. Used both for what is stored and for what is served.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
        pub struct BrandingFields {
            $(pub $field: Option<String>,)*
        }

        impl BrandingFields {
            /// `self`, with every unset value taken from `defaults`.
            fn over(self, defaults: BrandingFields) -> BrandingFields {
                BrandingFields {
                    $($field: self.$field.or(defaults.$field),)*
                }
            }

            /// The row of `app` (a catalog key, or the tenant's defaults) holding these values.
            fn row(self, tenant_id: Uuid, app: &str) -> branding::ActiveModel {
                branding::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tenant_id),
                    app: Set(app.to_owned()),
                    $($field: Set(self.$field),)*
                    updated_at: Set(db::now()),
                }
            }
        }

        impl From<branding::Model> for BrandingFields {
            fn from(row: branding::Model) -> Self {
                BrandingFields {
                    $($field: row.$field,)*
                }
            }
        }

        /// What a new write replaces in a row that exists.
        const WRITTEN: &[branding::Column] = &[$(branding::Column::$column,)* branding::Column::UpdatedAt];
    };
}
with_branding_fields!(branding_fields);

/// The flat document `GET /api/branding` serves.
#[derive(Debug, Serialize)]
pub struct BrandingDocument {
    pub tenant_slug: String,
    pub tenant_name: String,
    pub app: Option<String>,
    #[serde(flatten)]
    pub fields: BrandingFields,
}

/// The branding of the host's app: the app's own values over the tenant's defaults.
pub async fn for_host(
    db: &impl ConnectionTrait,
    host: &HostTenant,
) -> Result<BrandingDocument, AppError> {
    Ok(BrandingDocument {
        tenant_slug: host.tenant.slug().to_owned(),
        tenant_name: host.tenant.name().to_owned(),
        app: host.app.clone(),
        fields: effective(db, &host.tenant, host.app.as_deref()).await?,
    })
}

/// What an app shows: its own values over the tenant's defaults (`app = None`: the defaults).
pub async fn effective(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    app: Option<&str>,
) -> Result<BrandingFields, AppError> {
    let scopes = [TENANT_DEFAULTS, app.unwrap_or(TENANT_DEFAULTS)];
    let rows = branding::Entity::find()
        .filter(branding::Column::TenantId.eq(tenant.id()))
        .filter(branding::Column::App.is_in(scopes))
        .all(db)
        .await?;
    let (defaults, own): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|row| row.app == TENANT_DEFAULTS);
    let first = |rows: Vec<branding::Model>| {
        rows.into_iter()
            .next()
            .map(BrandingFields::from)
            .unwrap_or_default()
    };
    Ok(first(own).over(first(defaults)))
}

/// What is stored for exactly one scope (`app = None`: the tenant's defaults), nothing inherited.
pub async fn stored(
    db: &impl ConnectionTrait,
    tenant: &TenantContext,
    app: Option<&str>,
) -> Result<BrandingFields, AppError> {
    let row = branding::Entity::find()
        .filter(branding::Column::TenantId.eq(tenant.id()))
        .filter(branding::Column::App.eq(app.unwrap_or(TENANT_DEFAULTS)))
        .one(db)
        .await?;
    Ok(row.map(Into::into).unwrap_or_default())
}

const MAX_TEXT: usize = 200;
const MAX_URL: usize = 2048;
const MAX_DESCRIPTION: usize = 1000;

impl BrandingFields {
    /// Trims every value, drops blanks, and checks each against its rule.
    fn validated(self) -> Result<BrandingFields, AppError> {
        Ok(BrandingFields {
            display_name: text("displayName", self.display_name, MAX_TEXT)?,
            logo_url: url("logoUrl", self.logo_url)?,
            favicon_url: url("faviconUrl", self.favicon_url)?,
            primary_color: color("primaryColor", self.primary_color)?,
            accent_color: color("accentColor", self.accent_color)?,
            background_color: color("backgroundColor", self.background_color)?,
            text_color: color("textColor", self.text_color)?,
            seo_title: text("seoTitle", self.seo_title, MAX_TEXT)?,
            seo_description: text("seoDescription", self.seo_description, MAX_DESCRIPTION)?,
        })
    }
}

fn text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, AppError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    if value.chars().any(is_invisible) {
        return Err(AppError::invalid(
            field,
            "must not contain invisible formatting characters (direction overrides, zero-width \
             characters, line separators)",
        ));
    }
    // Mail programs decode `=?utf-8?q?…?=` in a subject, which would carry a line break or a
    // direction override past the checks above into every mail sent in the tenant's name.
    if value.contains("=?") {
        return Err(AppError::invalid(
            field,
            "must not contain '=?', which mail programs read as encoded text",
        ));
    }
    Ok(Some(value))
}

/// An absolute `https://` (or `http://`) URL: pages load these directly.
fn url(field: &str, value: Option<String>) -> Result<Option<String>, AppError> {
    let Some(value) = text(field, value, MAX_URL)? else {
        return Ok(None);
    };
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.contains(char::is_whitespace) => Ok(Some(value)),
        _ => Err(AppError::invalid(field, "must be an absolute http(s) URL")),
    }
}

/// `#RGB`, `#RRGGBB` or `#RRGGBBAA`: safe to drop into any stylesheet as it is.
fn color(field: &str, value: Option<String>) -> Result<Option<String>, AppError> {
    let Some(value) = text(field, value, 9)? else {
        return Ok(None);
    };
    let hex = value.strip_prefix('#').unwrap_or_default();
    if [3, 6, 8].contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(Some(value))
    } else {
        Err(AppError::invalid(
            field,
            "must be a hex colour: #RGB, #RRGGBB or #RRGGBBAA",
        ))
    }
}

/// Replaces the branding of one app of a tenant (`None`: the tenant's defaults); answers what is
/// now stored.
#[tracing::instrument(skip(db, fields))]
pub async fn set<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    tenant: &TenantContext,
    app: Option<&str>,
    fields: BrandingFields,
    actor: &Actor,
) -> Result<BrandingFields, AppError> {
    let fields = fields.validated()?;
    let stored = fields.clone();
    let app = app.unwrap_or(TENANT_DEFAULTS);
    let row = fields.row(tenant.id(), app);
    let txn = db.begin().await?;
    // One statement: two first writes of a scope at once cannot both find no row and insert.
    branding::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([branding::Column::TenantId, branding::Column::App])
                .update_columns(WRITTEN.iter().copied())
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    events::record(&txn, CacheEvent::TenantChanged(tenant.id())).await?;
    let detail = match app {
        TENANT_DEFAULTS => "the tenant's default branding was changed".to_owned(),
        app => format!("the branding of {app} was changed"),
    };
    audit::record(&txn, tenant, actor, "branding.updated", detail).await?;
    txn.commit().await?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_read_as_something_else_are_refused() {
        for name in [
            "Acme\u{202E}ytiruceS",
            "Acme\u{2028}Team",
            "Ac\u{200B}me",
            "Acme\u{2066}x",
            "Acme =?utf-8?q?=0D=0ABcc:_x@evil.example?=",
        ] {
            assert!(
                text("displayName", Some(name.into()), MAX_TEXT).is_err(),
                "{name:?}"
            );
        }
        for name in ["Acme Rides", "Café Ünïcode", "عربي", "日本のタクシー"] {
            assert!(
                text("displayName", Some(name.into()), MAX_TEXT).is_ok(),
                "{name:?}"
            );
        }
    }
}
