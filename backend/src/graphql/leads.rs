//! A tenant's leads.

use async_graphql::connection::Connection;
use async_graphql::futures_util::Stream;
use async_graphql::futures_util::stream;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::broadcast::error::RecvError;

use super::context::{connection, page_size, state, tenant_scope, uuid, uuid_cursor};
use super::error::FieldResult;
use super::guards::RoleGuard;
use crate::entities::account::Role;
use crate::entities::lead;
use crate::services::leads::{self, DayCount, LeadFilter};

#[derive(Default)]
pub struct LeadsQuery;

/// What a field that reads all of a tenant's leads in a window counts in the complexity budget
/// (`graphql.max_complexity`, 1000 by default): a document holds a few, never dozens, so one
/// tenant's request cannot hold the connections every tenant shares.
const SCAN_COMPLEXITY: usize = 100;

#[derive(InputObject, Default)]
pub struct LeadsFilter {
    /// Catalog key of the app whose host received the form.
    pub app: Option<String>,
    /// Received at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// This exact address.
    pub email: Option<String>,
    /// Any part of the address or the name, in any case (at most 100 characters).
    pub search: Option<String>,
}

#[Object]
impl LeadsQuery {
    /// Contact-form leads, newest first. A `search` reads every lead of the tenant, so it weighs
    /// [`SCAN_COMPLEXITY`] in the document's complexity budget.
    #[graphql(
        guard = "RoleGuard(Role::Member)",
        complexity = "child_complexity + if filter.as_ref().is_some_and(|f| f.search.is_some()) { SCAN_COMPLEXITY } else { 1 }"
    )]
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
            search: filter.search,
        };
        let state = state(ctx);
        let _scan = match filter.search {
            Some(_) => Some(state.scans.permit().await?),
            None => None,
        };
        let (rows, more) = leads::page(&state.db, &tenant, &filter, first, cursor).await?;
        Ok(connection(rows, more, after.is_some(), |l| {
            (l.id.to_string(), l.into())
        }))
    }

    /// Leads counted per UTC day and app over the last `days` days, today included (at most 90),
    /// oldest first; days without leads are left out. It reads every lead of the window, so it
    /// weighs [`SCAN_COMPLEXITY`] in the document's complexity budget.
    #[graphql(
        guard = "RoleGuard(Role::Member)",
        complexity = "child_complexity + SCAN_COMPLEXITY"
    )]
    async fn leads_per_day(
        &self,
        ctx: &Context<'_>,
        tenant_slug: Option<String>,
        #[graphql(default = 30)] days: i32,
    ) -> FieldResult<Vec<LeadDay>> {
        let tenant = tenant_scope(ctx, tenant_slug).await?;
        let days = u32::try_from(days).unwrap_or(0);
        let state = state(ctx);
        let _scan = state.scans.permit().await?;
        let counts = leads::per_day(&state.db, &tenant, days, Utc::now()).await?;
        Ok(counts.into_iter().map(LeadDay::from).collect())
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

#[derive(Default)]
pub struct LeadsSubscription;

#[Subscription(name = "Subscription")]
impl LeadsSubscription {
    /// Each lead stored for the caller's tenant from now on (of one app, when `app` names one),
    /// from any instance: who may read `leads` may follow them.
    #[graphql(guard = "RoleGuard(Role::Member)")]
    async fn lead_created(
        &self,
        ctx: &Context<'_>,
        app: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = Lead> + use<>> {
        let tenant = tenant_scope(ctx, None).await?.id();
        let receiver = state(ctx).live_leads.subscribe();
        let wanted = move |lead: &lead::Model| {
            lead.tenant_id == tenant
                && app
                    .as_ref()
                    .is_none_or(|app| lead.app.as_ref() == Some(app))
        };
        Ok(stream::unfold(receiver, move |mut receiver| {
            let wanted = wanted.clone();
            async move {
                loop {
                    match receiver.recv().await {
                        Ok(lead) if wanted(&lead) => {
                            return Some((Lead::from(lead::Model::clone(&lead)), receiver));
                        }
                        // Another tenant's, or one this subscriber fell too far behind to see.
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        }))
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

/// How many leads one app received on one day.
#[derive(SimpleObject, Clone, Debug)]
pub struct LeadDay {
    /// The day, in UTC.
    pub day: NaiveDate,
    /// Catalog key of the app whose hosts received them; null for the platform's own hosts.
    pub app: Option<String>,
    pub leads: i32,
}

impl From<DayCount> for LeadDay {
    fn from(count: DayCount) -> Self {
        Self {
            day: count.day,
            app: count.app,
            leads: i32::try_from(count.leads).unwrap_or(i32::MAX),
        }
    }
}
