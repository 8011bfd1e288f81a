//! Who is asking on `/graphql`: credentials in, a [`principal::Principal`] out. Nothing a client
//! sends in an identity header is believed; the guard strips them all and re-asserts from the
//! credential alone.

pub mod api_key_format;
pub mod directory;
pub mod jwt;
pub mod master_key;
pub mod password;
pub mod principal;
pub mod secrets;
pub mod server_secrets;
pub mod step_up;
pub mod usage;
