//! A tenant's leads.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::{connection, page_size, state, tenant_scope, uuid, uuid_cursor};
use super::error::FieldResult;
use super::guards::RoleGuard;
use crate::entities::account::Role;
use crate::entities::lead;
use crate::services::leads::{self, LeadFilter};

#[derive(Default)]
pub struct LeadsQuery;

#[derive(InputObject, Default)]
pub struct LeadsFilter {
    /// Catalog key of the app whose host received the form.
    pub app: Option<String>,
    /// Received at or after this time.
    pub since: Option<DateTime<Utc>>,
    pub email: Option<String>,
}

#[Object]
impl LeadsQuery {
    /// Contact-form leads, newest first.
    #[graphql(guard = "RoleGuard(Role::Member)")]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<LeadsFilter>,
    ) -> FieldResult<Connection<String, Lead>> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let first = page_size(first)?;
        let cursor = uuid_cursor(after.as_ref())?;
        let filter = filter.unwrap_or_default();
        let filter = LeadFilter {
            app: filter.app,
            since: filter.since,
            email: filter.email,
        };
        let (rows, more) = leads::page(&state(ctx).db, &tenant, &filter, first, cursor).await?;
        Ok(connection(rows, more, after.is_some(), |l| {
            (l.id.to_string(), l.into())
        }))
    }

    #[graphql(guard = "RoleGuard(Role::Member)")]
    async fn lead(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        id: ID,
    ) -> FieldResult<Lead> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let id = uuid("id", &id)?;
        Ok(leads::get(&state(ctx).db, &tenant, id).await?.into())
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
