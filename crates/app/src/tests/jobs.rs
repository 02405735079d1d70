use crate::jobs::{JobError, JobService};
use crate::mails::{MailSettings, welcome as welcome_mail};
use domain::RepoError;
use domain::job::{
    ClaimedJob, JobKind, JobOutcome, MockJobQueue, MockMailer, UnreadableJob, jitter_for,
    retry_delay,
};
use domain::time;
use mockall::predicate::eq;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

fn welcome(attempt: u32) -> ClaimedJob {
    ClaimedJob {
        id: Uuid::now_v7(),
        kind: JobKind::WelcomeEmail {
            user_id: Uuid::now_v7(),
            email: "ann@example.com".into(),
            name: "Ann".into(),
            verify_token: Some("verify-token".into()),
        },
        attempt,
        trace_parent: None,
    }
}

fn settings() -> MailSettings {
    MailSettings {
        app_url: "https://app.example.com".into(),
        reset_minutes: 30,
        verification_hours: 48,
    }
}

fn service(queue: MockJobQueue, mailer: MockMailer, max_attempts: u32) -> JobService {
    JobService::new(Arc::new(queue), Arc::new(mailer), max_attempts, settings())
}

#[test]
fn the_welcome_mail_is_addressed_to_the_new_user_by_name() {
    let mail = welcome_mail(&settings(), "ann@example.com", "Ann", None);
    assert_eq!(mail.to, "ann@example.com");
    assert_eq!(mail.to_name, "Ann");
    assert!(mail.subject.contains("Ann"));
    assert!(mail.body.contains("Hello Ann") && mail.body.contains("ann@example.com"));
}

#[tokio::test]
async fn a_sent_welcome_mail_completes_the_job() {
    let job = welcome(1);
    let mut queue = MockJobQueue::new();
    queue
        .expect_complete()
        .with(eq(job.id), eq(1))
        .times(1)
        .returning(|_, _| Ok(()));
    let mut mailer = MockMailer::new();
    mailer
        .expect_send()
        .withf(|m| {
            m.to == "ann@example.com"
                && m.to_name == "Ann"
                && m.body
                    .contains("https://app.example.com/verify-email?token=verify-token")
        })
        .times(1)
        .returning(|_| Ok(()));
    let outcome = service(queue, mailer, 8).run(&job).await.unwrap();
    assert_eq!(outcome, JobOutcome::Done);
}

#[tokio::test]
async fn each_account_mail_carries_its_own_link() {
    let user_id = Uuid::now_v7();
    let cases = [
        (
            JobKind::PasswordResetEmail {
                user_id,
                email: "ann@example.com".into(),
                name: "Ann".into(),
                token: "r1".into(),
            },
            "https://app.example.com/reset-password?token=r1",
        ),
        (
            JobKind::VerificationEmail {
                user_id,
                email: "ann@example.com".into(),
                name: "Ann".into(),
                token: "v1".into(),
            },
            "https://app.example.com/verify-email?token=v1",
        ),
        (
            JobKind::PasswordChangedEmail {
                user_id,
                email: "ann@example.com".into(),
                name: "Ann".into(),
            },
            "password of ann@example.com was just changed",
        ),
    ];
    for (kind, expected) in cases {
        let job = ClaimedJob {
            id: Uuid::now_v7(),
            kind,
            attempt: 1,
            trace_parent: None,
        };
        let mut queue = MockJobQueue::new();
        queue.expect_complete().times(1).returning(|_, _| Ok(()));
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .withf(move |m| {
                m.to == "ann@example.com" && m.body.contains(expected) && m.html.is_some()
            })
            .times(1)
            .returning(|_| Ok(()));
        let outcome = service(queue, mailer, 8).run(&job).await.unwrap();
        assert_eq!(outcome, JobOutcome::Done);
    }
}

#[tokio::test]
async fn a_failed_send_is_retried_later_with_backoff_and_its_error() {
    for attempt in [1, 2, 5] {
        let job = welcome(attempt);
        // The jitter is fixed per job and attempt: the delay is known exactly.
        let delay = retry_delay(attempt, jitter_for(job.id, attempt));
        let base = retry_delay(attempt, 0.0);
        assert!(delay >= base.mul_f64(0.75) && delay <= base.mul_f64(1.25));
        let mut queue = MockJobQueue::new();
        let stored = Arc::new(std::sync::Mutex::new(None));
        let keep = stored.clone();
        queue
            .expect_retry()
            .withf(move |id, a, _, error| {
                *id == job.id && *a == attempt && error.contains("connection refused")
            })
            .times(1)
            .returning(move |_, _, run_at, _| {
                *keep.lock().unwrap() = Some(run_at);
                Ok(())
            });
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .returning(|_| Err("connection refused".into()));
        let earliest = time::now();
        let outcome = service(queue, mailer, 8).run(&job).await.unwrap();
        let latest = time::now();
        let JobOutcome::Retrying { after, error } = outcome else {
            panic!("expected a retry, got {outcome:?}");
        };
        assert_eq!(after, delay);
        assert_eq!(error, "connection refused");
        // `run_at` is the delay counted from some moment during the run, however long the
        // run took on a loaded machine.
        let run_at = stored.lock().unwrap().expect("retry was called");
        let delay = chrono::TimeDelta::from_std(delay).unwrap();
        assert!(
            run_at >= earliest + delay && run_at <= latest + delay,
            "run_at {run_at} not within [{}, {}]",
            earliest + delay,
            latest + delay
        );
    }
}

#[tokio::test]
async fn the_last_allowed_attempt_parks_the_job_as_failed() {
    let job = welcome(3);
    let mut queue = MockJobQueue::new();
    queue
        .expect_fail()
        .withf(move |id, a, error| *id == job.id && *a == 3 && error.contains("mailbox full"))
        .times(1)
        .returning(|_, _, _| Ok(()));
    let mut mailer = MockMailer::new();
    mailer
        .expect_send()
        .returning(|_| Err("mailbox full".into()));
    let outcome = service(queue, mailer, 3).run(&job).await.unwrap();
    assert_eq!(
        outcome,
        JobOutcome::Failed {
            error: "mailbox full".into()
        }
    );
}

#[tokio::test]
async fn a_very_long_error_is_stored_shortened() {
    let job = welcome(1);
    let mut queue = MockJobQueue::new();
    queue
        .expect_retry()
        .withf(|_, _, _, error| error.chars().count() <= 1001)
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let mut mailer = MockMailer::new();
    mailer
        .expect_send()
        .returning(|_| Err("é".repeat(5000).into()));
    service(queue, mailer, 8).run(&job).await.unwrap();
}

#[tokio::test]
async fn claim_parks_unreadable_jobs_and_returns_the_rest() {
    let good = welcome(1);
    let bad = UnreadableJob {
        id: Uuid::now_v7(),
        attempt: 1,
        reason: "unknown variant `sms`".into(),
    };
    let mut queue = MockJobQueue::new();
    let (claimed, bad_id) = (vec![Ok(good.clone()), Err(bad.clone())], bad.id);
    queue
        .expect_claim()
        .with(eq(4), eq(Duration::from_secs(30)))
        .times(1)
        .returning(move |_, _| Ok(claimed.clone()));
    queue
        .expect_fail()
        .withf(move |id, a, error| *id == bad_id && *a == 1 && error.contains("unknown variant"))
        .times(1)
        .returning(|_, _, _| Ok(()));
    let jobs = service(queue, MockMailer::new(), 8)
        .claim(4, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(jobs, vec![good]);
}

#[tokio::test]
async fn release_gives_the_job_back_and_a_queue_outage_is_unavailable() {
    let job = welcome(2);
    let mut queue = MockJobQueue::new();
    queue
        .expect_release()
        .with(eq(job.id), eq(2))
        .times(1)
        .returning(|_, _| Ok(()));
    service(queue, MockMailer::new(), 8)
        .release(&job)
        .await
        .unwrap();

    let mut queue = MockJobQueue::new();
    queue
        .expect_claim()
        .returning(|_, _| Err(RepoError::Unavailable("down".into())));
    assert!(matches!(
        service(queue, MockMailer::new(), 8)
            .claim(1, Duration::from_secs(1))
            .await,
        Err(JobError::Unavailable(_))
    ));
}
