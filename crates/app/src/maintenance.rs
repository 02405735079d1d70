//! Periodic maintenance: pruning what is kept only for a while. Each round runs on one
//! instance of the deployment (the one that takes the round's lease); the loop that calls
//! it lives with the runtime (the `api` worker).

use chrono::TimeDelta;
use domain::RepoError;
use domain::retention::{Leases, Prunable};
use domain::time;
use std::sync::Arc;
use std::time::Duration;

/// The lease a round takes.
pub const LEASE: &str = "maintenance";
/// Rows deleted per statement: small enough that no statement holds locks for long.
pub const BATCH: u64 = 500;

/// A table and how long its rows are kept.
pub struct Retention {
    table: Arc<dyn Prunable>,
    keep: TimeDelta,
}

impl Retention {
    /// Rows of `table` go once they are older than `keep` (`TimeDelta::zero()` for a table
    /// whose rows say themselves when they expire).
    pub fn new(table: Arc<dyn Prunable>, keep: TimeDelta) -> Self {
        Self { table, keep }
    }
}

/// What a round did to one table.
#[derive(Debug)]
pub struct Pruned {
    pub table: &'static str,
    /// Rows deleted, also when a later batch failed.
    pub rows: u64,
    pub error: Option<RepoError>,
}

pub struct MaintenanceService {
    leases: Arc<dyn Leases>,
    tables: Vec<Retention>,
    every: Duration,
    batch: u64,
}

impl MaintenanceService {
    /// Rounds at most once per `every` across the deployment.
    pub fn new(leases: Arc<dyn Leases>, tables: Vec<Retention>, every: Duration) -> Self {
        Self {
            leases,
            tables,
            every,
            batch: BATCH,
        }
    }

    /// Rows per statement other than [`BATCH`].
    pub fn with_batch(mut self, batch: u64) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// How often a round is due.
    pub fn every(&self) -> Duration {
        self.every
    }

    /// One round, if this instance takes its lease (`Ok(None)` when another instance has
    /// this round): every table pruned in batches until a batch comes back short. A table
    /// that fails is reported and the others still run.
    pub async fn run_round(&self) -> Result<Option<Vec<Pruned>>, RepoError> {
        if !self.leases.acquire(LEASE, self.every).await? {
            return Ok(None);
        }
        let now = time::now();
        let mut report = Vec::with_capacity(self.tables.len());
        for retention in &self.tables {
            let cutoff = now - retention.keep;
            let mut pruned = Pruned {
                table: retention.table.table(),
                rows: 0,
                error: None,
            };
            loop {
                match retention.table.prune_older_than(cutoff, self.batch).await {
                    Ok(n) => {
                        pruned.rows += n;
                        if n < self.batch {
                            break;
                        }
                    }
                    Err(e) => {
                        pruned.error = Some(e);
                        break;
                    }
                }
            }
            report.push(pruned);
        }
        Ok(Some(report))
    }
}
