//! Cache events: a write drops exactly what it changed, here and on every other instance, and a
//! write from another process (the CLI) reaches a running server within its poll interval.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tenantry::entities::account::Role;
use tenantry::entities::api_key::KeyKind;

use crate::cli::cli;
use crate::helpers::{Backend, Credential, TestApp, db_tests, spawn_app_with};

db_tests!(ending_one_session_drops_only_that_session);

const VIEWER: &str = "{ viewer { role } }";

/// `tenantry_cache_lookups_total` by (cache, result), from the server's metrics endpoint.
async fn lookups(app: &TestApp) -> HashMap<(String, String), u64> {
    let text = app.metrics().await;
    let label = |line: &str, name: &str| {
        let start = line.find(&format!("{name}=\""))? + name.len() + 2;
        let end = start + line[start..].find('"')?;
        Some(line[start..end].to_owned())
    };
    text.lines()
        .filter(|line| line.starts_with("tenantry_cache_lookups_total{"))
        .filter_map(|line| {
            let count = line.rsplit(' ').next()?.parse().ok()?;
            Some(((label(line, "cache")?, label(line, "result")?), count))
        })
        .collect()
}

fn misses(counts: &HashMap<(String, String), u64>, cache: &str) -> u64 {
    counts
        .get(&(cache.to_owned(), "miss".to_owned()))
        .copied()
        .unwrap_or(0)
}

async fn status(app: &TestApp, credential: &Credential) -> StatusCode {
    app.graphql_with(credential, &[], VIEWER, json!({})).await.0
}

/// Polls `check` every 20 ms for at most `ceiling`; answers how long it took to hold.
async fn within<F, Fut>(ceiling: Duration, check: F) -> Option<Duration>
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() <= ceiling {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Signing out of one session drops that session's cache entry and nothing else: the tenant's
/// key, the account's other session, the account, the tenant and the host stay cached (no new
/// misses), where a flush of every cache would have made each of them a miss.
async fn ending_one_session_drops_only_that_session(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.http.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        // Only the request's own catch-up may apply the event (and LISTEN, on PostgreSQL).
        config.tenancy.cache_poll_interval = Duration::from_secs(3600);
    })
    .await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (_, key) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let key = Credential::Key(key);
    let (ana, first) = app.sign_in(acme.id, "ana@example.com", Role::Member).await;
    let second = Credential::Bearer(app.token_for(&ana).await);
    // The test wrote those through its own connection: let the server read their events first.
    app.changed().await;
    assert_eq!(
        app.get_branding("acme-rides.localhost").await.status(),
        StatusCode::OK
    );
    for credential in [&key, &Credential::Bearer(first.clone()), &second] {
        assert_eq!(status(&app, credential).await, StatusCode::OK);
    }
    let before = lookups(&app).await;

    let logout = app
        .client
        .post(app.url("/auth/logout"))
        .header("host", "acme-rides.localhost")
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(status(&app, &key).await, StatusCode::OK);
    assert_eq!(status(&app, &second).await, StatusCode::OK);
    let after = lookups(&app).await;
    for cache in ["keys", "sessions", "accounts", "tenants", "hosts"] {
        assert_eq!(
            misses(&after, cache),
            misses(&before, cache),
            "{cache}: ending one session dropped other entries ({before:?} → {after:?})"
        );
    }

    // The ended session itself is read again, and refused, at once.
    assert_eq!(
        status(&app, &Credential::Bearer(first)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        misses(&lookups(&app).await, "sessions"),
        misses(&before, "sessions") + 1
    );
}

/// PostgreSQL: a session ended through one instance is refused by another within a second
/// (`NOTIFY` wakes it), with the poll set far beyond that.
#[tokio::test]
async fn a_second_instance_hears_of_an_ended_session_within_a_second() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app_with(backend, |config| {
        config.tenancy.cache_poll_interval = Duration::from_secs(3600);
    })
    .await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (ana, token) = app.sign_in(acme.id, "ana@example.com", Role::Member).await;
    let other = app.another_instance().await;
    let viewer_on_other = |token: String| {
        let client = app.client.clone();
        async move {
            client
                .post(format!("http://{other}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": VIEWER }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(viewer_on_other(token.clone()).await, StatusCode::OK);
    let survivor = app.token_for(&ana).await;
    assert_eq!(viewer_on_other(survivor.clone()).await, StatusCode::OK);

    let logout = app
        .client
        .post(app.url("/auth/logout"))
        .header("host", "acme-rides.localhost")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let took = within(Duration::from_secs(1), || async {
        viewer_on_other(token.clone()).await == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(
        took.is_some(),
        "the other instance still honours the ended session after 1 s"
    );
    assert_eq!(viewer_on_other(survivor).await, StatusCode::OK);
}

/// SQLite: a key revoked by the CLI (another process) is refused by the running server within
/// its poll interval, and the server's other cached entries stay: another key and the host are
/// still answered from memory.
#[tokio::test]
async fn a_cli_write_reaches_the_server_within_the_poll_without_a_flush() {
    let poll = Duration::from_millis(500);
    let app = spawn_app_with(Backend::Sqlite, |config| {
        config.http.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        config.tenancy.cache_poll_interval = poll;
    })
    .await;
    let acme = app.provision("acme", "Acme").await.tenant;
    let (revoked, doomed) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let (_, kept) = app
        .api_key(acme.id, KeyKind::Secret, Some(Role::Admin), None)
        .await;
    let (doomed, kept) = (Credential::Key(doomed), Credential::Key(kept));
    app.changed().await;
    assert_eq!(status(&app, &doomed).await, StatusCode::OK);
    assert_eq!(status(&app, &kept).await, StatusCode::OK);
    assert_eq!(
        app.get_branding("acme-rides.localhost").await.status(),
        StatusCode::OK
    );
    let before = lookups(&app).await;

    let id = revoked.id.to_string();
    let output = cli(&app, &["key", "revoke", "--tenant", "acme", "--id", &id]).await;
    assert!(output.status.success(), "{output:?}");
    let took = within(poll * 4, || async {
        status(&app, &doomed).await == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(
        took.is_some(),
        "the revoked key still works after {:?}",
        poll * 4
    );

    assert_eq!(status(&app, &kept).await, StatusCode::OK);
    assert_eq!(
        app.get_branding("acme-rides.localhost").await.status(),
        StatusCode::OK
    );
    let after = lookups(&app).await;
    // The revoked key was read again (one miss per look-up until it was refused); the kept key,
    // the host and its document were not.
    assert!(misses(&after, "keys") > misses(&before, "keys"));
    for cache in ["hosts", "documents", "tenants"] {
        assert_eq!(
            misses(&after, cache),
            misses(&before, cache),
            "{cache}: the CLI's revocation flushed it"
        );
    }
    let kept_misses = misses(&after, "keys");
    assert_eq!(status(&app, &kept).await, StatusCode::OK);
    assert_eq!(
        misses(&lookups(&app).await, "keys"),
        kept_misses,
        "the kept key is still cached"
    );
}
