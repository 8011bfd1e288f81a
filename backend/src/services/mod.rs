//! Business rules shared by the REST routes, the GraphQL schema and the CLI. Services take a
//! database connection and plain values; they know nothing of HTTP or GraphQL.

pub mod accounts;
pub mod api_keys;
pub mod app_links;
pub mod branding;
pub mod demo;
pub mod domains;
pub mod leads;
pub mod tenants;
