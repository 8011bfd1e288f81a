//! A tenant's domains.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::{actor, state, tenant_scope, uuid};
use super::error::FieldResult;
use super::guards::RoleGuard;
use crate::entities::account::Role;
use crate::entities::tenant_domain::{self, DomainKind};
use crate::services::custom_domains;
use crate::services::custom_domains::CustomDomain;
use crate::services::domain_checks::challenge_record;

#[derive(Default)]
pub struct DomainsQuery;

#[derive(Default)]
pub struct DomainsMutation;

#[Object]
impl DomainsQuery {
    /// The tenant's hosts, by app, system host first.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn domains(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
    ) -> FieldResult<Vec<Domain>> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let rows = custom_domains::list(&state(ctx).db, &tenant).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[Object]
impl DomainsMutation {
    /// Claims a custom domain for an app. It routes nothing until `verifyCustomDomain` passes:
    /// publish the TXT record, point the name at your proxy, forward `/.well-known/*`.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn add_custom_domain(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        app: String,
        host: String,
        #[graphql(default)] alias: bool,
    ) -> FieldResult<Domain> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let claim = custom_domains::claim(
            &state.db,
            &state.config,
            &tenant,
            &app,
            &host,
            alias,
            &actor(ctx),
        )
        .await?;
        Ok(claim.into())
    }

    /// Runs the checks now; a claim that passes them all starts routing at once.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn verify_custom_domain(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        id: ID,
    ) -> FieldResult<Domain> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let id = uuid("id", &id)?;
        let domain = custom_domains::verify(
            &state.db,
            &state.config,
            &state.domain_checker,
            &tenant,
            id,
            &actor(ctx),
        )
        .await?;
        Ok(domain.into())
    }

    /// Removes a claim or a custom domain; it stops routing at once.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn remove_custom_domain(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        id: ID,
    ) -> FieldResult<ID> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let state = state(ctx);
        let uuid = uuid("id", &id)?;
        custom_domains::remove(&state.db, &tenant, uuid, &actor(ctx)).await?;
        Ok(id)
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "DomainKind")]
pub enum DomainKindValue {
    System,
    Custom,
    Alias,
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
