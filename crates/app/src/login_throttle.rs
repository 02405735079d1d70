//! The per-account budget of failed logins (SPEC section 2). Whatever address they come
//! from, `limit` failed password checks of one account within [`WINDOW`] make further
//! attempts on it wait until the window passes: a botnet spread over many addresses gets
//! no more guesses than one client. The key is the address as typed (lower-cased), so an
//! address without an account is throttled exactly like one with: the answer says nothing
//! about which exist.

use domain::BoxError;
use domain::rate_limit::{RateDecision, RateLimiter};
use std::sync::Arc;
use std::time::Duration;

/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Why an attempt was not let through to the password check.
#[derive(Debug, thiserror::Error)]
pub enum Throttled {
    #[error("too many failed sign-ins for this account; retry later")]
    Wait(Duration),
    /// The shared counter is unreachable; failing closed keeps the budget meaningful.
    #[error("the login budget is unavailable")]
    Unavailable(#[source] BoxError),
}

pub struct LoginThrottle {
    limiter: Arc<dyn RateLimiter>,
    /// Failures allowed per window; 0 turns the budget off.
    limit: u32,
}

impl LoginThrottle {
    pub fn new(limiter: Arc<dyn RateLimiter>, limit: u32) -> Self {
        Self { limiter, limit }
    }

    /// Before the password is checked: is this account's budget spent? A correct password
    /// does not skip the wait.
    pub async fn check(&self, account: &str) -> Result<(), Throttled> {
        if self.limit == 0 {
            return Ok(());
        }
        let decision = self
            .limiter
            .peek(&key(account), self.limit, WINDOW)
            .await
            .map_err(Throttled::Unavailable)?;
        match decision {
            RateDecision::Allowed => Ok(()),
            RateDecision::Limited { retry_after } => Err(Throttled::Wait(retry_after)),
        }
    }

    /// After a wrong password: counts the failure against the account.
    pub async fn failed(&self, account: &str) -> Result<(), Throttled> {
        if self.limit == 0 {
            return Ok(());
        }
        self.limiter
            .hit(&key(account), self.limit, WINDOW)
            .await
            .map(drop)
            .map_err(Throttled::Unavailable)
    }
}

fn key(account: &str) -> String {
    format!("login-failures:{}", account.trim().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::rate_limit::MockRateLimiter;
    use mockall::predicate::eq;

    #[tokio::test]
    async fn a_spent_budget_makes_the_caller_wait() {
        let mut limiter = MockRateLimiter::new();
        limiter
            .expect_peek()
            .with(eq("login-failures:ann@example.com"), eq(3), eq(WINDOW))
            .times(1)
            .returning(|_, _, _| {
                Ok(RateDecision::Limited {
                    retry_after: Duration::from_secs(42),
                })
            });
        let throttle = LoginThrottle::new(Arc::new(limiter), 3);
        let refused = throttle.check(" Ann@Example.com").await;
        assert!(matches!(refused, Err(Throttled::Wait(d)) if d == Duration::from_secs(42)));
    }

    #[tokio::test]
    async fn failures_are_counted_under_the_account() {
        let mut limiter = MockRateLimiter::new();
        limiter
            .expect_hit()
            .with(eq("login-failures:ann@example.com"), eq(3), eq(WINDOW))
            .times(1)
            .returning(|_, _, _| Ok(RateDecision::Allowed));
        let throttle = LoginThrottle::new(Arc::new(limiter), 3);
        throttle.failed("ann@example.com").await.unwrap();
    }

    #[tokio::test]
    async fn zero_turns_it_off_without_asking_the_limiter() {
        // A mock with no expectations panics if called.
        let throttle = LoginThrottle::new(Arc::new(MockRateLimiter::new()), 0);
        throttle.check("ann@example.com").await.unwrap();
        throttle.failed("ann@example.com").await.unwrap();
    }

    #[tokio::test]
    async fn an_unreachable_counter_fails_closed() {
        let mut limiter = MockRateLimiter::new();
        limiter
            .expect_peek()
            .returning(|_, _, _| Err("redis down".into()));
        let throttle = LoginThrottle::new(Arc::new(limiter), 3);
        assert!(matches!(
            throttle.check("ann@example.com").await,
            Err(Throttled::Unavailable(_))
        ));
    }
}
