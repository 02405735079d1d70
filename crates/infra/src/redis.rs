//! Redis adapters: a rate limiter whose budget every instance shares, and a readiness probe.

use async_trait::async_trait;
use domain::BoxError;
use domain::health::{DependencyProbe, ProbeResult};
use domain::rate_limit::{RateDecision, RateLimiter};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::{Duration, Instant};

/// A cloneable, self-reconnecting connection; commands time out instead of hanging.
pub async fn connect(url: &str) -> Result<ConnectionManager, BoxError> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(2);
    Ok(client.get_connection_manager_with_config(config).await?)
}

/// Fixed window per key: `INCR`, and the window's expiry set by the first hit, in one
/// atomic script so concurrent hits on any instance are all counted.
const HIT_SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
";

pub struct RedisRateLimiter {
    conn: ConnectionManager,
    script: redis::Script,
    prefix: String,
}

impl RedisRateLimiter {
    pub fn new(conn: ConnectionManager, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            script: redis::Script::new(HIT_SCRIPT),
            prefix: prefix.into(),
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, BoxError> {
        let mut conn = self.conn.clone();
        let (count, ttl_ms): (u64, i64) = self
            .script
            .key(format!("{}{key}", self.prefix))
            .arg(window.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?;
        if count <= u64::from(limit) {
            return Ok(RateDecision::Allowed);
        }
        Ok(limited_for(ttl_ms))
    }

    async fn peek(
        &self,
        key: &str,
        limit: u32,
        _window: Duration,
    ) -> Result<RateDecision, BoxError> {
        let mut conn = self.conn.clone();
        let key = format!("{}{key}", self.prefix);
        let (count, ttl_ms): (Option<u64>, i64) = redis::pipe()
            .get(&key)
            .pttl(&key)
            .query_async(&mut conn)
            .await?;
        if count.unwrap_or(0) < u64::from(limit) {
            return Ok(RateDecision::Allowed);
        }
        Ok(limited_for(ttl_ms))
    }
}

/// Over budget until the key's window ends (`ttl_ms`), and at least a second.
fn limited_for(ttl_ms: i64) -> RateDecision {
    let left = Duration::from_millis(ttl_ms.max(0) as u64);
    RateDecision::Limited {
        retry_after: left.max(Duration::from_secs(1)),
    }
}

pub struct RedisProbe {
    conn: ConnectionManager,
}

impl RedisProbe {
    pub fn new(conn: ConnectionManager) -> Self {
        Self { conn }
    }
}

#[async_trait]
impl DependencyProbe for RedisProbe {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn probe(&self) -> ProbeResult {
        let started = Instant::now();
        let mut conn = self.conn.clone();
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        let ok = matches!(
            tokio::time::timeout(Duration::from_secs(2), ping).await,
            Ok(Ok(_))
        );
        if !ok {
            // Not a WARN: probes run every 250 ms during an outage, which `outage` logs once.
            tracing::debug!("redis readiness probe failed");
        }
        ProbeResult {
            ok,
            latency: started.elapsed(),
        }
    }
}
