//! Rate limits: all traffic of a tenant, each API key, and each client IP (and sign-in address) on
//! the anonymous Host routes. Every limit is a number of requests per minute, spent in a burst or
//! spread out (GCRA: the same rule in memory and in Redis).
//!
//! In memory (governor) by default; with `redis_url` the counters live in Redis so the limit holds
//! across instances. Redis being away must not take the service down with it: a check that cannot
//! reach Redis lets its request through, logs a warning once per outage and counts a metric.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use uuid::Uuid;

use crate::config::Config;
use crate::error::AppError;
use crate::metrics::Metrics;

/// What a limit counts; its name is the metrics label and part of the Redis key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Tenant,
    ApiKey,
    Ip,
    Address,
    Mailbox,
    Code,
    PublicIp,
    GraphqlIp,
    Account,
}

/// What a sign-in step does with the address it names, each with a budget of its own.
#[derive(Clone, Copy, Debug)]
pub enum SignInStep {
    /// Mails it something: a code, a reset link.
    Mail,
    /// Tries an emailed code.
    Code,
    /// Tries a password, or asks for its passkeys.
    Secret,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Tenant => "tenant",
            Scope::ApiKey => "api_key",
            Scope::Ip => "ip",
            Scope::Address => "address",
            Scope::Mailbox => "mailbox",
            Scope::Code => "code",
            Scope::PublicIp => "public_ip",
            Scope::GraphqlIp => "graphql_ip",
            Scope::Account => "account",
        }
    }
}

/// The key a client address is counted under: an IPv4 address, or an IPv6 client's /64 (one
/// subscriber's network: an IPv6 client holds a whole /64 and could change address at will).
fn ip_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
    }
}

/// Time allowed to Redis for one check before the request goes through unchecked.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// After a failed check, how long requests go through without asking Redis, so an outage costs
/// one slow request a second rather than a slow request each.
const REDIS_PAUSE: Duration = Duration::from_secs(1);

/// GCRA over one key for `cost` requests at once: the theoretical arrival time (ms) is stored with
/// an expiry; Redis's own clock keeps instances with skewed clocks in agreement. Returns 0 to
/// admit (spending all `cost`), else the wait in ms (spending nothing).
const GCRA: &str = r"
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval * cost
local wait = next_tat - burst - now
if wait > 0 then return wait end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil(next_tat - now))
return 0
";

pub struct RateLimits {
    local: Local,
    shared: Option<Shared>,
    metrics: Arc<Metrics>,
    tenant_per_minute: u32,
    api_key_per_minute: u32,
    ip_per_minute: u32,
    address_per_minute: u32,
    public_ip_per_minute: u32,
    anonymous_graphql_per_minute: u32,
    user_per_minute: u32,
}

impl RateLimits {
    pub fn new(config: &Config, metrics: Arc<Metrics>) -> Result<Self, AppError> {
        let shared = config
            .limits
            .redis_url
            .as_deref()
            .map(Shared::new)
            .transpose()?;
        Ok(Self {
            local: Local::default(),
            shared,
            metrics,
            tenant_per_minute: config.limits.tenant_per_minute,
            api_key_per_minute: config.limits.api_key_per_minute,
            ip_per_minute: config.limits.ip_per_minute,
            address_per_minute: config.limits.address_per_minute,
            public_ip_per_minute: config.limits.public_ip_per_minute,
            anonymous_graphql_per_minute: config.limits.anonymous_graphql_per_minute,
            user_per_minute: config.limits.user_per_minute,
        })
    }

    /// One request of a tenant, under its own limit when operators set one.
    pub async fn tenant(&self, id: Uuid, own_limit: Option<u32>) -> Result<(), AppError> {
        let limit = own_limit.unwrap_or(self.tenant_per_minute);
        self.check(Scope::Tenant, &id.to_string(), limit).await
    }

    pub async fn api_key(&self, id: Uuid) -> Result<(), AppError> {
        self.check(Scope::ApiKey, &id.to_string(), self.api_key_per_minute)
            .await
    }

    /// One anonymous request (a contact form, a sign-in step) from `ip`, if it is known.
    pub async fn ip(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        match ip {
            Some(ip) => self.check(Scope::Ip, &ip_key(ip), self.ip_per_minute).await,
            None => Ok(()),
        }
    }

    /// One anonymous request to a Host route (branding, the console) from `ip`, if it is known.
    pub async fn public_ip(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        match ip {
            Some(ip) => {
                self.check(Scope::PublicIp, &ip_key(ip), self.public_ip_per_minute)
                    .await
            }
            None => Ok(()),
        }
    }

    /// One `/graphql` request, or one discovery field, from `ip` without a credential or with a
    /// public key.
    pub async fn graphql_ip(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        self.graphql_ip_weighing(ip, 1).await
    }

    /// What `cost` such requests would spend, at once: all of it or, when refused, none.
    pub async fn graphql_ip_weighing(&self, ip: Option<IpAddr>, cost: u32) -> Result<(), AppError> {
        match ip {
            Some(ip) => {
                let limit = self.anonymous_graphql_per_minute;
                self.check_n(Scope::GraphqlIp, &ip_key(ip), limit, cost)
                    .await
            }
            None => Ok(()),
        }
    }

    /// One `/graphql` request of a `USER` account.
    pub async fn account(&self, id: Uuid) -> Result<(), AppError> {
        self.check(Scope::Account, &id.to_string(), self.user_per_minute)
            .await
    }

    /// One sign-in step from `ip`, and for `address` (compared lower-case) of a tenant when the
    /// step names one, so a mailbox cannot be flooded, or a password guessed, from many addresses.
    /// Each kind of step has its own budget per address: wrong passwords sent for someone's
    /// address spend the password budget only, and cannot stop its owner from asking for a code
    /// and signing in with it.
    pub async fn sign_in(
        &self,
        ip: Option<IpAddr>,
        tenant_id: Uuid,
        address: Option<(&str, SignInStep)>,
    ) -> Result<(), AppError> {
        self.ip(ip).await?;
        match address {
            Some((address, step)) => {
                let key = format!("{tenant_id}:{}", address.trim().to_lowercase());
                let scope = match step {
                    SignInStep::Mail => Scope::Mailbox,
                    SignInStep::Code => Scope::Code,
                    SignInStep::Secret => Scope::Address,
                };
                self.check(scope, &key, self.address_per_minute).await
            }
            None => Ok(()),
        }
    }

    /// One invitation mail from a tenant to `address`: it spends the tenant's invitation budget
    /// (as many a minute as one address may be sent, whatever the addresses: `a+1@…`, `a+2@…`
    /// are one mailbox to the eye of many providers) and the sign-in mail budget of that address,
    /// so neither many invitations in one request nor resends flood anyone.
    pub async fn invitation(&self, tenant_id: Uuid, address: &str) -> Result<(), AppError> {
        let tenant = format!("{tenant_id}:invitations");
        self.check(Scope::Mailbox, &tenant, self.address_per_minute)
            .await?;
        let key = format!("{tenant_id}:{}", address.trim().to_lowercase());
        self.check(Scope::Mailbox, &key, self.address_per_minute)
            .await
    }

    /// Drops the in-memory state of keys that are full again, so memory stays bounded.
    pub fn shrink(&self) {
        self.local.shrink();
    }

    async fn check(&self, scope: Scope, key: &str, per_minute: u32) -> Result<(), AppError> {
        self.check_n(scope, key, per_minute, 1).await
    }

    /// `cost` requests of `key` at once, against `per_minute`.
    async fn check_n(
        &self,
        scope: Scope,
        key: &str,
        per_minute: u32,
        cost: u32,
    ) -> Result<(), AppError> {
        let (per_minute, cost) = (per_minute.max(1), cost.max(1));
        let verdict = match &self.shared {
            Some(shared) => match shared.check(scope, key, per_minute, cost).await {
                Some(verdict) => verdict,
                None => {
                    self.metrics.limiter_error();
                    Ok(())
                }
            },
            None => self.local.check(scope, key, per_minute, cost),
        };
        verdict.map_err(|wait| AppError::RateLimited {
            wait: wait.max(Duration::from_secs(1)),
            scope: scope.name(),
        })
    }
}

type Limiter = DefaultKeyedRateLimiter<String>;

/// In-process limiters, one per (scope, limit): a tenant with its own limit gets a limiter of
/// that size, shared with every tenant of the same limit.
#[derive(Default)]
struct Local {
    limiters: Mutex<HashMap<(Scope, u32), Arc<Limiter>>>,
}

impl Local {
    fn check(&self, scope: Scope, key: &str, per_minute: u32, cost: u32) -> Result<(), Duration> {
        let limiter = {
            let mut limiters = self.limiters.lock().expect("limiter map is never poisoned");
            limiters
                .entry((scope, per_minute))
                .or_insert_with(|| {
                    let quota = Quota::per_minute(NonZeroU32::new(per_minute).expect("at least 1"));
                    Arc::new(RateLimiter::keyed(quota))
                })
                .clone()
        };
        let cost = NonZeroU32::new(cost).expect("at least 1");
        match limiter.check_key_n(&key.to_owned(), cost) {
            Ok(verdict) => {
                verdict.map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
            }
            // More than a whole minute's burst: never admitted; try again once it has refilled.
            Err(_) => Err(Duration::from_secs(60)),
        }
    }

    fn shrink(&self) {
        let limiters = self.limiters.lock().expect("limiter map is never poisoned");
        for limiter in limiters.values() {
            limiter.retain_recent();
        }
    }
}

/// Counters in Redis. The connection is made lazily and remade after a failure, so Redis may start
/// after Tenantry, or restart, without a restart here.
struct Shared {
    connection: ConnectionManager,
    script: redis::Script,
    /// Whether the last check failed: a warning is logged when an outage starts, not per request.
    failing: AtomicBool,
    /// Until when Redis is not asked, after a failure.
    paused_until: Mutex<Option<Instant>>,
}

impl Shared {
    fn new(url: &str) -> Result<Self, AppError> {
        let client = redis::Client::open(url)
            .map_err(|e| AppError::internal(format!("redis_url is not usable: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| AppError::internal(format!("cannot set up Redis: {e}")))?;
        Ok(Self {
            connection,
            script: redis::Script::new(GCRA),
            failing: AtomicBool::new(false),
            paused_until: Mutex::new(None),
        })
    }

    fn paused(&self) -> Option<Instant> {
        *self.paused_until.lock().expect("never poisoned")
    }

    /// Redis's verdict, or `None` when Redis could not give one in time (or is paused after a
    /// failure).
    async fn check(
        &self,
        scope: Scope,
        key: &str,
        per_minute: u32,
        cost: u32,
    ) -> Option<Result<(), Duration>> {
        if self.paused().is_some_and(|until| Instant::now() < until) {
            return None;
        }
        let interval_ms = (60_000 / u64::from(per_minute)).max(1);
        let burst_ms = interval_ms * u64::from(per_minute);
        let mut connection = self.connection.clone();
        let mut invocation = self
            .script
            .key(format!("tenantry:rate:{}:{key}", scope.name()));
        invocation.arg(interval_ms).arg(burst_ms).arg(cost);
        let answer = tokio::time::timeout(
            REDIS_TIMEOUT,
            invocation.invoke_async::<u64>(&mut connection),
        )
        .await;
        let failure = match answer {
            Ok(Ok(wait_ms)) => {
                *self.paused_until.lock().expect("never poisoned") = None;
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis answers again: rate limits are enforced again");
                }
                return Some(match wait_ms {
                    0 => Ok(()),
                    ms => Err(Duration::from_millis(ms)),
                });
            }
            Ok(Err(err)) => err.to_string(),
            Err(_) => "no answer in time".to_owned(),
        };
        *self.paused_until.lock().expect("never poisoned") = Some(Instant::now() + REDIS_PAUSE);
        if !self.failing.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %failure, "Redis is unreachable: rate limits are not enforced until it returns");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::ip_key;

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let key = |s: &str| ip_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("192.0.2.1"), "192.0.2.1");
        assert_eq!(
            key("::ffff:192.0.2.1"),
            "192.0.2.1",
            "mapped addresses are IPv4"
        );
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
    }
}

/// How many of something each tenant holds open at once (WebSocket connections): a seat is taken
/// when one opens and given back when its [`Seat`] is dropped.
#[derive(Default)]
pub struct Occupancy {
    held: Arc<Mutex<HashMap<Uuid, usize>>>,
}

/// One tenant's place in an [`Occupancy`], given back on drop.
pub struct Seat {
    held: Arc<Mutex<HashMap<Uuid, usize>>>,
    tenant: Uuid,
}

impl Occupancy {
    /// A seat for `tenant`, unless it already holds `limit`.
    pub fn take(&self, tenant: Uuid, limit: usize) -> Option<Seat> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let count = held.entry(tenant).or_default();
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Seat {
            held: self.held.clone(),
            tenant,
        })
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = held.get_mut(&self.tenant) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.tenant);
            }
        }
    }
}

#[cfg(test)]
mod occupancy_tests {
    use super::*;

    #[test]
    fn a_tenant_holds_at_most_its_limit_and_seats_come_back() {
        let occupancy = Occupancy::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let first = occupancy.take(a, 2).unwrap();
        let _second = occupancy.take(a, 2).unwrap();
        assert!(
            occupancy.take(a, 2).is_none(),
            "a third seat past the limit"
        );
        assert!(
            occupancy.take(b, 2).is_some(),
            "another tenant has its own seats"
        );
        drop(first);
        assert!(
            occupancy.take(a, 2).is_some(),
            "a seat given back is free again"
        );
    }
}
