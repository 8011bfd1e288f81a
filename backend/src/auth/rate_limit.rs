//! Limits on the sign-in routes, per client IP and per address, so codes and passwords cannot be
//! guessed at speed and mailboxes cannot be flooded.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::config::Config;
use crate::error::AppError;

pub struct AuthLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_address: DefaultKeyedRateLimiter<(Uuid, String)>,
}

impl AuthLimits {
    pub fn new(config: &Config) -> Self {
        let per_minute =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least one"));
        Self {
            per_ip: RateLimiter::keyed(per_minute(config.auth_rate_per_ip)),
            per_address: RateLimiter::keyed(per_minute(config.auth_rate_per_address)),
        }
    }

    /// Counts one attempt from `ip` for `address` (lower-cased) of `tenant_id`; `RATE_LIMITED` with
    /// the wait when either limit is spent.
    pub fn check(
        &self,
        ip: Option<IpAddr>,
        tenant_id: Uuid,
        address: Option<&str>,
    ) -> Result<(), AppError> {
        let clock = DefaultClock::default();
        if let Some(ip) = ip {
            self.per_ip.check_key(&ip).map_err(|not_until| {
                AppError::RateLimited(wait(&not_until.wait_time_from(clock.now())))
            })?;
        }
        if let Some(address) = address {
            let key = (tenant_id, address.trim().to_lowercase());
            self.per_address.check_key(&key).map_err(|not_until| {
                AppError::RateLimited(wait(&not_until.wait_time_from(clock.now())))
            })?;
        }
        Ok(())
    }

    /// Drops the state of keys that are full again, so memory stays bounded.
    pub fn shrink(&self) {
        self.per_ip.retain_recent();
        self.per_address.retain_recent();
    }
}

/// At least a second: `Retry-After` counts whole seconds.
fn wait(duration: &Duration) -> Duration {
    (*duration).max(Duration::from_secs(1))
}
