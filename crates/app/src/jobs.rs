//! Background jobs: claiming due jobs from the shared queue, running them, and settling
//! each attempt (done, retried with backoff, or parked as failed).
//!
//! The loop that calls these lives with the runtime (the `api` binary); everything that
//! decides what happens to a job is here, testable against mocks.

use crate::mails::{self, MailSettings};
use domain::BoxError;
use domain::error::{RepoError, error_chain};
use domain::job::{
    ClaimedJob, JobKind, JobOutcome, JobQueue, Mailer, OutgoingMail, jitter_for, retry_delay,
};
use domain::time;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the job queue is unavailable")]
    Unavailable(#[source] BoxError),
    #[error("unexpected job queue failure")]
    Unexpected(#[source] BoxError),
}

impl From<RepoError> for JobError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Unavailable(source) => Self::Unavailable(source),
            other => Self::Unexpected(other.into()),
        }
    }
}

/// Stored errors are for operators; a remote server's essay is cut short.
const MAX_ERROR_LEN: usize = 1000;

pub struct JobService {
    queue: Arc<dyn JobQueue>,
    mailer: Arc<dyn Mailer>,
    max_attempts: u32,
    mails: MailSettings,
}

impl JobService {
    pub fn new(
        queue: Arc<dyn JobQueue>,
        mailer: Arc<dyn Mailer>,
        max_attempts: u32,
        mails: MailSettings,
    ) -> Self {
        Self {
            queue,
            mailer,
            max_attempts: max_attempts.max(1),
            mails,
        }
    }

    /// Claims up to `limit` due jobs for `lease`. Jobs that cannot be read are parked as
    /// failed at once (retrying cannot fix them) and not returned.
    pub async fn claim(&self, limit: u32, lease: Duration) -> Result<Vec<ClaimedJob>, JobError> {
        let mut runnable = Vec::new();
        for claimed in self.queue.claim(limit, lease).await? {
            match claimed {
                Ok(job) => runnable.push(job),
                Err(bad) => {
                    let error = format!("unreadable job: {}", bad.reason);
                    self.queue.fail(bad.id, bad.attempt, &error).await?;
                }
            }
        }
        Ok(runnable)
    }

    /// Runs one claimed job and settles the attempt.
    pub async fn run(&self, job: &ClaimedJob) -> Result<JobOutcome, JobError> {
        let result = self.mailer.send(&self.mail_of(&job.kind)).await;
        let error = match result {
            Ok(()) => {
                self.queue.complete(job.id, job.attempt).await?;
                return Ok(JobOutcome::Done);
            }
            Err(e) => truncate(&error_chain(e.as_ref(), ": "), MAX_ERROR_LEN),
        };
        if job.attempt >= self.max_attempts {
            self.queue.fail(job.id, job.attempt, &error).await?;
            return Ok(JobOutcome::Failed { error });
        }
        let after = retry_delay(job.attempt, jitter_for(job.id, job.attempt));
        let run_at = time::now() + chrono::TimeDelta::from_std(after).unwrap_or_default();
        self.queue
            .retry(job.id, job.attempt, run_at, &error)
            .await?;
        Ok(JobOutcome::Retrying { after, error })
    }

    /// Hands a claimed job back without counting the attempt (the worker is stopping).
    pub async fn release(&self, job: &ClaimedJob) -> Result<(), JobError> {
        Ok(self.queue.release(job.id, job.attempt).await?)
    }

    /// The e-mail a job sends.
    fn mail_of(&self, kind: &JobKind) -> OutgoingMail {
        let s = &self.mails;
        match kind {
            JobKind::WelcomeEmail {
                email,
                name,
                verify_token,
                ..
            } => mails::welcome(s, email, name, verify_token.as_deref()),
            JobKind::VerificationEmail {
                email, name, token, ..
            } => mails::verification(s, email, name, token),
            JobKind::PasswordResetEmail {
                email, name, token, ..
            } => mails::password_reset(s, email, name, token),
            JobKind::PasswordChangedEmail { email, name, .. } => {
                mails::password_changed(email, name)
            }
        }
    }

    /// Jobs waiting or running, for the metrics.
    pub async fn depth(&self) -> Result<u64, JobError> {
        Ok(self.queue.depth().await?)
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
