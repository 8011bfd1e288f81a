//! sea-orm entities: the database's shape and nothing else. Rules live in `services`.

pub mod app_link;
pub mod branding;
pub mod cache_epoch;
pub mod lead;
pub mod tenant;
pub mod tenant_domain;
