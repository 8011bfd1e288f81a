//! The GraphQL schema served at `/graphql`: one object per domain, merged here. Each domain's
//! module holds its resolvers and, beside them, its output and input types: they wrap entities
//! and service values (entities never derive GraphQL, so the database and the API change apart).

mod accounts;
mod api_keys;
mod budget;
mod context;
mod discovery;
mod documents;
mod domains;
mod error;
mod guards;
mod hooks;
mod identity;
mod leads;
mod limits;
mod meta;
mod persisted;
mod settings;
mod step_up;
mod tenants;
mod viewer;

use async_graphql::{MergedObject, SDLExportOptions, Schema, SchemaBuilder};

use crate::state::AppState;

pub use self::budget::{BYTES_PER_REQUEST, beyond_the_request};
pub use self::error::codes;
pub use self::hooks::{ONLY_QUERIES_OVER_GET, OverGet};
pub use self::persisted::is_malformed as is_malformed_persisted_query;

#[derive(MergedObject, Default)]
pub struct Query(
    meta::MetaQuery,
    discovery::DiscoveryQuery,
    viewer::ViewerQuery,
    tenants::TenantsQuery,
    api_keys::ApiKeysQuery,
    domains::DomainsQuery,
    accounts::AccountsQuery,
    leads::LeadsQuery,
    identity::IdentityQuery,
    settings::SettingsQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    tenants::TenantsMutation,
    api_keys::ApiKeysMutation,
    settings::SettingsMutation,
    accounts::AccountsMutation,
    identity::IdentityMutation,
    domains::DomainsMutation,
);

pub type Subscription = leads::LeadsSubscription;

pub type AppSchema = Schema<Query, Mutation, Subscription>;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
}

/// The schema with the application's state in its context and the configured limits.
pub fn build_schema(state: AppState) -> AppSchema {
    let config = state.config.clone();
    let mut schema = builder()
        .data(state)
        .limit_depth(config.graphql.max_depth)
        .limit_complexity(config.graphql.max_complexity)
        .extension(hooks::Hooks::new(limits::DocumentLimits {
            aliases: config.graphql.max_aliases,
            nodes: config.graphql.max_nodes,
            bytes: config.graphql.max_query_bytes,
        }));
    if !config.graphql.introspection {
        schema = schema.disable_introspection();
    }
    schema.finish()
}

/// The schema's SDL, sorted so the committed `schema.graphql` diffs cleanly.
pub fn sdl() -> String {
    builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}
