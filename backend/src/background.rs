//! The work a server does besides answering requests, each on its own task for as long as it
//! serves.

use std::time::Duration;

use tokio::task::JoinSet;

use crate::services::{custom_domains, mail};
use crate::state::AppState;
use crate::tenancy::epoch;

/// How often (at most) mail whose codes and tokens have expired leaves the outbox.
const OUTBOX_SWEEP: Duration = Duration::from_secs(60);

/// How often the in-memory rate limiters forget keys that are full again.
const LIMITER_SWEEP: Duration = Duration::from_secs(60);

/// Starts every background task; dropping or aborting the set stops them.
pub fn spawn(state: &AppState) -> JoinSet<()> {
    let mut tasks = JoinSet::new();

    let s = state.clone();
    tasks.spawn(async move {
        let flush = || s.invalidate_caches();
        epoch::watch(s.db.clone(), s.config.cache_poll_interval, flush).await
    });

    let s = state.clone();
    tasks.spawn(async move {
        let flush = || s.invalidate_caches();
        epoch::listen(s.db.clone(), flush).await
    });

    let s = state.clone();
    tasks.spawn(async move { s.resolver.known.keep_fresh(s.db.clone()).await });

    let s = state.clone();
    tasks.spawn(async move {
        s.key_usage
            .run(s.db.clone(), s.config.key_usage_flush_interval)
            .await
    });

    // The outbox holds live codes and tokens: each message goes once what it carries has expired.
    let s = state.clone();
    tasks.spawn(async move {
        let lifetime = mail::outbox_lifetime(&s.config);
        let every = lifetime.clamp(Duration::from_secs(1), OUTBOX_SWEEP);
        let mut ticker = tokio::time::interval(every);
        loop {
            ticker.tick().await;
            if let Err(err) = mail::delete_expired(&s.db, lifetime).await {
                tracing::warn!(error = %err.chain(), "cannot empty the outbox of expired mail");
            }
        }
    });

    let limits = state.limits.clone();
    tasks.spawn(async move {
        let mut ticker = tokio::time::interval(LIMITER_SWEEP);
        loop {
            ticker.tick().await;
            limits.shrink();
        }
    });

    // Unrouting bumps the cache epoch, so every instance (this one too) hears of it.
    let s = state.clone();
    tasks.spawn(async move {
        let mut ticker = tokio::time::interval(s.config.domain_recheck_interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            if let Err(err) = custom_domains::recheck_all(&s.db, &s.config, &s.domain_checker).await
            {
                tracing::warn!(error = %err.chain(), "domain re-check failed");
            }
        }
    });

    tasks
}
