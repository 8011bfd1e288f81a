//! Tenantry: a multi-tenant platform backend. A request's tenant comes from what its caller proves
//! (`/graphql`) or from the host it was sent to (the REST side routes), never from what it claims.

pub mod auth;
pub mod background;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod rate_limit;
pub mod scans;
pub mod services;
pub mod state;
pub mod telemetry;
pub mod tenancy;

#[cfg(test)]
mod layers;

use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;

use crate::auth::jwt::TokenService;
use crate::auth::master_key::MasterKey;
use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    /// `GET /metrics`, on its own address when one is configured.
    metrics_listener: Option<TcpListener>,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies migrations, and binds `config.http.bind` (port 0: any free port).
    /// With `demo`, mail kept in the outbox is also printed to stdout.
    pub async fn build(config: Config, demo: bool) -> Result<Self, AppError> {
        // Both rustls providers are in the build (aws-lc through lettre and jsonwebtoken, ring
        // through sqlx); anything asking for the process default would panic without a choice.
        // An error means one is installed already (a second app in the same process).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let config = config
            .checked()
            .and_then(tenancy::checked_config)
            .map_err(AppError::internal)?;
        let db = db::connect(&config).await?;
        db::migrate(&db).await?;
        let listener = TcpListener::bind(config.http.bind).await.map_err(|e| {
            AppError::internal(format!("cannot listen on {}: {e}", config.http.bind))
        })?;
        let metrics_listener = match config.http.metrics_bind {
            Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| {
                AppError::internal(format!("cannot listen for metrics on {addr}: {e}"))
            })?),
            None => None,
        };
        let master = MasterKey::configured(&config.secrets)
            .map_err(AppError::internal)?
            .ok_or_else(|| {
                AppError::internal(
                    "the server needs a master key: set TENANTRY_MASTER_KEY or \
                     secrets.master_key_file (make one with `tenantry masterkey generate`)",
                )
            })?;
        let sealed = TokenService::seal_keys_at_rest(&db, &master).await?;
        if sealed > 0 {
            tracing::info!(
                keys = sealed,
                "signing keys stored plain were encrypted under the master key"
            );
        }
        TokenService::ensure_signing_key(&db, &master).await?;
        let decoys = services::passkeys::Decoys::load(&db, &master).await?;
        let next_event = cache::events::next_event(&db).await?;
        Ok(Self {
            listener,
            metrics_listener,
            state: AppState::new(db, config, demo, master, decoys, next_event)?,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where `GET /metrics` is served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state;
        let mut tasks = background::spawn(&state);
        if let Some(listener) = self.metrics_listener {
            let (metrics, db) = (state.metrics.clone(), state.db.clone());
            tasks.spawn(async move {
                if let Err(err) = metrics::serve(listener, metrics, db).await {
                    tracing::error!(error = %err, "the metrics endpoint stopped");
                }
            });
        }
        let app = http::app(state.clone());
        let header_read_timeout = state.config.http.header_read_timeout;
        let served = http::listener::serve(self.listener, app, header_read_timeout, shutdown).await;
        tasks.abort_all();
        // What was recorded since the last flush is written before the process goes.
        state.key_usage.flush(&state.db).await;
        served
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
