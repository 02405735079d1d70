//! The job queue against real databases: SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` is set. Claims are exclusive, retries wait for their time, failures
//! park, leases expire, and a worker that lost its lease can no longer settle the job.

mod common;

use domain::RepoError;
use domain::job::{JobKind, JobQueue};
use domain::time;
use infra::db::Db;
use infra::entities::jobs;
use infra::repositories::SeaOrmJobQueue;
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(60);

async fn enqueue(db: &Db, payload: Option<&str>, run_at: time::Timestamp) -> Uuid {
    let id = Uuid::now_v7();
    let user_id = Uuid::now_v7();
    let kind = JobKind::WelcomeEmail {
        user_id,
        email: format!("{id}@example.com"),
        name: "New".into(),
        verify_token: None,
    };
    // The stored format (`repositories::job` keeps it).
    let stored = format!(
        r#"{{"kind":"welcome_email","user_id":"{user_id}","email":"{id}@example.com","name":"New"}}"#
    );
    let payload = payload.map_or(stored, str::to_owned);
    let now = time::now();
    jobs::ActiveModel {
        id: Set(id),
        kind: Set(kind.name().into()),
        payload: Set(payload),
        status: Set("pending".into()),
        attempts: Set(0),
        run_at: Set(run_at),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        trace_parent: Set(None),
    }
    .insert(db.conn())
    .await
    .unwrap();
    id
}

async fn row(db: &Db, id: Uuid) -> jobs::Model {
    jobs::Entity::find_by_id(id)
        .one(db.conn())
        .await
        .unwrap()
        .unwrap()
}

async fn claim_ids(queue: &SeaOrmJobQueue, limit: u32, lease: Duration) -> Vec<(Uuid, u32)> {
    queue
        .claim(limit, lease)
        .await
        .unwrap()
        .into_iter()
        .map(|c| {
            let c = c.expect("readable");
            (c.id, c.attempt)
        })
        .collect()
}

async fn check(url: &str) {
    let conn = infra::db::connect(url, 5).await.expect("connect");
    Migrator::up(&conn, None).await.expect("migrate");
    let db = Db::new(conn);
    let queue = SeaOrmJobQueue::new(db.clone());

    // A due job is claimed once, with its first attempt; a future one waits.
    let due = enqueue(&db, None, time::now()).await;
    let later = enqueue(&db, None, time::now() + chrono::TimeDelta::hours(1)).await;
    assert_eq!(queue.depth().await.unwrap(), 2);
    assert_eq!(claim_ids(&queue, 10, LEASE).await, vec![(due, 1)]);
    assert!(claim_ids(&queue, 10, LEASE).await.is_empty(), "leased");
    assert_eq!(row(&db, due).await.status, "running");

    // Retried: pending with its error, due again only at run_at (an hour ahead, so no
    // stall of the machine can make it due before the check).
    let run_at = time::now() + chrono::TimeDelta::hours(1);
    queue.retry(due, 1, run_at, "refused").await.unwrap();
    let r = row(&db, due).await;
    assert_eq!(
        (r.status.as_str(), r.last_error.as_deref(), r.run_at),
        ("pending", Some("refused"), run_at)
    );
    assert!(claim_ids(&queue, 10, LEASE).await.is_empty(), "not yet due");
    // Its time comes: claimed again, as its second attempt.
    jobs::Entity::update_many()
        .col_expr(jobs::Column::RunAt, Expr::value(time::now()))
        .filter(jobs::Column::Id.eq(due))
        .exec(db.conn())
        .await
        .unwrap();
    assert_eq!(claim_ids(&queue, 10, LEASE).await, vec![(due, 2)]);

    // Parked as failed: never claimed again, and no longer in the queue's depth.
    queue.fail(due, 2, "gave up").await.unwrap();
    let r = row(&db, due).await;
    assert_eq!(
        (r.status.as_str(), r.last_error.as_deref(), r.attempts),
        ("failed", Some("gave up"), 2)
    );
    assert_eq!(queue.depth().await.unwrap(), 1);

    // A lease that runs out returns the job; the old holder can no longer settle it.
    let leased = enqueue(&db, None, time::now()).await;
    assert_eq!(
        claim_ids(&queue, 10, Duration::from_millis(50)).await,
        vec![(leased, 1)]
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(claim_ids(&queue, 10, LEASE).await, vec![(leased, 2)]);
    assert!(matches!(
        queue.complete(leased, 1).await,
        Err(RepoError::Stale)
    ));
    queue.complete(leased, 2).await.unwrap();
    let r = row(&db, leased).await;
    assert_eq!((r.status.as_str(), r.locked_until), ("done", None));

    // Released on shutdown: due now, the attempt not counted.
    let released = enqueue(&db, None, time::now()).await;
    assert_eq!(claim_ids(&queue, 10, LEASE).await, vec![(released, 1)]);
    queue.release(released, 1).await.unwrap();
    assert_eq!(row(&db, released).await.attempts, 0);
    assert_eq!(claim_ids(&queue, 10, LEASE).await, vec![(released, 1)]);
    queue.complete(released, 1).await.unwrap();

    // A payload we cannot read comes back as such, so it can be parked.
    let unreadable = enqueue(&db, Some(r#"{"kind":"carrier_pigeon"}"#), time::now()).await;
    let claimed = queue.claim(10, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let bad = claimed[0].as_ref().expect_err("unreadable");
    assert_eq!((bad.id, bad.attempt), (unreadable, 1));
    queue.fail(unreadable, 1, "unreadable").await.unwrap();

    // Four workers racing over 120 jobs: each job is claimed exactly once.
    for _ in 0..120 {
        enqueue(&db, None, time::now()).await;
    }
    let queue = Arc::new(queue);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let queue = queue.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = claim_ids(&queue, 7, LEASE).await;
                    if batch.is_empty() {
                        break mine;
                    }
                    for (id, attempt) in batch {
                        queue.complete(id, attempt).await.unwrap();
                        mine.push(id);
                    }
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 120, "every job claimed");
    assert_eq!(distinct.len(), 120, "no job claimed twice");
    // `later` is the only job left waiting.
    assert_eq!(queue.depth().await.unwrap(), 1);
    let _ = later;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_job_queue_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check(&common::sqlite_url(&dir, "jobs")).await;
}

/// Runs when `TEST_DATABASE_URL` names a PostgreSQL server (CI sets it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_job_queue_on_postgres() {
    common::on_postgres(|url| async move { check(&url).await }).await;
}

/// A settled mail job keeps no account token in its payload: the link went out (or never
/// will), so the plain token need not stay in the table.
async fn settled_payloads_hold_no_tokens(url: &str) {
    let db = common::migrated_db(url).await;
    let queue = SeaOrmJobQueue::new(db.clone());
    // Payloads in the stored format (`repositories::job` keeps it).
    let user = Uuid::now_v7();
    let head = format!(r#""user_id":"{user}","email":"a@b.co","name":"A""#);
    let jobs_in = [
        (
            "password_reset_email",
            format!(r#"{{"kind":"password_reset_email",{head},"token":"secret-1"}}"#),
        ),
        (
            "verification_email",
            format!(r#"{{"kind":"verification_email",{head},"token":"secret-2"}}"#),
        ),
        (
            "welcome_email",
            format!(r#"{{"kind":"welcome_email",{head},"verify_token":"secret-3"}}"#),
        ),
    ];
    let mut ids = Vec::new();
    for (kind, payload) in jobs_in {
        let id = enqueue(&db, Some(&payload), time::now()).await;
        jobs::Entity::update_many()
            .col_expr(jobs::Column::Kind, sea_orm::sea_query::Expr::value(kind))
            .filter(jobs::Column::Id.eq(id))
            .exec(db.conn())
            .await
            .unwrap();
        ids.push(id);
    }
    assert_eq!(claim_ids(&queue, 10, LEASE).await.len(), 3);
    queue.complete(ids[0], 1).await.unwrap();
    queue.fail(ids[1], 1, "gave up").await.unwrap();
    queue.complete(ids[2], 1).await.unwrap();
    for id in ids {
        let payload = row(&db, id).await.payload;
        assert!(!payload.contains("secret-"), "{payload}");
        assert!(payload.contains("a@b.co"), "the rest is kept: {payload}");
    }
}

on_both_backends!(settled_payloads_hold_no_tokens: no_tokens_on_sqlite, no_tokens_on_postgres);
