use super::{empty_page, principal_of, unexpected, user};
use crate::AppError;
use crate::maintenance::{LEASE, MaintenanceService, Retention};
use crate::notifications::{NotificationError, NotificationService, SINCE_BATCH};
use chrono::TimeDelta;
use domain::notification::{MockNotificationRepository, NotificationFilter};
use domain::pagination::{Cursor, KeyValue, PageRequest};
use domain::retention::{MockLeases, MockPrunable};
use domain::time;
use domain::user::Role;
use mockall::predicate::eq;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[tokio::test]
async fn reading_someone_elses_notification_is_not_found() {
    let me = principal_of(&user("me@b.co", Role::Member));
    let theirs = Uuid::now_v7();
    let mut repo = MockNotificationRepository::new();
    // The repository is asked for the caller's own notification of that id only.
    repo.expect_mark_read()
        .with(eq(me.user_id), eq(theirs))
        .times(1)
        .returning(|_, _| Ok(false));
    let svc = NotificationService::new(Arc::new(repo));
    assert!(matches!(
        svc.mark_read(&me, theirs).await,
        Err(NotificationError::App(AppError::NotFound("notification")))
    ));

    let mut repo = MockNotificationRepository::new();
    repo.expect_mark_read().returning(|_, _| Ok(true));
    let svc = NotificationService::new(Arc::new(repo));
    assert!(svc.mark_read(&me, Uuid::now_v7()).await.is_ok());
}

#[tokio::test]
async fn every_use_case_is_about_the_callers_own_notifications() {
    let me = principal_of(&user("me@b.co", Role::Member));
    let mut repo = MockNotificationRepository::new();
    repo.expect_list()
        .withf(move |user, filter, _| *user == me.user_id && filter.unread)
        .returning(|_, _, page| empty_page(page));
    repo.expect_unread_count()
        .with(eq(me.user_id))
        .returning(|_| Ok(3));
    repo.expect_mark_all_read()
        .with(eq(me.user_id))
        .times(1)
        .returning(|_| Ok(3));
    let after = Uuid::now_v7();
    repo.expect_since()
        .with(eq(me.user_id), eq(after), eq(SINCE_BATCH))
        .returning(|_, _, _| Ok(Vec::new()));
    let svc = NotificationService::new(Arc::new(repo));
    let filter = NotificationFilter { unread: true };
    assert_eq!(
        svc.list(&me, filter, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(svc.unread_count(&me).await.unwrap(), 3);
    svc.mark_all_read(&me).await.unwrap();
    assert!(svc.since(me.user_id, after).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_cursor_of_another_list_is_refused_before_any_read() {
    let me = principal_of(&user("me@b.co", Role::Member));
    // No expectation: a read would panic.
    let svc = NotificationService::new(Arc::new(MockNotificationRepository::new()));
    let foreign = Cursor {
        position: 20,
        key: vec![KeyValue::Time(time::now()), KeyValue::Id(Uuid::now_v7())],
    };
    let page = PageRequest::with_cursor(Some(20), None, Some(foreign)).unwrap();
    assert!(matches!(
        svc.list(&me, NotificationFilter::default(), page).await,
        Err(NotificationError::App(AppError::Invalid(_)))
    ));
}

fn table(name: &'static str, batches: Vec<u64>) -> MockPrunable {
    let mut t = MockPrunable::new();
    t.expect_table().return_const(name);
    let mut answers = batches.into_iter();
    t.expect_prune_older_than()
        .returning(move |_, _| Ok(answers.next().unwrap_or(0)));
    t
}

#[tokio::test]
async fn a_round_prunes_each_table_in_batches_until_one_comes_back_short() {
    let mut leases = MockLeases::new();
    leases
        .expect_acquire()
        .withf(|name, hold| name == LEASE && *hold == Duration::from_secs(600))
        .times(1)
        .returning(|_, _| Ok(true));
    let notifications = table("notifications", vec![2, 2, 1]);
    let mut jobs = MockPrunable::new();
    jobs.expect_table().return_const("jobs");
    let before = time::now() - TimeDelta::days(14);
    jobs.expect_prune_older_than()
        .withf(move |cutoff, limit| *limit == 2 && *cutoff >= before)
        .times(1)
        .returning(|_, _| Err(unexpected()));
    let keys = table("idempotency_keys", vec![0]);
    let svc = MaintenanceService::new(
        Arc::new(leases),
        vec![
            Retention::new(Arc::new(notifications), TimeDelta::days(90)),
            Retention::new(Arc::new(jobs), TimeDelta::days(14)),
            Retention::new(Arc::new(keys), TimeDelta::zero()),
        ],
        Duration::from_secs(600),
    )
    .with_batch(2);
    let report = svc.run_round().await.unwrap().unwrap();
    assert_eq!(report.len(), 3);
    assert_eq!((report[0].table, report[0].rows), ("notifications", 5));
    assert!(report[0].error.is_none());
    // A failing table is reported; the tables after it still run.
    assert_eq!(report[1].table, "jobs");
    assert!(report[1].error.is_some());
    assert_eq!((report[2].table, report[2].rows), ("idempotency_keys", 0));
}

#[tokio::test]
async fn a_round_another_instance_holds_prunes_nothing() {
    let mut leases = MockLeases::new();
    leases.expect_acquire().returning(|_, _| Ok(false));
    // No expectation on the table: a prune would panic.
    let svc = MaintenanceService::new(
        Arc::new(leases),
        vec![Retention::new(
            Arc::new(MockPrunable::new()),
            TimeDelta::days(1),
        )],
        Duration::from_secs(60),
    );
    assert!(svc.run_round().await.unwrap().is_none());
}
