//! Business rules shared by the REST routes, the GraphQL schema and the CLI. Services take a
//! database connection and plain values; they know nothing of HTTP or GraphQL.

pub mod accounts;
pub mod api_keys;
pub mod app_links;
pub mod audit;
pub mod branding;
pub mod custom_domains;
pub mod demo;
pub mod devices;
pub mod discovery;
pub mod domain_checks;
pub mod domains;
pub mod email_codes;
pub mod identity;
pub mod invitations;
pub mod leads;
pub mod mail;
pub mod passkeys;
pub mod passwords;
pub mod sessions;
pub mod tenants;
pub mod text;

use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect, Select};

use crate::error::AppError;

/// The first `first` rows of an ordered query, and whether more follow (one extra row is read to
/// tell, instead of a count).
pub(crate) async fn page_of<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    first: u64,
) -> Result<(Vec<E::Model>, bool), AppError> {
    let mut rows = query.limit(first + 1).all(db).await?;
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok((rows, more))
}
