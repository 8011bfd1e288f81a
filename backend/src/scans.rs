//! Reads that go through every lead of a tenant in a window (a leads `search`, `leadsPerDay`)
//! share a quarter of the database's connections. One tenant's many scans then wait here for
//! each other, and the rest of the pool stays free for every tenant's ordinary requests.

use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::AppError;

pub struct Scans {
    permits: Semaphore,
    /// How long a scan waits for a permit before the caller is told to come back.
    wait: Duration,
}

impl Scans {
    /// A quarter of `max_connections` (at least one) scan at once; a scan that cannot start
    /// within `wait` (the pool's own acquire timeout) is refused.
    pub fn new(max_connections: u32, wait: Duration) -> Self {
        let permits = usize::try_from(max_connections / 4).unwrap_or(1).max(1);
        Self {
            permits: Semaphore::new(permits),
            wait,
        }
    }

    /// Leave to scan until the permit is dropped; `Busy` (503 with `Retry-After`) when every
    /// permit stays taken for `wait`.
    pub async fn permit(&self) -> Result<SemaphorePermit<'_>, AppError> {
        match tokio::time::timeout(self.wait, self.permits.acquire()).await {
            Ok(permit) => permit.map_err(AppError::internal),
            Err(_) => Err(AppError::Busy {
                what: "reads of all of a tenant's leads",
                wait: Duration::from_secs(1),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_quarter_of_the_pool_scans_at_once_and_the_next_is_refused() {
        let scans = Scans::new(10, Duration::from_millis(20));
        let first = scans.permit().await.unwrap();
        let second = scans.permit().await.unwrap();
        let refused = scans.permit().await.unwrap_err();
        assert!(matches!(refused, AppError::Busy { .. }), "{refused:?}");
        assert_eq!(
            refused.to_string(),
            "Too many reads of all of a tenant's leads at once; try again in 1 seconds"
        );
        drop(first);
        assert!(scans.permit().await.is_ok());
        drop(second);
    }

    #[tokio::test]
    async fn a_small_pool_still_scans_one_at_a_time() {
        let scans = Scans::new(2, Duration::from_millis(20));
        let only = scans.permit().await.unwrap();
        assert!(scans.permit().await.is_err());
        drop(only);
    }
}
