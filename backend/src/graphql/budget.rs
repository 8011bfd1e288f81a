//! Discovery fields cost their caller's budget one by one. `tenantDiscovery` and
//! `subdomainAvailable` answer anyone, and under aliases one request could ask hundreds of them:
//! for callers without a secret credential, each one after the first spends one more request of
//! the client's per-IP `/graphql` budget (the guard spent one for the request itself).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};

use super::error::field_error;
use crate::auth::principal::CallerIp;
use crate::auth::principal::Principal;
use crate::state::AppState;

const DISCOVERY: [&str; 2] = ["tenantDiscovery", "subdomainAvailable"];

pub struct DiscoveryBudget;

impl ExtensionFactory for DiscoveryBudget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Spent::default())
    }
}

/// Discovery fields resolved so far in this request.
#[derive(Default)]
struct Spent(AtomicUsize);

#[async_trait::async_trait]
impl Extension for Spent {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type == "Query" && DISCOVERY.contains(&info.name) {
            let anonymous = Principal::anonymous();
            let principal = ctx.data_opt::<Principal>().unwrap_or(&anonymous);
            let limited = principal.tenant.is_none() || principal.is_public_key();
            let earlier = self.0.fetch_add(1, Ordering::Relaxed);
            if limited
                && earlier > 0
                && let (Some(state), Some(CallerIp(ip))) =
                    (ctx.data_opt::<AppState>(), ctx.data_opt::<CallerIp>())
                && let Err(refused) = state.limits.graphql_ip(*ip).await
            {
                return Err(field_error(refused, info.alias.unwrap_or(info.name)));
            }
        }
        next.run(ctx, info).await
    }
}
