//! SPEC section 6, background work: the welcome e-mail through a real SMTP listener,
//! retries with backoff, parking, an SMTP outage, and several instances sharing a queue.

use crate::helpers::{TestApp, redis_prefix, spawn_app_with, start};
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
