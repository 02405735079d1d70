//! Rate limiting port: a budget of attempts per key and window.

use crate::error::BoxError;
use async_trait::async_trait;
use std::net::{IpAddr, Ipv6Addr};
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
    /// Says whether `key` has already spent `limit` attempts in its current window,
    /// without counting one.
    async fn peek(&self, key: &str, limit: u32, window: Duration)
    -> Result<RateDecision, BoxError>;
}

/// The part of a client's address that its budget is kept under: an IPv4 address whole,
/// an IPv6 address by its /64 (one subscriber's usual allocation, which it can fill with
/// addresses at will). An IPv4 address mapped into IPv6 counts as the IPv4 one.
pub fn client_bucket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", Ipv6Addr::from(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_their_64_and_ipv4_stays_whole() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_bucket(a), "2001:db8:1:2::/64");
        assert_eq!(client_bucket(a), client_bucket(b));
        assert_ne!(client_bucket(a), client_bucket(other));
        assert_eq!(client_bucket("10.1.2.3".parse().unwrap()), "10.1.2.3");
        assert_ne!(
            client_bucket("10.1.2.3".parse().unwrap()),
            client_bucket("10.1.2.4".parse().unwrap())
        );
        assert_eq!(
            client_bucket("::ffff:10.1.2.3".parse().unwrap()),
            "10.1.2.3"
        );
    }
}
