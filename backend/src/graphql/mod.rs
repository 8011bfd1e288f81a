//! The GraphQL schema served at `/graphql`: one object per domain, merged here.

mod meta;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, SDLExportOptions, Schema};

use crate::state::AppState;

#[derive(MergedObject, Default)]
pub struct Query(meta::MetaQuery);

pub type AppSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// The schema with the application's state in its context.
pub fn build_schema(state: AppState) -> AppSchema {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .data(state)
        .finish()
}

/// The schema's SDL, sorted so the committed `schema.graphql` diffs cleanly.
pub fn sdl() -> String {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .finish()
        .sdl_with_options(
            SDLExportOptions::new()
                .sorted_fields()
                .sorted_arguments()
                .sorted_enum_items(),
        )
}
