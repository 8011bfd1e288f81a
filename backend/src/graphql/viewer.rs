//! `viewer`: who the caller is.

use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};

use super::accounts::RoleValue;
use super::api_keys::KeyKindValue;
use super::context::{principal, state};
use super::error::FieldResult;
use super::tenants::Tenant;
use crate::services::accounts;

#[derive(Default)]
pub struct ViewerQuery;

#[derive(SimpleObject)]
pub struct Viewer {
    /// `null` for public keys, which act with no role.
    pub role: Option<RoleValue>,
    pub tenant: Tenant,
    /// The signed-in account; `null` for API keys.
    pub account: Option<ViewerAccount>,
    /// The key used; `null` for tokens.
    pub api_key: Option<ViewerApiKey>,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ViewerAccount {
    pub id: ID,
    pub email: String,
}

#[ComplexObject]
impl ViewerAccount {
    /// Whether the signed-in person has set a password: a step-up can then be proven with it.
    /// (Their passkeys are `passkeys`; anyone can be sent a code.)
    async fn has_password(&self, ctx: &Context<'_>) -> FieldResult<bool> {
        let principal = principal(ctx);
        let (Some(tenant), Some(id)) = (principal.tenant.as_ref(), principal.account_id) else {
            return Ok(false);
        };
        let account = accounts::get(&state(ctx).db, tenant, id).await?;
        Ok(account.password_hash.is_some())
    }
}

#[derive(SimpleObject)]
pub struct ViewerApiKey {
    pub id: ID,
    pub name: String,
    pub kind: KeyKindValue,
}

#[Object]
impl ViewerQuery {
    /// The caller; `null` when anonymous.
    async fn viewer(&self, ctx: &Context<'_>) -> Option<Viewer> {
        let principal = principal(ctx);
        let tenant = principal.tenant.as_ref()?;
        Some(Viewer {
            role: principal.role.map(Into::into),
            tenant: tenant.into(),
            account: principal
                .account_id
                .zip(principal.account_email.clone())
                .map(|(id, email)| ViewerAccount {
                    id: ID(id.to_string()),
                    email,
                }),
            api_key: principal.api_key.as_ref().map(|key| ViewerApiKey {
                id: ID(key.id.to_string()),
                name: key.name.clone(),
                kind: key.kind.into(),
            }),
        })
    }
}
