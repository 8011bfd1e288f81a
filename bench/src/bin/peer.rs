//! The peer of the GraphQL scenarios: the smallest server a user would write instead of Tenantry,
//! answering `{ viewer { tenant { slug } role } }` from hard-coded data. Same web framework, same
//! GraphQL library, same runtime; no tenancy, no credentials, no limits, no logging.

use std::net::SocketAddr;

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject};
use async_graphql_axum::GraphQL;
use axum::Router;
use axum::routing::post_service;

#[derive(SimpleObject)]
struct Tenant {
    slug: &'static str,
}

#[derive(SimpleObject)]
struct Viewer {
    tenant: Tenant,
    role: &'static str,
}

struct Query;

#[Object]
impl Query {
    async fn viewer(&self) -> Viewer {
        Viewer {
            tenant: Tenant { slug: "acme" },
            role: "ADMIN",
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let bind: SocketAddr = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8090)));
    let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
    let app = Router::new().route("/graphql", post_service(GraphQL::new(schema)));
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, app).await
}
