//! Output and input types. They wrap entities and service values; entities never derive GraphQL,
//! so the database and the API change apart.

use async_graphql::{Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};

use crate::entities::account::{self, AccountStatus};
use crate::entities::api_key::{self, KeyKind};
use crate::entities::tenant::{self, TenantStatus};
use crate::entities::tenant_domain::{self, DomainKind};
use crate::entities::{app_link, lead};
use crate::services::app_links::AppLinks;
use crate::services::branding::BrandingFields;
use crate::services::custom_domains::CustomDomain;
use crate::services::domain_checks::challenge_record;
use crate::tenancy::context::TenantContext;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "Role")]
pub enum RoleValue {
    /// The platform's operators (accounts and keys of the `main` tenant).
    Operator,
    /// Manages one tenant: keys, branding, domains, members.
    Admin,
    /// Works in one tenant: reads its leads.
    Member,
    /// An end user of the tenant's apps.
    User,
}

impl From<account::Role> for RoleValue {
    fn from(role: account::Role) -> Self {
        match role {
            account::Role::Operator => RoleValue::Operator,
            account::Role::Admin => RoleValue::Admin,
            account::Role::Member => RoleValue::Member,
            account::Role::User => RoleValue::User,
        }
    }
}

impl From<RoleValue> for account::Role {
    fn from(role: RoleValue) -> Self {
        match role {
            RoleValue::Operator => account::Role::Operator,
            RoleValue::Admin => account::Role::Admin,
            RoleValue::Member => account::Role::Member,
            RoleValue::User => account::Role::User,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "TenantStatus")]
pub enum TenantStatusValue {
    Active,
    /// Its hosts answer "Tenant not found" and its credentials are refused.
    Suspended,
}

impl From<TenantStatus> for TenantStatusValue {
    fn from(status: TenantStatus) -> Self {
        match status {
            TenantStatus::Active => TenantStatusValue::Active,
            TenantStatus::Suspended => TenantStatusValue::Suspended,
        }
    }
}

impl From<TenantStatusValue> for TenantStatus {
    fn from(status: TenantStatusValue) -> Self {
        match status {
            TenantStatusValue::Active => TenantStatus::Active,
            TenantStatusValue::Suspended => TenantStatus::Suspended,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "ApiKeyKind")]
pub enum KeyKindValue {
    /// `btk_…`: server to server, acts with its role.
    Secret,
    /// `bpk_…`: shipped in apps and web pages; public operations only.
    Public,
}

impl From<KeyKind> for KeyKindValue {
    fn from(kind: KeyKind) -> Self {
        match kind {
            KeyKind::Secret => KeyKindValue::Secret,
            KeyKind::Public => KeyKindValue::Public,
        }
    }
}

impl From<KeyKindValue> for KeyKind {
    fn from(kind: KeyKindValue) -> Self {
        match kind {
            KeyKindValue::Secret => KeyKind::Secret,
            KeyKindValue::Public => KeyKind::Public,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "DomainKind")]
pub enum DomainKindValue {
    System,
    Custom,
    Alias,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "AccountStatus")]
pub enum AccountStatusValue {
    Active,
    Invited,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Tenant {
    pub id: ID,
    pub slug: String,
    pub name: String,
    pub status: TenantStatusValue,
    /// The tenant's own limit on requests per minute over all its traffic; null: the default.
    pub rate_limit_per_minute: Option<i32>,
}

impl From<tenant::Model> for Tenant {
    fn from(t: tenant::Model) -> Self {
        Tenant {
            id: ID(t.id.to_string()),
            slug: t.slug,
            name: t.name,
            status: t.status.into(),
            rate_limit_per_minute: t.rate_limit_per_minute,
        }
    }
}

impl From<&TenantContext> for Tenant {
    fn from(t: &TenantContext) -> Self {
        Tenant {
            id: ID(t.id().to_string()),
            slug: t.slug().to_owned(),
            name: t.name().to_owned(),
            status: t.status().into(),
            rate_limit_per_minute: t.rate_limit().and_then(|n| i32::try_from(n).ok()),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Domain {
    pub id: ID,
    /// Catalog key of the app the host serves.
    pub app: String,
    pub host: String,
    pub kind: DomainKindValue,
    /// Only verified hosts route requests.
    pub verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    /// For a pending claim: the value to publish in the TXT record `txtRecord`.
    pub ownership_token: Option<String>,
    pub txt_record: Option<String>,
    /// What the last verification run found, check by check.
    pub checks: Vec<DomainCheck>,
    pub checked_at: Option<DateTime<Utc>>,
    /// When an unverified claim lapses.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct DomainCheck {
    /// `dns`, `ownership`, `apple-app-site-association`, `assetlinks.json` or `webauthn`.
    pub name: String,
    pub passed: bool,
    /// What was found, in words.
    pub reason: String,
    pub duration_ms: u64,
    pub checked_at: DateTime<Utc>,
}

impl From<CustomDomain> for Domain {
    fn from(d: CustomDomain) -> Self {
        Domain {
            id: ID(d.id.to_string()),
            txt_record: d
                .ownership_token
                .as_ref()
                .map(|_| challenge_record(&d.host)),
            app: d.app,
            host: d.host,
            kind: match d.kind {
                DomainKind::System => DomainKindValue::System,
                DomainKind::Custom => DomainKindValue::Custom,
                DomainKind::Alias => DomainKindValue::Alias,
            },
            verified: d.verified,
            verified_at: d.verified_at,
            ownership_token: d.ownership_token,
            checks: d
                .checks
                .into_iter()
                .map(|c| DomainCheck {
                    name: c.name,
                    passed: c.passed,
                    reason: c.reason,
                    duration_ms: c.duration_ms,
                    checked_at: c.checked_at,
                })
                .collect(),
            checked_at: d.checked_at,
            expires_at: d.expires_at,
        }
    }
}

impl From<tenant_domain::Model> for Domain {
    fn from(d: tenant_domain::Model) -> Self {
        CustomDomain::from(d).into()
    }
}

/// An API key as listed: never its secret, only the prefix that tells it apart.
#[derive(SimpleObject, Clone, Debug)]
pub struct ApiKey {
    pub id: ID,
    pub name: String,
    pub kind: KeyKindValue,
    pub role: Option<RoleValue>,
    pub app: Option<String>,
    pub display_prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<api_key::Model> for ApiKey {
    fn from(k: api_key::Model) -> Self {
        ApiKey {
            id: ID(k.id.to_string()),
            name: k.name,
            kind: k.kind.into(),
            role: k.role.map(Into::into),
            app: k.app,
            display_prefix: k.display_prefix,
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Account {
    pub id: ID,
    pub email: String,
    pub role: RoleValue,
    pub status: AccountStatusValue,
    pub created_at: DateTime<Utc>,
}

impl From<account::Model> for Account {
    fn from(a: account::Model) -> Self {
        Account {
            id: ID(a.id.to_string()),
            email: a.email,
            role: a.role.into(),
            status: match a.status {
                AccountStatus::Active => AccountStatusValue::Active,
                AccountStatus::Invited => AccountStatusValue::Invited,
            },
            created_at: a.created_at,
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Lead {
    pub id: ID,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub message: Option<String>,
    pub source_page: Option<String>,
    pub app: Option<String>,
    pub host: String,
    pub created_at: DateTime<Utc>,
}

impl From<lead::Model> for Lead {
    fn from(l: lead::Model) -> Self {
        Lead {
            id: ID(l.id.to_string()),
            email: l.email,
            first_name: l.first_name,
            last_name: l.last_name,
            message: l.message,
            source_page: l.source_page,
            app: l.app,
            host: l.host,
            created_at: l.created_at,
        }
    }
}

/// Branding values; unset ones are null.
#[derive(SimpleObject, InputObject, Clone, Debug, Default)]
#[graphql(input_name = "BrandingInput")]
pub struct Branding {
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    pub favicon_url: Option<String>,
    pub primary_color: Option<String>,
    pub accent_color: Option<String>,
    pub background_color: Option<String>,
    pub text_color: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
}

impl From<BrandingFields> for Branding {
    fn from(b: BrandingFields) -> Self {
        Branding {
            display_name: b.display_name,
            logo_url: b.logo_url,
            favicon_url: b.favicon_url,
            primary_color: b.primary_color,
            accent_color: b.accent_color,
            background_color: b.background_color,
            text_color: b.text_color,
            seo_title: b.seo_title,
            seo_description: b.seo_description,
        }
    }
}

impl From<Branding> for BrandingFields {
    fn from(b: Branding) -> Self {
        BrandingFields {
            display_name: b.display_name,
            logo_url: b.logo_url,
            favicon_url: b.favicon_url,
            primary_color: b.primary_color,
            accent_color: b.accent_color,
            background_color: b.background_color,
            text_color: b.text_color,
            seo_title: b.seo_title,
            seo_description: b.seo_description,
        }
    }
}

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
