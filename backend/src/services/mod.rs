//! Business rules shared by the REST routes, the GraphQL schema and the CLI. Services take a
//! database connection and plain values; they know nothing of HTTP or GraphQL.

pub mod accounts;
pub mod api_keys;
pub mod app_links;
pub mod audit;
pub mod branding;
pub mod demo;
pub mod domains;
pub mod email_codes;
pub mod leads;
pub mod mail;
pub mod passkeys;
pub mod passwords;
pub mod sessions;
pub mod tenants;
