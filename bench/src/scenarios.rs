//! The scenarios: what each sends, and what a correct answer looks like (checked once before the
//! load, so a benchmark of error pages cannot pass for a fast one).

use std::error::Error;

use tenantry::config::Config;
use tenantry::services::{demo, tenants};

use crate::load::Shape;
use crate::seed::Seeded;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The query of the GraphQL scenarios and of the peer.
const VIEWER: &str = r#"{"query":"{ viewer { tenant { slug } role } }"}"#;
/// The same document, by itself: what scenario 5g sends the SHA-256 of.
const VIEWER_DOCUMENT: &str = "{ viewer { tenant { slug } role } }";
const LEADS: &str = r#"{"query":"{ leads(first: 20) { nodes { id email firstName createdAt } pageInfo { hasNextPage endCursor } } }"}"#;
const CONTACT: &str = r#"{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace","message":"A quote for 40 cars, please.","source_page":"/fleet"}"#;

/// Which server a scenario loads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Tenantry,
    /// The same Tenantry server's configuration and database, with its request log off.
    LogOff,
    Peer,
}

pub struct Scenario {
    pub id: &'static str,
    pub name: &'static str,
    pub target: Target,
    pub shape: Shape,
    /// The status every answer must have.
    pub status: u16,
    /// Text the answer must contain.
    pub contains: &'static str,
    /// Only reads: a write per request here is a finding.
    pub read_only: bool,
    /// Sent once before the check (and the load): what the scenario relies on the server holding.
    pub prepare: Option<Shape>,
}

pub struct Scenarios(Vec<Scenario>);

impl Scenarios {
    pub fn get(&self, id: &str) -> Result<&Scenario> {
        Ok(self
            .0
            .iter()
            .find(|scenario| scenario.id == id)
            .ok_or_else(|| format!("no scenario {id}"))?)
    }
}

impl Scenario {
    /// Every scenario, with the credentials `seeded` minted.
    pub fn all(seeded: &Seeded) -> Scenarios {
        let host = tenants::system_host(&Config::default(), demo::DEMO_SLUG, "TAXI_PASSENGER")
            .expect("the demo host is valid");
        let scenario = |id, name, shape, status, contains, read_only| Scenario {
            id,
            name,
            target: match id {
                "1b" | "6b" | "7b" => Target::Peer,
                "5o" => Target::LogOff,
                _ => Target::Tenantry,
            },
            shape,
            status,
            contains,
            read_only,
            prepare: None,
        };
        let bearer = format!("Bearer {}", seeded.access_token);
        let key_viewer = Shape::post_json("/graphql", VIEWER.into())
            .header("X-Api-Key", seeded.secret_key.clone());
        let leads =
            Shape::post_json("/graphql", LEADS.into()).header("Authorization", bearer.clone());
        let contact = Shape::post_json("/api/contact", CONTACT.into()).header("Host", host.clone());
        Scenarios(vec![
            scenario(
                "1",
                "baseline: GET /healthz",
                Shape::get("/healthz"),
                200,
                "ok",
                true,
            ),
            scenario(
                "1b",
                "peer: axum + async-graphql, viewer query, no tenancy",
                Shape::post_json("/graphql", VIEWER.into()),
                200,
                r#""slug":"acme""#,
                true,
            ),
            scenario(
                "2",
                "GET /api/branding by Host",
                Shape::get("/api/branding").header("Host", host.clone()),
                200,
                "Acme Rides",
                true,
            ),
            scenario(
                "3",
                "GET /.well-known/apple-app-site-association by Host",
                Shape::get("/.well-known/apple-app-site-association").header("Host", host),
                200,
                "applinks",
                true,
            ),
            scenario(
                "4",
                "GraphQL viewer, Bearer JWT",
                Shape::post_json("/graphql", VIEWER.into()).header("Authorization", bearer.clone()),
                200,
                r#""slug":"acme""#,
                true,
            ),
            scenario(
                "5",
                "GraphQL viewer, btk_ key",
                key_viewer.clone(),
                200,
                r#""slug":"acme""#,
                true,
            ),
            scenario(
                "5o",
                "5 with the request log off (RUST_LOG=warn)",
                key_viewer,
                200,
                r#""slug":"acme""#,
                true,
            ),
            Scenario {
                prepare: Some(register_viewer().header("X-Api-Key", seeded.secret_key.clone())),
                ..scenario(
                    "5g",
                    "5 by persisted query over GET (the hash alone)",
                    Shape::get(viewer_by_hash()).header("X-Api-Key", seeded.secret_key.clone()),
                    200,
                    r#""slug":"acme""#,
                    true,
                )
            },
            scenario(
                "6",
                "GraphQL leads(first: 20) of 10k, Bearer JWT",
                leads.clone(),
                200,
                r#""hasNextPage":true"#,
                true,
            ),
            scenario(
                "6b",
                "peer: axum + async-graphql + sea-orm, the same page, no tenancy",
                leads,
                200,
                r#""hasNextPage":true"#,
                true,
            ),
            scenario(
                "7",
                "POST /api/contact (a write)",
                contact.clone(),
                201,
                "ada@example.com",
                false,
            ),
            scenario(
                "7b",
                "peer: axum + sea-orm, the same insert, no tenancy",
                contact,
                201,
                "ada@example.com",
                false,
            ),
            scenario(
                "9",
                "unknown-host flood: GET /api/branding, a new random host each",
                Shape::get("/api/branding").random_hosts(),
                404,
                "",
                true,
            ),
        ])
    }

    /// Sends the scenario's request once and checks the answer.
    pub async fn check(&self, base: &str) -> Result<()> {
        if let Some(prepare) = &self.prepare {
            let (status, body) = prepare.send_once(base).await?;
            if status != 200 || body.contains("\"errors\"") {
                return Err(
                    format!("scenario {} could not prepare: {status}: {body}", self.id).into(),
                );
            }
        }
        let (status, body) = self.shape.send_once(base).await?;
        if status != self.status || !body.contains(self.contains) || body.contains("\"errors\"") {
            return Err(format!(
                "scenario {} expects {} with {:?}; got {status}: {body}",
                self.id, self.status, self.contains
            )
            .into());
        }
        Ok(())
    }
}

/// `extensions` of an automatic persisted query of [`VIEWER_DOCUMENT`].
fn persisted_viewer() -> String {
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(VIEWER_DOCUMENT));
    serde_json::json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string()
}

/// `GET /graphql` with only the hash of [`VIEWER_DOCUMENT`], as Apollo's clients send it.
fn viewer_by_hash() -> &'static str {
    let url = reqwest::Url::parse_with_params(
        "http://bench/graphql",
        [("extensions", persisted_viewer())],
    )
    .expect("a valid URL");
    // One string for the whole run.
    Box::leak(format!("{}?{}", url.path(), url.query().unwrap_or_default()).into_boxed_str())
}

/// Registers [`VIEWER_DOCUMENT`] under its hash: the document and the hash in one POST.
fn register_viewer() -> Shape {
    let body = serde_json::json!({
        "query": VIEWER_DOCUMENT,
        "extensions": serde_json::from_str::<serde_json::Value>(&persisted_viewer()).unwrap(),
    });
    Shape::post_json("/graphql", body.to_string())
}
