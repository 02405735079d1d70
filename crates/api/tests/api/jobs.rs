//! SPEC section 6, background work: the welcome e-mail through a real SMTP listener,
//! retries with backoff, parking, an SMTP outage, and several instances sharing a queue.

use crate::helpers::{TestApp, redis_prefix, spawn_app_with, start};
use crate::metered::{Launch, OwnProcess, WITHIN, sample};
use crate::smtp::SmtpServer;
use sea_orm::ConnectionTrait;
use std::collections::HashMap;
use std::time::Duration;

async fn job_row(app: &TestApp, email: &str) -> (String, i64, Option<String>) {
    let sql =
        format!("SELECT status, attempts, last_error FROM jobs WHERE payload LIKE '%{email}%'");
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .expect("the job exists");
    (
        row.try_get_by_index(0).unwrap(),
        i64::from(row.try_get_by_index::<i32>(1).unwrap()),
        row.try_get_by_index(2).unwrap(),
    )
}

async fn wait_for_status(app: &TestApp, email: &str, status: &str, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (now, attempts, error) = job_row(app, email).await;
        if now == status {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job still {now} after {attempts} attempts ({error:?})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_welcome_email_reaches_the_new_user() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(smtp.url());
        c.mail_from = "Shop <hello@shop.test>".into();
    })
    .await;
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &serde_json::json!({"email": "Ada@Example.com", "password": "password-123", "name": "Ada L."}),
            None,
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let mails = smtp.wait_for(1, Duration::from_secs(10)).await;
    let mail = &mails[0];
    assert_eq!(mail.from, "hello@shop.test");
    assert_eq!(mail.to, vec!["ada@example.com".to_owned()]);
    let text = mail.text();
    assert!(text.contains("To: \"Ada L.\" <ada@example.com>"), "{text}");
    assert!(text.contains("Subject: Welcome, Ada L.!"), "{text}");
    assert!(text.contains("Hello Ada L.,"), "{text}");
    wait_for_status(&app, "ada@example.com", "done", Duration::from_secs(5)).await;
    // Accounts an admin creates get no welcome e-mail: only registration sends one.
    let admin = app.admin_token().await;
    let res = app
        .post_json(
            "/api/v1/users",
            &serde_json::json!({"email": "made@example.com", "password": "password-123", "role": "member"}),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    // A welcome job is written in the same transaction as its user: none now is none ever.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE payload LIKE '%made@example.com%'")
            .await,
        0
    );
    assert_eq!(smtp.mails().len(), 1);
}

#[tokio::test]
async fn a_job_whose_first_two_sends_fail_is_delivered_on_the_third() {
    let smtp = SmtpServer::start().await;
    smtp.refuse_next(2);
    let app = spawn_app_with(|c| c.smtp_url = Some(smtp.url())).await;
    let user = app.register("third@example.com").await;
    let mails = smtp.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(smtp.refused(), 2);
    assert_eq!(mails[0].to, vec![user.email.clone()]);
    wait_for_status(&app, &user.email, "done", Duration::from_secs(5)).await;
    let (_, attempts, error) = job_row(&app, &user.email).await;
    assert_eq!((attempts, error), (3, None));
}

#[tokio::test]
async fn a_job_is_parked_as_failed_after_its_last_attempt() {
    let smtp = SmtpServer::start().await;
    smtp.refuse_next(usize::MAX);
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(smtp.url());
        c.job_max_attempts = 2;
    })
    .await;
    let user = app.register("never@example.com").await;
    wait_for_status(&app, &user.email, "failed", Duration::from_secs(10)).await;
    let (_, attempts, error) = job_row(&app, &user.email).await;
    assert_eq!(attempts, 2);
    assert!(
        error.unwrap_or_default().contains("451"),
        "the server's answer is kept"
    );
    // Parked means parked: no further attempts, while the worker goes on claiming. A
    // later job runs all its attempts (two claims of a backoff apart) meanwhile.
    let later = app.register("later@example.com").await;
    wait_for_status(&app, &later.email, "failed", Duration::from_secs(10)).await;
    assert_eq!(job_row(&app, &later.email).await.1, 2);
    assert_eq!(job_row(&app, &user.email).await.1, 2);
    assert!(smtp.mails().is_empty());
}

#[tokio::test]
async fn mail_waits_out_an_smtp_outage() {
    // Nothing listens on the port yet: the first attempts are refused at connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let user = app.register("patient@example.com").await;
    // Wait for a refused attempt on record: a claimed job may not have dialled yet.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while job_row(&app, &user.email).await.2.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "never refused");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let smtp = SmtpServer::start_on(port).await;
    let mails = smtp.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(mails[0].to, vec![user.email.clone()]);
    // The mail is out before the worker records it: wait for the final state.
    wait_for_status(&app, &user.email, "done", Duration::from_secs(5)).await;
    let (status, attempts, _) = job_row(&app, &user.email).await;
    assert!(attempts >= 2, "retried after the outage");
    assert_eq!(status, "done");
}

/// Two instances on one database (and one Redis when there is one): each welcome e-mail
/// is sent exactly once, whichever instance registered the user.
#[tokio::test]
async fn two_instances_send_each_welcome_email_exactly_once() {
    let smtp = SmtpServer::start().await;
    let redis = std::env::var("TEST_REDIS_URL").ok();
    let a = spawn_app_with(|c| {
        c.smtp_url = Some(smtp.url());
        c.redis_url = redis;
        c.redis_prefix = redis_prefix();
    })
    .await;
    let b = TestApp::on(&a, start(&a.config).await);
    for i in 0..12 {
        let on = if i % 2 == 0 { &a } else { &b };
        on.register(&format!("user{i}@example.com")).await;
    }
    smtp.wait_for(12, Duration::from_secs(15)).await;
    // Every job done, each claimed once (a claim counts an attempt): no second send can
    // be on its way.
    for i in 0..12 {
        let email = format!("user{i}@example.com");
        wait_for_status(&a, &email, "done", Duration::from_secs(10)).await;
        assert_eq!(job_row(&a, &email).await.1, 1, "{email} claimed twice");
    }
    let mut per_recipient: HashMap<String, usize> = HashMap::new();
    for mail in smtp.mails() {
        for to in mail.to {
            *per_recipient.entry(to).or_default() += 1;
        }
    }
    assert_eq!(per_recipient.len(), 12);
    assert!(per_recipient.values().all(|n| *n == 1), "{per_recipient:?}");
}

/// `jobs_done_total`, `jobs_retried_total` and `jobs_failed_total` by kind, in a process of
/// its own (the recorder is process-wide): exactly what this test's jobs did.
#[tokio::test]
async fn finished_retried_and_failed_jobs_are_counted_by_kind() {
    let smtp = SmtpServer::start().await;
    // The first user's two attempts and the second user's first are refused.
    smtp.refuse_next(3);
    let own = OwnProcess::start(&[("SMTP_URL", &smtp.url()), ("JOB_MAX_ATTEMPTS", "2")]).await;
    let (done, retried, failed) = (
        r#"jobs_done_total{kind="welcome_email"}"#,
        r#"jobs_retried_total{kind="welcome_email"}"#,
        r#"jobs_failed_total{kind="welcome_email"}"#,
    );
    own.register("first@example.com").await;
    own.wait_for_sample(failed, 1.0).await;
    assert_eq!(own.sample(retried).await, 1.0);
    assert_eq!(own.sample(done).await, 0.0);

    own.register("second@example.com").await;
    own.wait_for_sample(done, 1.0).await;
    let page = own.metrics().await;
    assert_eq!(sample(&page, retried), 2.0, "{page}");
    assert_eq!(sample(&page, failed), 1.0, "{page}");
    assert_eq!(smtp.refused(), 3);
    assert_eq!(smtp.mails().len(), 1);
    assert_eq!(smtp.mails()[0].to, vec!["second@example.com".to_owned()]);
}

/// The status and attempts of the job that mails `email`, read from `db`.
async fn job_in(db: &sea_orm::DatabaseConnection, email: &str) -> (String, i32) {
    let sql = format!("SELECT status, attempts FROM jobs WHERE payload LIKE '%{email}%'");
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .expect("the job exists");
    (
        row.try_get_by_index(0).unwrap(),
        row.try_get_by_index(1).unwrap(),
    )
}

/// README, background jobs: "On SIGTERM the worker stops claiming, lets running jobs
/// finish"; the process exits `0` once they have.
#[tokio::test]
async fn on_sigterm_the_worker_finishes_its_running_job_and_claims_no_more() {
    let smtp = SmtpServer::start().await;
    smtp.hold();
    let mut own = OwnProcess::start(&[("SMTP_URL", &smtp.url())]).await;
    own.register("running@example.com").await;
    // Its welcome mail is on the wire: the worker waits for the SMTP server's answer.
    let deadline = tokio::time::Instant::now() + WITHIN;
    while smtp.held() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no send began");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Queued while the worker is busy with the first: due, but not claimed yet.
    own.register("queued@example.com").await;

    own.sigterm();
    own.wait_for_line(|l| l.contains("SIGTERM: shutting down"))
        .await;
    smtp.release();
    let status = own.exit_status().await;
    assert!(status.success(), "exit status {status}:\n{}", own.log());

    let db = own.db().await;
    assert_eq!(
        job_in(&db, "running@example.com").await,
        ("done".to_owned(), 1),
        "the running job finished and was recorded"
    );
    assert_eq!(
        job_in(&db, "queued@example.com").await,
        ("pending".to_owned(), 0),
        "no claim after the signal"
    );
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["running@example.com".to_owned()]);
}

/// README: `api worker` runs the job worker without HTTP, on the queue `api serve` fills.
#[tokio::test]
async fn api_worker_sends_what_the_server_queued_and_serves_no_http() {
    // Nothing listens for the server's mail: its attempt is refused and retried later.
    let refused = format!("smtp://127.0.0.1:{}", crate::process::free_port());
    let mut server = OwnProcess::start(&[("SMTP_URL", &refused)]).await;
    server.register("later@example.com").await;
    server
        .wait_until_sample(r#"jobs_retried_total{kind="welcome_email"}"#, |n| n >= 1.0)
        .await;
    server.sigterm();
    assert!(server.exit_status().await.success());

    let smtp = SmtpServer::start().await;
    let smtp_url = smtp.url();
    let mut worker = OwnProcess::launch(
        &server.database_url,
        None,
        Launch {
            args: &["worker"],
            env: &[("SMTP_URL", &smtp_url), ("AUTO_MIGRATE", "false")],
            ..Launch::default()
        },
    );
    let mails = smtp.wait_for(1, WITHIN).await;
    assert_eq!(mails[0].to, vec!["later@example.com".to_owned()]);
    let db = worker.db().await;
    let deadline = tokio::time::Instant::now() + WITHIN;
    while job_in(&db, "later@example.com").await.0 != "done" {
        assert!(tokio::time::Instant::now() < deadline, "never recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // It has been at work all along, and nothing listens on its PORT.
    assert!(worker.running(), "{}", worker.log());
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", worker.port)).is_err(),
        "the worker answers on its PORT"
    );
    worker.sigterm();
    let status = worker.exit_status().await;
    assert!(status.success(), "exit status {status}:\n{}", worker.log());
}

/// README: without `SMTP_URL` mail goes to the log (and the job is done).
#[tokio::test]
async fn without_smtp_url_the_mail_goes_to_the_log() {
    let own = OwnProcess::start(&[("LOG_FORMAT", "json")]).await;
    own.register("logged@example.com").await;
    own.wait_for_sample(r#"jobs_done_total{kind="welcome_email"}"#, 1.0)
        .await;
    let line = own
        .wait_for_line(|l| l.contains("e-mail not sent (no SMTP_URL)"))
        .await;
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["to"], "logged@example.com", "{line}");
    assert!(
        v["subject"]
            .as_str()
            .is_some_and(|s| s.starts_with("Welcome")),
        "{line}"
    );
}
