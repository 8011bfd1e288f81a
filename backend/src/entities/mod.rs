//! sea-orm entities: the database's shape and nothing else. Rules live in `services`.

pub mod account;
pub mod api_key;
pub mod app_link;
pub mod branding;
pub mod cache_epoch;
pub mod jwt_key;
pub mod lead;
pub mod tenant;
pub mod tenant_domain;
