//! Discovery fields cost their caller's budget one by one. `tenantDiscovery` and
//! `subdomainAvailable` answer anyone, and under aliases one request could ask hundreds of them:
//! for callers without a secret credential, each one after the first spends one more request of
//! the client's per-IP `/graphql` budget (the guard spent one for the request itself).
//! [`super::hooks`] spends it as each field resolves.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::ServerError;
use async_graphql::extensions::{ExtensionContext, ResolveInfo};

use super::error::field_error;
use crate::auth::principal::CallerIp;
use crate::auth::principal::Principal;
use crate::state::AppState;

const DISCOVERY: [&str; 2] = ["tenantDiscovery", "subdomainAvailable"];

/// Spends a discovery field's request of the budget; `spent` counts the request's discovery
/// fields so far.
pub async fn spend(
    ctx: &ExtensionContext<'_>,
    info: &ResolveInfo<'_>,
    spent: &AtomicUsize,
) -> Result<(), ServerError> {
    if info.parent_type != "Query" || !DISCOVERY.contains(&info.name) {
        return Ok(());
    }
    let anonymous = Principal::anonymous();
    let principal = ctx.data_opt::<Principal>().unwrap_or(&anonymous);
    let limited = principal.tenant.is_none() || principal.is_public_key();
    let earlier = spent.fetch_add(1, Ordering::Relaxed);
    if limited
        && earlier > 0
        && let (Some(state), Some(CallerIp(ip))) =
            (ctx.data_opt::<AppState>(), ctx.data_opt::<CallerIp>())
        && let Err(refused) = state.limits.graphql_ip(*ip).await
    {
        return Err(field_error(refused, info.alias.unwrap_or(info.name)));
    }
    Ok(())
}
