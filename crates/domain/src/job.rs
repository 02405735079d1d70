//! Durable background jobs: what a job is, the queue port, the mail port, and the retry
//! rule. The queue itself is an adapter (a table every instance's workers share).

use crate::error::{BoxError, RepoError};
use crate::time::{self, Timestamp};
use async_trait::async_trait;
use std::time::Duration;
use uuid::Uuid;

/// What a job does, with everything it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobKind {
    /// Sent once per registration; holds the e-mail verification token (`None` for jobs
    /// queued before verification existed).
    WelcomeEmail {
        user_id: Uuid,
        email: String,
        name: String,
        verify_token: Option<String>,
    },
    /// A newer verification link, asked for by the signed-in user.
    VerificationEmail {
        user_id: Uuid,
        email: String,
        name: String,
        token: String,
    },
    /// The password-reset link. Carries everything the mail needs, so the job reads
    /// nothing the request did not (no timing tells whether an address has an account).
    PasswordResetEmail {
        user_id: Uuid,
        email: String,
        name: String,
        token: String,
    },
    /// "Your password was changed", after a reset.
    PasswordChangedEmail {
        user_id: Uuid,
        email: String,
        name: String,
    },
}

impl JobKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::WelcomeEmail { .. } => "welcome_email",
            Self::VerificationEmail { .. } => "verification_email",
            Self::PasswordResetEmail { .. } => "password_reset_email",
            Self::PasswordChangedEmail { .. } => "password_changed_email",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: Uuid,
    pub kind: JobKind,
    pub run_at: Timestamp,
}

impl Job {
    /// A job to run as soon as a worker is free.
    pub fn now(kind: JobKind) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind,
            run_at: time::now(),
        }
    }
}

/// A job a worker holds until its lease runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub kind: JobKind,
    /// Attempts so far, this one included. It also fences the claim: a worker whose lease
    /// ran out (and whose job another worker then claimed) can no longer settle the job.
    pub attempt: u32,
    /// The W3C `traceparent` of the request that queued the job, if it was traced: opaque
    /// here, it lets the run be recorded as part of that request's trace.
    pub trace_parent: Option<String>,
}

/// What happened to a job after an attempt; failures carry the error as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    /// Back in the queue, due again after the delay.
    Retrying {
        after: Duration,
        error: String,
    },
    /// Parked as failed after its last allowed attempt.
    Failed {
        error: String,
    },
}

/// The shared queue. Claims are exclusive across every worker of every instance.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Takes up to `limit` due jobs (and jobs whose lease ran out), counting an attempt
    /// for each and leasing them for `lease`. A job whose payload cannot be decoded comes
    /// back as `Err`, so it can be parked rather than retried forever.
    async fn claim(
        &self,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Result<ClaimedJob, UnreadableJob>>, RepoError>;
    /// The job is done.
    async fn complete(&self, job: Uuid, attempt: u32) -> Result<(), RepoError>;
    /// The attempt failed; the job is due again at `run_at`.
    async fn retry(
        &self,
        job: Uuid,
        attempt: u32,
        run_at: Timestamp,
        error: &str,
    ) -> Result<(), RepoError>;
    /// The job is parked as failed with its last error.
    async fn fail(&self, job: Uuid, attempt: u32, error: &str) -> Result<(), RepoError>;
    /// Gives the job back unattempted (shutdown): due now, the attempt not counted.
    async fn release(&self, job: Uuid, attempt: u32) -> Result<(), RepoError>;
    /// Jobs waiting or running (not done, not failed).
    async fn depth(&self) -> Result<u64, RepoError>;
}

/// A stored job whose payload does not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableJob {
    pub id: Uuid,
    pub attempt: u32,
    pub reason: String,
}

/// An e-mail ready to send: a plain-text body, and optionally the same in HTML (sent as
/// `multipart/alternative`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), BoxError>;
}

/// Retries back off exponentially: about 1 s after the first failed attempt, doubling
/// with each further one, capped at 10 minutes.
pub const FIRST_RETRY: Duration = Duration::from_secs(1);
pub const MAX_RETRY: Duration = Duration::from_secs(600);

/// The delay before the next attempt after `attempt` (1-based) failed, spread by `jitter`
/// in `[-1, 1]` by up to ±25 %, and never above [`MAX_RETRY`].
pub fn retry_delay(attempt: u32, jitter: f64) -> Duration {
    let doublings = attempt.saturating_sub(1).min(20);
    let base = FIRST_RETRY
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY)
        .as_secs_f64();
    let spread = 1.0 + 0.25 * jitter.clamp(-1.0, 1.0);
    Duration::from_secs_f64(base * spread).min(MAX_RETRY)
}

/// A jitter in `[-1, 1]` that is fixed for a job and attempt but differs between jobs, so
/// jobs that failed together (an SMTP outage) do not all come back in the same instant.
pub fn jitter_for(job: Uuid, attempt: u32) -> f64 {
    // SplitMix64 finaliser over the id and the attempt: cheap, well spread, no RNG state.
    let mut x = (job.as_u128() as u64) ^ ((job.as_u128() >> 64) as u64) ^ u64::from(attempt);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x as f64 / u64::MAX as f64) * 2.0 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_near_a_second_doubles_and_caps() {
        assert_eq!(retry_delay(1, 0.0), Duration::from_secs(1));
        assert_eq!(retry_delay(2, 0.0), Duration::from_secs(2));
        assert_eq!(retry_delay(3, 0.0), Duration::from_secs(4));
        assert_eq!(retry_delay(10, 0.0), Duration::from_secs(512));
        assert_eq!(retry_delay(11, 0.0), MAX_RETRY);
        assert_eq!(retry_delay(u32::MAX, 1.0), MAX_RETRY);
        assert_eq!(retry_delay(1, -1.0), Duration::from_millis(750));
        assert_eq!(retry_delay(1, 1.0), Duration::from_millis(1250));
        assert_eq!(retry_delay(0, 0.0), Duration::from_secs(1));
    }

    #[test]
    fn backoff_stays_within_a_quarter_of_its_base_for_any_jitter() {
        for attempt in 1..40 {
            let base = retry_delay(attempt, 0.0).as_secs_f64();
            for step in 0..=40 {
                let jitter = f64::from(step) / 20.0 - 1.0;
                let d = retry_delay(attempt, jitter).as_secs_f64();
                assert!(d >= base * 0.75 - 1e-9 && d <= base * 1.25 + 1e-9);
                assert!(d <= MAX_RETRY.as_secs_f64());
            }
        }
    }

    #[test]
    fn jitter_is_in_range_stable_and_spread() {
        let ids: Vec<Uuid> = (0..200).map(|_| Uuid::now_v7()).collect();
        let values: Vec<f64> = ids.iter().map(|id| jitter_for(*id, 1)).collect();
        assert!(values.iter().all(|j| (-1.0..=1.0).contains(j)));
        assert_eq!(jitter_for(ids[0], 3), jitter_for(ids[0], 3));
        let below = values.iter().filter(|j| **j < 0.0).count();
        assert!((50..150).contains(&below), "{below} of 200 below zero");
    }
}
