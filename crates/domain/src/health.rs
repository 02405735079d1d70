//! Readiness checks of the service's dependencies.

use async_trait::async_trait;
use std::time::Duration;

/// The outcome of probing one dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    pub ok: bool,
    pub latency: Duration,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DependencyProbe: Send + Sync {
    /// The name the readiness report uses (`database`, `redis`).
    fn name(&self) -> &'static str;
    /// Probes the dependency; never takes longer than the adapter's own timeout.
    async fn probe(&self) -> ProbeResult;
}
