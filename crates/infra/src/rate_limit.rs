//! An in-process fixed-window rate limiter (one instance's budget).

use async_trait::async_trait;
use domain::BoxError;
use domain::rate_limit::{RateDecision, RateLimiter};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct InMemoryRateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl InMemoryRateLimiter {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl RateLimiter for InMemoryRateLimiter {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, BoxError> {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .map_err(|_| "rate limiter lock poisoned")?;
        // Forget finished windows now and then so the map stays bounded by active clients.
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 <= limit {
            Ok(RateDecision::Allowed)
        } else {
            let left = window.saturating_sub(now.duration_since(entry.0));
            Ok(RateDecision::Limited {
                retry_after: left.max(Duration::from_secs(1)),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn budget_per_key_and_window() {
        let limiter = InMemoryRateLimiter::new();
        let w = Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(limiter.hit("a", 3, w).await.unwrap(), RateDecision::Allowed);
        }
        assert!(
            matches!(limiter.hit("a", 3, w).await.unwrap(), RateDecision::Limited { retry_after } if retry_after <= w)
        );
        assert_eq!(limiter.hit("b", 3, w).await.unwrap(), RateDecision::Allowed);
    }

    #[tokio::test]
    async fn a_new_window_restores_the_budget() {
        let limiter = InMemoryRateLimiter::new();
        let w = Duration::from_millis(30);
        assert_eq!(limiter.hit("a", 1, w).await.unwrap(), RateDecision::Allowed);
        assert_ne!(limiter.hit("a", 1, w).await.unwrap(), RateDecision::Allowed);
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(limiter.hit("a", 1, w).await.unwrap(), RateDecision::Allowed);
    }
}
