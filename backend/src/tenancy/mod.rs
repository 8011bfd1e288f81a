//! Which tenant a request belongs to, when only its host can say: host normalisation, the app
//! catalog, slug rules, and the cached host → (tenant, app) resolver.

pub mod catalog;
pub mod context;
pub mod host;
pub mod known_hosts;
pub mod resolver;
pub mod slug;
