//! Enforces [`crate::auth::step_up`] for the whole `Mutation` type: before any mutation the list
//! names runs, a person's token must carry a recent elevation. One check for every mutation, so a
//! mutation added to the list is guarded without touching its resolver.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};

use super::error::field_error;
use crate::auth::principal::Principal;
use crate::auth::step_up;

pub struct StepUp;

impl ExtensionFactory for StepUp {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(StepUpCheck)
    }
}

struct StepUpCheck;

#[async_trait::async_trait]
impl Extension for StepUpCheck {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type == "Mutation" && step_up::mutation_needs_step_up(info.name) {
            let anonymous = Principal::anonymous();
            let principal = ctx.data_opt::<Principal>().unwrap_or(&anonymous);
            if let Err(refused) = step_up::require(principal) {
                return Err(field_error(refused, info.alias.unwrap_or(info.name)));
            }
        }
        next.run(ctx, info).await
    }
}
