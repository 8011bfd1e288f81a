//! The extractors that give a Host route its tenant. They run before any body is read, so a request
//! for an unknown host is refused without reading what it sent.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::client_ip;
use crate::error::AppError;
use crate::state::AppState;
use crate::tenancy::host::{self, HostError, RequestHost};
use crate::tenancy::resolver::{HostTenant, Resolution};

/// The tenant and app of the request's host.
pub struct FromHost(pub Arc<HostTenant>);

/// As [`FromHost`], for the contact form, whose "not configured" answer adds that no lead was taken.
pub struct LeadHost(pub Arc<HostTenant>);

impl FromRequestParts<AppState> for FromHost {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let forwarded = client_ip::believed(client_ip::peer(parts), &state.config);
        let authority = parts.uri.authority().map(|a| a.as_str());
        let host =
            host::from_request(&parts.headers, authority, forwarded).map_err(|e| match e {
                HostError::Missing => AppError::MissingHost,
                HostError::Invalid => AppError::InvalidHost,
            })?;
        let name = match host {
            RequestHost::Name(name) => name,
            ip @ RequestHost::Ip(_) => return Err(AppError::DomainNotConfigured(ip.to_string())),
        };
        match state.resolver.resolve(&state.db, &name).await? {
            // The tenant's budget is for its authenticated API traffic: anonymous Host traffic is
            // limited per client IP instead, so no visitor can spend a tenant's budget.
            Resolution::Tenant(tenant) => {
                tracing::Span::current().record("tenant", tenant.tenant.slug());
                Ok(FromHost(tenant))
            }
            Resolution::Suspended => Err(AppError::TenantNotFound),
            Resolution::NotConfigured => Err(AppError::DomainNotConfigured(name)),
        }
    }
}

impl FromRequestParts<AppState> for LeadHost {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match FromHost::from_request_parts(parts, state).await {
            Ok(FromHost(tenant)) => Ok(LeadHost(tenant)),
            Err(AppError::DomainNotConfigured(host)) => {
                Err(AppError::LeadDomainNotConfigured(host))
            }
            Err(err) => Err(err),
        }
    }
}
