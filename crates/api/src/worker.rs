//! The job worker loop: claims due jobs from the shared queue and runs them, until
//! shutdown. Every instance runs one (`api serve`, or `api worker` without HTTP); claims
//! are exclusive, so any number of them share the queue. Beside it runs the maintenance
//! round (pruning), which one instance per deployment takes at a time.

use crate::outage::Outages;
use app::{JobService, MaintenanceService};
use domain::job::{ClaimedJob, JobOutcome};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

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

/// How often a maintenance round is due across the deployment.
pub const MAINTENANCE_EVERY: Duration = Duration::from_secs(10 * 60);

/// Runs until `shutdown`: jobs already running finish, claimed ones not yet started go
/// back to the queue; a maintenance round under way finishes its batch.
pub async fn run(
    jobs: Arc<JobService>,
    maintenance: Arc<MaintenanceService>,
    outages: Arc<Outages>,
    settings: WorkerSettings,
    shutdown: CancellationToken,
) {
    tokio::join!(
        run_jobs(jobs, outages, settings, shutdown.clone()),
        run_maintenance(maintenance, shutdown)
    );
}

/// Asks for a round every so often (more often than rounds are due, so one follows soon
/// after the instance that had the last one goes away); the lease decides who runs it.
async fn run_maintenance(maintenance: Arc<MaintenanceService>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval((maintenance.every() / 4).max(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let round = tokio::select! {
            _ = shutdown.cancelled() => break,
            round = maintenance.run_round() => round,
        };
        match round {
            Ok(Some(report)) => {
                for pruned in report {
                    metrics::counter!("rows_pruned_total", "table" => pruned.table)
                        .increment(pruned.rows);
                    if pruned.rows > 0 {
                        tracing::info!(table = pruned.table, rows = pruned.rows, "pruned");
                    }
                    if let Some(e) = pruned.error {
                        tracing::warn!(table = pruned.table, "pruning stopped: {e}");
                    }
                }
            }
            Ok(None) => {}
            Err(e) => tracing::debug!("maintenance round not claimed: {e}"),
        }
    }
}

/// Runs one claimed job and records how it went.
async fn run_one(jobs: &JobService, outages: &Arc<Outages>, job: &ClaimedJob) {
    let kind = job.kind.name();
    match jobs.run(job).await {
        Ok(JobOutcome::Done) => {
            outages.restored(MAIL);
            metrics::counter!("jobs_done_total", "kind" => kind).increment(1);
            tracing::info!(job = %job.id, kind, attempt = job.attempt, "job done");
        }
        Ok(JobOutcome::Retrying { after, error }) => {
            metrics::counter!("jobs_retried_total", "kind" => kind).increment(1);
            // An SMTP server away fails every mail job: one outage, not a line per try.
            outages.refused(MAIL, &error);
            tracing::debug!(job = %job.id, kind, attempt = job.attempt, "job failed ({error}); retrying in {after:.1?}");
        }
        Ok(JobOutcome::Failed { error }) => {
            metrics::counter!("jobs_failed_total", "kind" => kind).increment(1);
            tracing::error!(job = %job.id, kind, attempt = job.attempt, "job parked as failed: {error}");
        }
        // The lease ran out meanwhile (another worker has the job) or the database went
        // away; the job comes back when its lease expires.
        Err(e) => tracing::warn!(job = %job.id, kind, "job attempt not settled: {e}"),
    }
}

/// What a job run depends on: every job kind today sends one e-mail.
const MAIL: &str = "smtp";

async fn run_jobs(
    jobs: Arc<JobService>,
    outages: Arc<Outages>,
    settings: WorkerSettings,
    shutdown: CancellationToken,
) {
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
            let outages = outages.clone();
            let shutdown = shutdown.clone();
            async move {
                if shutdown.is_cancelled() {
                    if let Err(e) = jobs.release(&job).await {
                        tracing::warn!(job = %job.id, "job not released: {e}");
                    }
                    return;
                }
                let span = crate::telemetry::job_span(job.kind.name(), &job);
                run_one(&jobs, &outages, &job).instrument(span).await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use app::mails::MailSettings;
    use domain::job::{JobKind, MockJobQueue, MockMailer};
    use uuid::Uuid;

    fn welcome(n: u32) -> ClaimedJob {
        ClaimedJob {
            id: Uuid::now_v7(),
            kind: JobKind::WelcomeEmail {
                user_id: Uuid::now_v7(),
                email: format!("user{n}@example.com"),
                name: format!("user{n}"),
                verify_token: None,
            },
            attempt: 1,
            trace_parent: None,
        }
    }

    /// README, jobs: "On SIGTERM the worker ... gives back claimed jobs it had not started."
    /// A claim that comes back once shutdown has begun runs nothing: each of its jobs is
    /// released (its attempt not counted), none is sent or settled, and the loop ends.
    #[tokio::test]
    async fn jobs_claimed_as_shutdown_begins_go_back_unstarted() {
        let shutdown = CancellationToken::new();
        let claimed = vec![welcome(1), welcome(2)];
        let ids: Vec<(Uuid, u32)> = claimed.iter().map(|j| (j.id, j.attempt)).collect();
        let mut queue = MockJobQueue::new();
        let stop = shutdown.clone();
        queue.expect_claim().times(1).returning(move |_, _| {
            // SIGTERM arrives while the claim is on its way back.
            stop.cancel();
            Ok(claimed.clone().into_iter().map(Ok).collect())
        });
        queue
            .expect_release()
            .withf(move |id, attempt| ids.contains(&(*id, *attempt)))
            .times(2)
            .returning(|_, _| Ok(()));
        queue.expect_complete().never();
        queue.expect_retry().never();
        queue.expect_fail().never();
        let mut mailer = MockMailer::new();
        mailer.expect_send().never();
        let jobs = Arc::new(JobService::new(
            Arc::new(queue),
            Arc::new(mailer),
            3,
            MailSettings {
                app_url: "http://localhost".into(),
                reset_minutes: 30,
                verification_hours: 48,
            },
        ));
        tokio::time::timeout(
            Duration::from_secs(5),
            run_jobs(
                jobs,
                Arc::new(Outages::new(&[])),
                WorkerSettings::default(),
                shutdown,
            ),
        )
        .await
        .expect("the worker stops after giving the jobs back");
    }
}
