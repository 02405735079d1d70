//! Rate limiting port: a budget of attempts per key and window.

use crate::error::BoxError;
use async_trait::async_trait;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allowed,
    /// Over budget; the caller may try again after this long.
    Limited {
        retry_after: Duration,
    },
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one attempt under `key` and says whether it fits `limit` per `window`.
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, BoxError>;
}
