//! Tenantry: a multi-tenant platform backend. A request's tenant comes from what its caller proves
//! (`/graphql`) or from the host it was sent to (the REST side routes), never from what it claims.

pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod graphql;
pub mod http;
pub mod services;
pub mod state;
pub mod telemetry;
pub mod tenancy;

use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;

use crate::auth::jwt::TokenService;
use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies migrations, and binds `config.bind` (port 0: any free port).
    /// With `demo`, mail kept in the outbox is also printed to stdout.
    pub async fn build(config: Config, demo: bool) -> Result<Self, AppError> {
        // Both rustls providers are in the build (aws-lc through lettre and jsonwebtoken, ring
        // through sqlx); anything asking for the process default would panic without a choice.
        // An error means one is installed already (a second app in the same process).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let db = db::connect(&config.database_url).await?;
        db::migrate(&db).await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| AppError::internal(format!("cannot listen on {}: {e}", config.bind)))?;
        TokenService::ensure_signing_key(&db).await?;
        Ok(Self {
            listener,
            state: AppState::new(db, config, demo)?,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
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
        let watcher = {
            let state = state.clone();
            tokio::spawn(async move {
                let flush = || state.invalidate_caches();
                tenancy::epoch::watch(state.db.clone(), state.config.cache_poll_interval, flush)
                    .await
            })
        };
        let listener = {
            let state = state.clone();
            tokio::spawn(async move {
                let flush = || state.invalidate_caches();
                tenancy::epoch::listen(state.db.clone(), flush).await
            })
        };
        let usage = {
            let (usage, db) = (state.key_usage.clone(), state.db.clone());
            let every = state.config.key_usage_flush_interval;
            tokio::spawn(async move { usage.run(db, every).await })
        };
        let housekeeping = {
            let limits = state.auth_limits.clone();
            tokio::spawn(async move {
                let mut ticker = tokio::time::interval(std::time::Duration::from_secs(60));
                loop {
                    ticker.tick().await;
                    limits.shrink();
                }
            })
        };
        let rechecks = {
            let state = state.clone();
            tokio::spawn(async move {
                let mut ticker = tokio::time::interval(state.config.domain_recheck_interval);
                ticker.tick().await;
                loop {
                    ticker.tick().await;
                    let limit = state.config.domain_recheck_failures;
                    match services::custom_domains::recheck_all(
                        &state.db,
                        &state.domain_checker,
                        limit,
                    )
                    .await
                    {
                        Ok(()) => state.invalidate_caches(),
                        Err(err) => tracing::warn!(error = %err.chain(), "domain re-check failed"),
                    }
                }
            })
        };
        let app = http::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        watcher.abort();
        listener.abort();
        usage.abort();
        housekeeping.abort();
        rechecks.abort();
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
