//! The inbox and the pruning against real databases: SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` is set. Notifications are stored with their comment or vote, read
//! back as the socket shows them, and pruning deletes only what is old, in batches.

mod common;

use chrono::TimeDelta;
use domain::blog::{Comment, CommentContent, CommentRepository, VoteRepository};
use domain::event::Event;
use domain::job::{Job, JobKind};
use domain::notification::{NotificationFilter, NotificationRepository, Notify};
use domain::pagination::PageRequest;
use domain::retention::{Leases, Prunable};
use domain::time;
use infra::db::Db;
use infra::entities::{jobs, notifications};
use infra::repositories::{
    SeaOrmCommentRepository, SeaOrmJobQueue, SeaOrmLeases, SeaOrmNotificationRepository,
    SeaOrmPostRepository, SeaOrmUserRepository, SeaOrmVoteRepository,
};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use std::time::Duration;
use uuid::Uuid;

async fn stored_with_their_cause(url: &str) {
    let db = common::migrated_db(url).await;
    let users = SeaOrmUserRepository::new(db.clone());
    let people = common::members(&users, "n", 2).await;
    let (owner, other) = (&people[0], &people[1]);
    let posts = SeaOrmPostRepository::new(db.clone());
    let post = common::published_post(&posts, owner.id, "Mine").await;
    let comments = SeaOrmCommentRepository::new(db.clone());
    let votes = SeaOrmVoteRepository::new(db.clone());
    let inbox = SeaOrmNotificationRepository::new(db.clone());

    let said = Comment::new(post.id, other.id, CommentContent::new("hi").unwrap());
    let first = Notify::new(owner.id);
    comments.create(&said, Some(first)).await.unwrap();
    let second = Notify::new(owner.id);
    let added = votes.add(post.id, other.id, Some(second)).await.unwrap();
    assert_eq!(added.votes, 1);
    // Without a recipient nothing is stored.
    votes.add(post.id, owner.id, None).await.unwrap();

    let page = inbox
        .list(
            owner.id,
            NotificationFilter::default(),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    let ids: Vec<_> = page.items.iter().map(|n| n.id).collect();
    assert_eq!(ids, [second.id, first.id], "newest first");
    assert!(matches!(
        &page.items[0].event,
        Event::VoteCreated { votes: 1, voter, .. } if voter.id == other.id
    ));
    assert!(matches!(
        &page.items[1].event,
        Event::CommentCreated { comment, .. } if comment.comment.id == said.id && comment.author.id == other.id
    ));
    assert_eq!(page.items[1].at, first.at);

    // Read one: someone else cannot; unread filter and count follow.
    assert!(!inbox.mark_read(other.id, first.id).await.unwrap());
    assert!(!inbox.mark_read(owner.id, Uuid::now_v7()).await.unwrap());
    assert!(inbox.mark_read(owner.id, first.id).await.unwrap());
    assert!(inbox.mark_read(owner.id, first.id).await.unwrap(), "again");
    assert_eq!(inbox.unread_count(owner.id).await.unwrap(), 1);
    let unread = inbox
        .list(
            owner.id,
            NotificationFilter { unread: true },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(unread.total, 1);
    assert_eq!(unread.items[0].id, second.id);

    // Since: oldest first, strictly after.
    let since = inbox.since(owner.id, Uuid::nil(), 10).await.unwrap();
    assert_eq!(
        since.iter().map(|n| n.id).collect::<Vec<_>>(),
        [first.id, second.id]
    );
    assert_eq!(inbox.since(owner.id, first.id, 10).await.unwrap().len(), 1);
    assert!(
        inbox
            .since(other.id, Uuid::nil(), 10)
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(inbox.mark_all_read(owner.id).await.unwrap(), 1);
    assert_eq!(inbox.unread_count(owner.id).await.unwrap(), 0);
}

on_both_backends!(stored_with_their_cause: stored_with_their_cause_on_sqlite, stored_with_their_cause_on_postgres);

async fn notification_at(db: &Db, user_id: Uuid, at: time::Timestamp) -> Uuid {
    let id = Uuid::now_v7();
    notifications::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        kind: Set("vote.created".into()),
        data: Set(format!(
            r#"{{"post_id":"{id}","voter":{{"id":"{user_id}","name":"x"}},"votes":1}}"#
        )),
        read: Set(false),
        created_at: Set(at),
    }
    .insert(db.conn())
    .await
    .unwrap();
    id
}

async fn job_at(db: &Db, status: &str, updated_at: time::Timestamp) -> Uuid {
    let job = Job::now(JobKind::PasswordChangedEmail {
        user_id: Uuid::now_v7(),
        email: "a@example.com".into(),
        name: "A".into(),
    });
    jobs::ActiveModel {
        id: Set(job.id),
        kind: Set(job.kind.name().into()),
        payload: Set("{}".into()),
        status: Set(status.into()),
        attempts: Set(1),
        run_at: Set(updated_at),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(updated_at),
        updated_at: Set(updated_at),
        trace_parent: Set(None),
    }
    .insert(db.conn())
    .await
    .unwrap();
    job.id
}

async fn pruning_takes_only_what_is_old(url: &str) {
    let db = common::migrated_db(url).await;
    let users = SeaOrmUserRepository::new(db.clone());
    let user = common::members(&users, "p", 1).await.remove(0);
    let now = time::now();
    let cutoff = now - TimeDelta::days(90);
    for _ in 0..5 {
        notification_at(&db, user.id, cutoff - TimeDelta::days(1)).await;
    }
    let young = notification_at(&db, user.id, cutoff + TimeDelta::hours(1)).await;
    let inbox = SeaOrmNotificationRepository::new(db.clone());
    assert_eq!(inbox.table(), "notifications");
    // Batches of 2: full, full, then short.
    assert_eq!(inbox.prune_older_than(cutoff, 2).await.unwrap(), 2);
    assert_eq!(inbox.prune_older_than(cutoff, 2).await.unwrap(), 2);
    assert_eq!(inbox.prune_older_than(cutoff, 2).await.unwrap(), 1);
    assert_eq!(inbox.prune_older_than(cutoff, 2).await.unwrap(), 0);
    let left: Vec<_> = notifications::Entity::find()
        .all(db.conn())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(left, [young]);

    let queue = SeaOrmJobQueue::new(db.clone());
    let cutoff = now - TimeDelta::days(14);
    let old = cutoff - TimeDelta::days(1);
    job_at(&db, "done", old).await;
    job_at(&db, "failed", old).await;
    let waiting = job_at(&db, "pending", old).await;
    let running = job_at(&db, "running", old).await;
    let recent = job_at(&db, "done", cutoff + TimeDelta::hours(1)).await;
    assert_eq!(queue.table(), "jobs");
    assert_eq!(queue.prune_older_than(cutoff, 500).await.unwrap(), 2);
    let mut left: Vec<_> = jobs::Entity::find()
        .all(db.conn())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    left.sort();
    let mut kept = vec![waiting, running, recent];
    kept.sort();
    assert_eq!(left, kept, "unfinished and recent jobs stay");
}

on_both_backends!(pruning_takes_only_what_is_old: pruning_on_sqlite, pruning_on_postgres);

async fn one_instance_per_round(url: &str) {
    let db = common::migrated_db(url).await;
    let (a, b) = (SeaOrmLeases::new(db.clone()), SeaOrmLeases::new(db.clone()));
    assert!(
        a.acquire("maintenance", Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(
        !b.acquire("maintenance", Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(b.acquire("other", Duration::from_secs(60)).await.unwrap());
    // A lease that ran out is taken over.
    assert!(a.acquire("short", Duration::ZERO).await.unwrap());
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(b.acquire("short", Duration::from_secs(60)).await.unwrap());
    assert!(!a.acquire("short", Duration::from_secs(60)).await.unwrap());
}

on_both_backends!(one_instance_per_round: leases_on_sqlite, leases_on_postgres);

async fn a_deleted_users_notifications_go(url: &str) {
    use domain::user::UserRepository;
    let db = common::migrated_db(url).await;
    let users = SeaOrmUserRepository::new(db.clone());
    let user = common::members(&users, "d", 1).await.remove(0);
    notification_at(&db, user.id, time::now()).await;
    users.delete(user.id, None).await.unwrap();
    assert_eq!(
        notifications::Entity::find()
            .count(db.conn())
            .await
            .unwrap(),
        0
    );
}

on_both_backends!(a_deleted_users_notifications_go: cascade_on_sqlite, cascade_on_postgres);
