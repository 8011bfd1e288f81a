//! Rendered documents of the Host routes, kept until a cache event names their tenant or the
//! hosts: a request for one costs a map look-up rather than a query, a serialisation and a hash.
//! How they are answered (the `ETag`, `304 Not Modified`) is the HTTP layer's.

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::HeaderValue;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::cache::DbCache;
use crate::config::Config;
use crate::error::AppError;
use crate::metrics::Metrics;

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

    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The strong `ETag`, quoted.
    pub fn etag(&self) -> &HeaderValue {
        &self.etag
    }

    pub fn content_type(&self) -> &'static str {
        self.content_type
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
                config.tenancy.cache_capacity,
                config.tenancy.cache_ttl,
            ),
        }
    }

    /// `kind` of `host` (whose tenant is `tenant`) as last rendered, or rendered now from what
    /// `read` loads.
    pub async fn get<T, F, Fut>(
        &self,
        kind: Document,
        host: &str,
        tenant: Uuid,
        read: F,
    ) -> Result<Arc<Rendered>, AppError>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let (_, rendered) = self
            .cache
            .get_or_load((kind, host.to_owned()), || async move {
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
