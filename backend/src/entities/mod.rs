//! sea-orm entities: the database's shape and nothing else. Rules live in `services`.

pub mod account;
pub mod api_key;
pub mod app_link;
pub mod audit_event;
pub mod branding;
pub mod cache_event;
pub mod domain_claim;
pub mod email_challenge;
pub mod jwt_key;
pub mod lead;
pub mod outbox_message;
pub mod passkey;
pub mod password_reset;
pub mod refresh_token;
pub mod server_secret;
pub mod session;
pub mod tenant;
pub mod tenant_domain;
pub mod webauthn_ceremony;
