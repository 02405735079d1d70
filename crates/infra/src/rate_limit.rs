//! An in-process fixed-window rate limiter (one instance's budget).

use async_trait::async_trait;
use domain::BoxError;
use domain::rate_limit::{RateDecision, RateLimiter};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys tracked at most. Past it the finished windows go, then the oldest tenth, so a
/// flood of new keys (addresses, typed e-mails) costs bounded memory; an evicted key starts
/// a fresh window, which only errs towards letting a client in.
const CAPACITY: usize = 100_000;

#[derive(Default)]
pub struct InMemoryRateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl InMemoryRateLimiter {
    pub fn new() -> Self {
        Self::default()
    }
}

/// Over budget until `started + window`, and at least a second.
fn limited(started: Instant, now: Instant, window: Duration) -> RateDecision {
    let left = window.saturating_sub(now.duration_since(started));
    RateDecision::Limited {
        retry_after: left.max(Duration::from_secs(1)),
    }
}

fn make_room(windows: &mut HashMap<String, (Instant, u32)>, now: Instant, window: Duration) {
    windows.retain(|_, (start, _)| now.duration_since(*start) < window);
    if windows.len() >= CAPACITY {
        let mut starts: Vec<Instant> = windows.values().map(|(start, _)| *start).collect();
        let cut = *starts.select_nth_unstable(CAPACITY / 10).1;
        windows.retain(|_, (start, _)| *start > cut);
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
        if windows.len() >= CAPACITY && !windows.contains_key(key) {
            make_room(&mut windows, now, window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 <= limit {
            Ok(RateDecision::Allowed)
        } else {
            Ok(limited(entry.0, now, window))
        }
    }

    async fn peek(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, BoxError> {
        let now = Instant::now();
        let windows = self
            .windows
            .lock()
            .map_err(|_| "rate limiter lock poisoned")?;
        match windows.get(key) {
            Some(&(start, count)) if now.duration_since(start) < window && count >= limit => {
                Ok(limited(start, now, window))
            }
            _ => Ok(RateDecision::Allowed),
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
    async fn peeking_counts_nothing() {
        let limiter = InMemoryRateLimiter::new();
        let w = Duration::from_secs(60);
        assert_eq!(
            limiter.peek("a", 2, w).await.unwrap(),
            RateDecision::Allowed
        );
        limiter.hit("a", 2, w).await.unwrap();
        assert_eq!(
            limiter.peek("a", 2, w).await.unwrap(),
            RateDecision::Allowed
        );
        limiter.hit("a", 2, w).await.unwrap();
        for _ in 0..3 {
            assert!(matches!(
                limiter.peek("a", 2, w).await.unwrap(),
                RateDecision::Limited { .. }
            ));
        }
        assert_eq!(
            limiter.peek("b", 2, w).await.unwrap(),
            RateDecision::Allowed
        );
    }

    #[tokio::test]
    async fn a_flood_of_keys_stays_within_capacity() {
        let limiter = InMemoryRateLimiter::new();
        let w = Duration::from_secs(60);
        for i in 0..CAPACITY + 5_000 {
            limiter.hit(&i.to_string(), 3, w).await.unwrap();
        }
        let size = limiter.windows.lock().unwrap().len();
        assert!(size <= CAPACITY, "{size} keys kept");
        // The newest keys keep their count.
        let last = (CAPACITY + 4_999).to_string();
        limiter.hit(&last, 2, w).await.unwrap();
        assert!(matches!(
            limiter.hit(&last, 2, w).await.unwrap(),
            RateDecision::Limited { .. }
        ));
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
