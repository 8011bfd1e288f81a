//! The peers: the smallest server a user would write instead of Tenantry. Same web framework,
//! same GraphQL library, same ORM, same runtime; no tenancy, no credentials, no limits, no logging.
//!
//! - 1b: `{ viewer { tenant { slug } role } }` answered from hard-coded data;
//! - 6b: `leads(first: …)`, one page of a tenant's leads read with sea-orm;
//! - 7b: `POST /api/contact`, a lead inserted with sea-orm.
//!
//! `bench-peer ADDR [DATABASE_URL TENANT_ID]`: the database routes need the database Tenantry's
//! benchmark seeded, opened with the same connection settings as Tenantry's, so that the two
//! compare request paths rather than SQLite pragmas.

use std::net::SocketAddr;

use async_graphql::{Context, EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};
use async_graphql_axum::GraphQL;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{post, post_service};
use axum::{Json, Router};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sea_orm::{QueryOrder, QuerySelect, Set};
use serde::Deserialize;
use serde_json::{Value, json};
use tenantry::entities::lead;
use uuid::Uuid;

#[derive(SimpleObject)]
struct Tenant {
    slug: &'static str,
}

#[derive(SimpleObject)]
struct Viewer {
    tenant: Tenant,
    role: &'static str,
}

#[derive(SimpleObject)]
#[graphql(name = "Lead")]
struct LeadNode {
    id: ID,
    email: String,
    first_name: Option<String>,
    created_at: String,
}

#[derive(SimpleObject)]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(SimpleObject)]
struct LeadPage {
    nodes: Vec<LeadNode>,
    page_info: PageInfo,
}

/// The database and the one tenant whose leads the peer serves.
#[derive(Clone)]
struct Db {
    connection: DatabaseConnection,
    tenant: Uuid,
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

    /// Newest first, as Tenantry pages them (by UUIDv7 id).
    async fn leads(&self, ctx: &Context<'_>, first: u64) -> async_graphql::Result<LeadPage> {
        let db = ctx.data::<Db>()?;
        let mut rows = lead::Entity::find()
            .filter(lead::Column::TenantId.eq(db.tenant))
            .order_by_desc(lead::Column::Id)
            .limit(first + 1)
            .all(&db.connection)
            .await?;
        let has_next_page = rows.len() as u64 > first;
        rows.truncate(first as usize);
        let end_cursor = rows.last().map(|row| row.id.to_string());
        Ok(LeadPage {
            nodes: rows
                .into_iter()
                .map(|row| LeadNode {
                    id: ID(row.id.to_string()),
                    email: row.email,
                    first_name: row.first_name,
                    created_at: row.created_at.to_rfc3339(),
                })
                .collect(),
            page_info: PageInfo {
                has_next_page,
                end_cursor,
            },
        })
    }
}

#[derive(Deserialize)]
struct ContactForm {
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    message: Option<String>,
    source_page: Option<String>,
}

async fn contact(State(db): State<Db>, Json(form): Json<ContactForm>) -> (StatusCode, Json<Value>) {
    if !form.email.contains('@') {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": "email" })),
        );
    }
    let inserted = lead::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(db.tenant),
        app: Set(None),
        email: Set(form.email),
        first_name: Set(form.first_name),
        last_name: Set(form.last_name),
        message: Set(form.message),
        source_page: Set(form.source_page),
        host: Set("peer".into()),
        idempotency_key: Set(None),
        request_hash: Set(None),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&db.connection)
    .await;
    match inserted {
        Ok(lead) => (
            StatusCode::CREATED,
            Json(json!({ "id": lead.id, "email": lead.email })),
        ),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": err.to_string() })),
        ),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bind: SocketAddr = args
        .next()
        .and_then(|arg| arg.parse().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8090)));
    let db = match (args.next(), args.next()) {
        (Some(url), Some(tenant)) => {
            let mut config = tenantry::config::Config::default();
            config.database.url = url;
            Some(Db {
                connection: tenantry::db::connect(&config).await?,
                tenant: tenant.parse()?,
            })
        }
        _ => None,
    };
    let mut schema = Schema::build(Query, EmptyMutation, EmptySubscription);
    if let Some(db) = &db {
        schema = schema.data(db.clone());
    }
    let mut app = Router::new().route("/graphql", post_service(GraphQL::new(schema.finish())));
    if let Some(db) = db {
        app = app.merge(
            Router::new()
                .route("/api/contact", post(contact))
                .with_state(db),
        );
    }
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
