//! Cacheable JSON answers for the Host routes, rendered once per host and change: the bytes and
//! their `ETag` are kept until a cache event names their tenant or the hosts, so a request costs a
//! map look-up rather than a query, a serialisation and a hash.

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::cache::DbCache;
use crate::config::Config;
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::tenancy::resolver::HostTenant;

/// The answer depends on the host, which may arrive in any of these from a trusted proxy.
const VARY: &str = "Host, X-Forwarded-Host, Forwarded";

/// The documents a tenant's host serves.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Document {
    Branding,
    AppleAppSiteAssociation,
    AssetLinks,
    /// The related origins, in the scheme the client used (`https` in production).
    Webauthn {
        scheme: &'static str,
    },
}

/// A document with a strong `ETag` over its bytes.
pub struct Rendered {
    body: Bytes,
    etag: HeaderValue,
    content_type: &'static str,
}

impl Rendered {
    /// `document` as JSON.
    pub fn of(document: &impl Serialize) -> Result<Self, AppError> {
        let body = serde_json::to_vec(document).map_err(AppError::internal)?;
        Ok(Self::bytes(body.into(), "application/json"))
    }

    pub fn bytes(body: Bytes, content_type: &'static str) -> Self {
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", hex::encode(&digest[..16]));
        Self {
            body,
            etag: HeaderValue::from_str(&etag).expect("hex digits make a valid header value"),
            content_type,
        }
    }

    /// The document, or `304 Not Modified` when the client already holds it (RFC 9110 §13.1.2).
    pub fn respond(&self, request: &HeaderMap, cache_control: &'static str) -> Response {
        let headers = [
            (header::ETAG, self.etag.clone()),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            ),
            (header::VARY, HeaderValue::from_static(VARY)),
        ];
        if matches_if_none_match(request, self.etag.as_bytes()) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        let content_type = [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        )];
        (headers, content_type, self.body.clone()).into_response()
    }
}

/// Rendered documents by kind and host (a document may show the host itself), with the tenant
/// they show.
pub struct Documents {
    cache: DbCache<(Document, String), (Uuid, Arc<Rendered>)>,
}

impl Documents {
    pub fn new(config: &Config, metrics: Arc<Metrics>) -> Self {
        Self {
            cache: DbCache::new(
                "documents",
                metrics,
                config.cache_capacity,
                config.cache_ttl,
            ),
        }
    }

    /// `kind` of `host` as last rendered, or rendered now from what `read` loads.
    pub async fn get<T, F, Fut>(
        &self,
        kind: Document,
        host: &HostTenant,
        read: F,
    ) -> Result<Arc<Rendered>, AppError>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let tenant = host.tenant.id();
        let (_, rendered) = self
            .cache
            .get_or_load((kind, host.host.clone()), || async move {
                Ok((tenant, Arc::new(Rendered::of(&read().await?)?)))
            })
            .await?;
        Ok(rendered)
    }

    /// Drops the documents of tenant `id`: its branding, app links or status changed.
    pub fn tenant_changed(&self, id: Uuid) {
        self.cache
            .invalidate_if(move |_, (tenant, _)| *tenant == id);
    }

    pub fn invalidate_all(&self) {
        self.cache.invalidate_all();
    }
}

/// `If-None-Match` holds `*` or our tag; weak comparison, as the RFC asks for this header.
fn matches_if_none_match(request: &HeaderMap, etag: &[u8]) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .any(|tag| tag == b"*" || tag.strip_prefix(b"W/").unwrap_or(tag) == etag)
}
