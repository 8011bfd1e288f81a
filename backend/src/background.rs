//! The work a server does besides answering requests, each on its own task for as long as it
//! serves.

use std::time::Duration;

use tokio::task::JoinSet;

use crate::cache::events;
use crate::services::{custom_domains, mail};
use crate::state::AppState;
use crate::tenancy::context::PlatformContext;

/// How often (at most) mail whose codes and tokens have expired leaves the outbox.
const OUTBOX_SWEEP: Duration = Duration::from_secs(60);

/// How often cache events older than their retention are deleted.
const EVENT_PRUNE: Duration = Duration::from_secs(600);

/// How often the in-memory rate limiters forget keys that are full again.
const LIMITER_SWEEP: Duration = Duration::from_secs(60);

/// Starts every background task; dropping or aborting the set stops them.
pub fn spawn(state: &AppState) -> JoinSet<()> {
    let mut tasks = JoinSet::new();

    let s = state.clone();
    tasks.spawn(async move {
        events::poll(&s.follower, &*s, s.config.tenancy.cache_poll_interval).await
    });

    let s = state.clone();
    tasks.spawn(async move { events::listen(&s.follower, &*s).await });

    let s = state.clone();
    tasks.spawn(async move { s.live_leads.listen(&s.db).await });

    let s = state.clone();
    tasks.spawn(async move {
        let mut ticker = tokio::time::interval(EVENT_PRUNE);
        // Not at start-up: nothing is old yet, and a write then would race the first requests'.
        ticker.tick().await;
        loop {
            ticker.tick().await;
            if let Err(err) = events::prune(&s.db).await {
                tracing::warn!(error = %err, "cannot prune old cache events");
            }
        }
    });

    let s = state.clone();
    tasks.spawn(async move { s.resolver.known.keep_fresh(s.db.clone()).await });

    let s = state.clone();
    tasks.spawn(async move {
        s.key_usage
            .run(s.db.clone(), s.config.tokens.key_usage_flush_interval)
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
            if let Err(err) =
                mail::delete_expired(&s.db, &PlatformContext::process(), lifetime).await
            {
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

    // Unrouting records a cache event, so every instance (this one too) hears of it.
    let s = state.clone();
    tasks.spawn(async move {
        let mut ticker = tokio::time::interval(s.config.domains.recheck_interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let platform = PlatformContext::process();
            let checked =
                custom_domains::recheck_all(&s.db, &s.config, &s.domain_checker, &platform).await;
            if let Err(err) = checked {
                tracing::warn!(error = %err.chain(), "domain re-check failed");
            }
        }
    });

    tasks
}
