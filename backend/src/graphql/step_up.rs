//! Enforces [`crate::auth::step_up`] for the whole `Mutation` type: before any mutation the list
//! names runs, a person's token must carry a recent elevation. One check for every mutation (made
//! by [`super::hooks`] as each field resolves), so a mutation added to the list is guarded without
//! touching its resolver.

use async_graphql::ServerError;
use async_graphql::extensions::{ExtensionContext, ResolveInfo};

use super::error::field_error;
use crate::auth::principal::Principal;
use crate::auth::step_up;

/// The refusal of a listed mutation for a caller without a recent elevation.
pub fn check(ctx: &ExtensionContext<'_>, info: &ResolveInfo<'_>) -> Result<(), ServerError> {
    if info.parent_type == "Mutation" && step_up::mutation_needs_step_up(info.name) {
        let anonymous = Principal::anonymous();
        let principal = ctx.data_opt::<Principal>().unwrap_or(&anonymous);
        if let Err(refused) = step_up::require(principal) {
            return Err(field_error(refused, info.alias.unwrap_or(info.name)));
        }
    }
    Ok(())
}
