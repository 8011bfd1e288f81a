//! Facts about the service itself, answerable by anyone.

use async_graphql::Object;

#[derive(Default)]
pub struct MetaQuery;

#[Object]
impl MetaQuery {
    /// The version of Tenantry answering this request.
    async fn api_version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
}
