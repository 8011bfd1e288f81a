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

/// Bytes of document text that cost one request of a per-IP budget.
pub const BYTES_PER_REQUEST: usize = 2048;

/// What a document's text costs a per-IP budget beyond the request that carried it: one request
/// per [`BYTES_PER_REQUEST`], so a document near the size limits buys no more work than the same
/// number of small requests would.
pub fn beyond_the_request(query: &str) -> usize {
    query.len() / BYTES_PER_REQUEST
}

/// The same charge for a document sent by its persisted-query hash, known only once the hash is
/// looked up: the transport charged the short request that carried the hash.
pub async fn spend_by_hash(
    ctx: &ExtensionContext<'_>,
    request: &async_graphql::Request,
) -> Result<(), ServerError> {
    let beyond = u32::try_from(beyond_the_request(&request.query)).unwrap_or(u32::MAX);
    let data = |id| request.data.get(&id);
    let principal = data(std::any::TypeId::of::<Principal>())
        .and_then(|principal| principal.downcast_ref::<Principal>());
    let secret = principal.is_some_and(|p| p.tenant.is_some() && !p.is_public_key());
    let caller = data(std::any::TypeId::of::<CallerIp>())
        .and_then(|caller| caller.downcast_ref::<CallerIp>());
    if beyond == 0 || secret {
        return Ok(());
    }
    if let (Some(state), Some(CallerIp(ip))) = (ctx.data_opt::<AppState>(), caller)
        && let Err(refused) = state.limits.graphql_ip_weighing(*ip, beyond).await
    {
        let mut error = field_error(refused, "");
        error.path.clear();
        return Err(error);
    }
    Ok(())
}

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
