//! Pruning what is kept only for a while (old notifications, finished jobs, expired
//! idempotency keys), and the lease that lets one instance of a deployment do it per round.

use crate::error::RepoError;
use crate::time::Timestamp;
use async_trait::async_trait;
use std::time::Duration;

/// A table whose old rows can go. Each call deletes one small batch, so no statement holds
/// locks for long; the caller repeats while batches come back full.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Prunable: Send + Sync {
    /// The table's name, as the `rows_pruned_total{table}` metric shows it.
    fn table(&self) -> &'static str;
    /// Deletes up to `limit` rows that were past keeping at `cutoff`; how many went.
    async fn prune_older_than(&self, cutoff: Timestamp, limit: u64) -> Result<u64, RepoError>;
}

/// Leases shared by every instance: a task that must run once per round across a
/// deployment takes its lease first.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Leases: Send + Sync {
    /// Takes lease `name` for `hold` if nobody holds it now; `false` when another holder's
    /// lease has not run out yet.
    async fn acquire(&self, name: &str, hold: Duration) -> Result<bool, RepoError>;
}
