//! The job worker loop: claims due jobs from the shared queue and runs them, until
//! shutdown. Every instance runs one (`api serve`, or `api worker` without HTTP); claims
//! are exclusive, so any number of them share the queue.

use app::JobService;
use domain::job::JobOutcome;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// How long to wait before looking again when the queue had nothing due.
    pub poll: Duration,
    /// Jobs claimed (and run concurrently) at a time.
    pub batch: u32,
    /// How long a claim holds; a worker that dies leaves its jobs to others after this.
    pub lease: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(500),
            batch: 8,
            lease: Duration::from_secs(60),
        }
    }
}

/// Runs until `shutdown`: jobs already running finish, claimed ones not yet started go
/// back to the queue.
pub async fn run(jobs: Arc<JobService>, settings: WorkerSettings, shutdown: CancellationToken) {
    tracing::info!("job worker started");
    let mut failing_since: Option<std::time::Instant> = None;
    while !shutdown.is_cancelled() {
        let claimed = match jobs.claim(settings.batch, settings.lease).await {
            Ok(claimed) => {
                if let Some(since) = failing_since.take() {
                    tracing::info!(
                        "job queue reachable again after {:.1}s",
                        since.elapsed().as_secs_f64()
                    );
                }
                claimed
            }
            Err(e) => {
                if failing_since.is_none() {
                    failing_since = Some(std::time::Instant::now());
                    tracing::warn!("job queue unavailable: {e}; retrying");
                }
                Vec::new()
            }
        };
        let busy = !claimed.is_empty();
        futures_util::future::join_all(claimed.into_iter().map(|job| {
            let jobs = jobs.clone();
            let shutdown = shutdown.clone();
            async move {
                if shutdown.is_cancelled() {
                    if let Err(e) = jobs.release(&job).await {
                        tracing::warn!(job = %job.id, "job not released: {e}");
                    }
                    return;
                }
                let kind = job.kind.name();
                match jobs.run(&job).await {
                    Ok(JobOutcome::Done) => {
                        metrics::counter!("jobs_done_total", "kind" => kind).increment(1);
                        tracing::info!(job = %job.id, kind, attempt = job.attempt, "job done");
                    }
                    Ok(JobOutcome::Retrying { after, error }) => {
                        metrics::counter!("jobs_retried_total", "kind" => kind).increment(1);
                        tracing::warn!(job = %job.id, kind, attempt = job.attempt, "job failed ({error}); retrying in {after:.1?}");
                    }
                    Ok(JobOutcome::Failed { error }) => {
                        metrics::counter!("jobs_failed_total", "kind" => kind).increment(1);
                        tracing::error!(job = %job.id, kind, attempt = job.attempt, "job parked as failed: {error}");
                    }
                    // The lease ran out meanwhile (another worker has the job) or the
                    // database went away; the job comes back when its lease expires.
                    Err(e) => tracing::warn!(job = %job.id, kind, "job attempt not settled: {e}"),
                }
            }
        }))
        .await;
        if busy {
            continue;
        }
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(settings.poll) => {}
        }
    }
    tracing::info!("job worker stopped");
}
