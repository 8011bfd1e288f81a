//! A tenant's branding and app links.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::context::{actor, state, tenant_scope};
use super::error::FieldResult;
use super::guards::RoleGuard;
use crate::entities::account::Role;
use crate::entities::app_link;
use crate::entities::branding::with_branding_fields;
use crate::services::app_links::AppLinks;
use crate::services::branding::BrandingFields;
use crate::services::{app_links, branding};
use crate::tenancy::context::TenantContext;

#[derive(Default)]
pub struct SettingsQuery;

/// What an admin edits: the values stored for one scope, not merged with the tenant's defaults
/// (the `branding` field answers the merged values an app shows).
#[Object]
impl SettingsQuery {
    /// The branding stored for `app` (omit it for the tenant's defaults); unset values are null
    /// and are inherited from the defaults.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn stored_branding(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: Option<String>,
    ) -> FieldResult<Branding> {
        let (tenant, app) = branding_scope(ctx, tenant_slug, app).await?;
        branding_stored_in(ctx, &tenant, app.as_deref()).await
    }

    /// The app links of `app`, from which its well-known files are built.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn app_links(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: String,
    ) -> FieldResult<AppLinksValue> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let app = state.config.tenancy.apps.check("app", &app)?;
        Ok(app_links::get(&state.db, &tenant, &app).await?.into())
    }
}

#[derive(Default)]
pub struct SettingsMutation;

#[Object]
impl SettingsMutation {
    /// Replaces the branding of `app` (omit it for the tenant's defaults, which apps inherit).
    /// Returns what is now stored for that scope.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn update_branding(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: Option<String>,
        input: Branding,
    ) -> FieldResult<Branding> {
        let (tenant, app) = branding_scope(ctx, tenant_slug, app).await?;
        let state = state(ctx);
        let stored = branding::set(
            &state.db,
            &tenant,
            app.as_deref(),
            input.into(),
            &actor(ctx),
        )
        .await?;
        Ok(stored.into())
    }

    /// Replaces the app links of `app`, from which the well-known files are built.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn update_app_links(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: String,
        input: AppLinksValue,
    ) -> FieldResult<AppLinksValue> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let app = state.config.tenancy.apps.check("app", &app)?;
        let stored = app_links::set(&state.db, &tenant, &app, input.into(), &actor(ctx)).await?;
        Ok(stored.into())
    }
}

/// The tenant in scope and the branding scope `app` names (`None`: the tenant's defaults).
async fn branding_scope(
    ctx: &Context<'_>,
    tenant_slug: Option<String>,
    app: Option<String>,
) -> FieldResult<(TenantContext, Option<String>)> {
    let tenant = tenant_scope(ctx, tenant_slug).await?;
    let app = app
        .map(|app| state(ctx).config.tenancy.apps.check("app", &app))
        .transpose()?;
    Ok((tenant, app))
}

async fn branding_stored_in(
    ctx: &Context<'_>,
    tenant: &TenantContext,
    app: Option<&str>,
) -> FieldResult<Branding> {
    let stored = branding::stored(&state(ctx).db, tenant, app).await?;
    Ok(stored.into())
}

macro_rules! branding_object {
    ($($field:ident: $column:ident,)*) => {
        /// Branding values; unset ones are null.
        #[derive(SimpleObject, InputObject, Clone, Debug, Default)]
        #[graphql(input_name = "BrandingInput")]
        pub struct Branding {
            $(pub $field: Option<String>,)*
        }

        impl From<BrandingFields> for Branding {
            fn from(values: BrandingFields) -> Self {
                Branding {
                    $($field: values.$field,)*
                }
            }
        }

        impl From<Branding> for BrandingFields {
            fn from(values: Branding) -> Self {
                BrandingFields {
                    $($field: values.$field,)*
                }
            }
        }
    };
}
with_branding_fields!(branding_object);

#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "AndroidAppInput")]
pub struct AndroidApp {
    pub package_name: String,
    /// Upper-case, colon-separated SHA-256 fingerprints of the signing certificates.
    pub sha256_cert_fingerprints: Vec<String>,
}

/// What lets an app's native builds and passkeys trust its hosts.
#[derive(SimpleObject, InputObject, Clone, Debug, Default)]
#[graphql(input_name = "AppLinksInput")]
pub struct AppLinksValue {
    /// Apple app IDs, `TEAMID.bundle.id`.
    pub ios_app_ids: Vec<String>,
    pub android_apps: Vec<AndroidApp>,
    /// Origins beyond the app's verified hosts that may use its passkeys.
    pub webauthn_origins: Vec<String>,
}

impl From<AppLinks> for AppLinksValue {
    fn from(l: AppLinks) -> Self {
        AppLinksValue {
            ios_app_ids: l.ios_app_ids,
            android_apps: l
                .android_apps
                .into_iter()
                .map(|a| AndroidApp {
                    package_name: a.package_name,
                    sha256_cert_fingerprints: a.sha256_cert_fingerprints,
                })
                .collect(),
            webauthn_origins: l.webauthn_origins,
        }
    }
}

impl From<AppLinksValue> for AppLinks {
    fn from(l: AppLinksValue) -> Self {
        AppLinks {
            ios_app_ids: l.ios_app_ids,
            android_apps: l
                .android_apps
                .into_iter()
                .map(|a| app_link::AndroidApp {
                    package_name: a.package_name,
                    sha256_cert_fingerprints: a.sha256_cert_fingerprints,
                })
                .collect(),
            webauthn_origins: l.webauthn_origins,
        }
    }
}
