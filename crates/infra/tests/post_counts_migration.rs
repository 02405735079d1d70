//! The stored post counts: the migration fills them from the votes and comments already
//! there, the triggers keep them through every way a vote or comment comes and goes, and the
//! migration goes down and up again. On SQLite, and on PostgreSQL when `TEST_DATABASE_URL`
//! is set.

mod common;

use domain::blog::{Comment, CommentContent, CommentRepository, PostRepository, VoteRepository};
use domain::user::UserRepository;
use infra::entities::votes;
use infra::repositories::{
    SeaOrmCommentRepository, SeaOrmPostRepository, SeaOrmUserRepository, SeaOrmVoteRepository,
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

/// Migrations before the stored counts.
const BEFORE_COUNTS: u32 = 10;

async fn counts(posts: &SeaOrmPostRepository, id: uuid::Uuid) -> (u64, u64) {
    let view = posts.find(id, None).await.unwrap().expect("the post");
    (view.votes, view.comments_count)
}

/// `n` users written as the schema of those migrations holds them (no `email_verified`).
async fn members_before_verification(db: &infra::db::Db, n: usize) -> Vec<domain::user::User> {
    use domain::user::{Email, PasswordHash, Role, User};
    let mut people = Vec::new();
    for i in 0..n {
        let u = User::new(
            Email::parse(&format!("c{i}@example.com")).unwrap(),
            None,
            Role::Member,
            PasswordHash::new("x"),
        );
        let row = infra::entities::users::ActiveModel {
            id: Set(u.id),
            email: Set(u.email.to_string()),
            name: Set(u.name.as_str().to_owned()),
            role: Set(u.role.as_str().to_owned()),
            is_active: Set(true),
            password_hash: Set("x".into()),
            created_at: Set(u.created_at),
            updated_at: Set(u.updated_at),
            email_verified: sea_orm::ActiveValue::NotSet,
        };
        infra::entities::users::Entity::insert(row)
            .exec_without_returning(db.conn())
            .await
            .unwrap();
        people.push(u);
    }
    people
}

async fn check(url: &str) {
    let conn = infra::db::connect(url, 2).await.expect("connect");
    Migrator::up(&conn, Some(BEFORE_COUNTS))
        .await
        .expect("migrate");
    let db = infra::db::Db::new(conn.clone());
    let users = SeaOrmUserRepository::new(db.clone());
    let posts = SeaOrmPostRepository::new(db.clone());
    let comments = SeaOrmCommentRepository::new(db.clone());
    let vote_repo = SeaOrmVoteRepository::new(db.clone());
    let people = members_before_verification(&db, 3).await;
    let post = common::published_post(&posts, people[0].id, "Counted").await;
    // Rows written before the counters existed, straight into the tables.
    for voter in &people[1..] {
        votes::ActiveModel {
            post_id: Set(post.id),
            user_id: Set(voter.id),
            created_at: Set(domain::time::now()),
        }
        .insert(&conn)
        .await
        .unwrap();
    }
    let said = Comment::new(post.id, people[1].id, CommentContent::new("early").unwrap());
    comments.create(&said, None).await.unwrap();

    Migrator::up(&conn, None).await.expect("migrate the rest");
    assert_eq!(
        counts(&posts, post.id).await,
        (2, 1),
        "filled from the rows there"
    );

    let added = vote_repo.add(post.id, people[0].id, None).await.unwrap();
    assert_eq!(added.votes, 3, "the vote's answer reads the kept count");
    let second = Comment::new(post.id, people[2].id, CommentContent::new("later").unwrap());
    comments.create(&second, None).await.unwrap();
    assert_eq!(counts(&posts, post.id).await, (3, 2));

    assert!(vote_repo.remove(post.id, people[0].id).await.unwrap());
    comments.delete(said.id, None).await.unwrap();
    assert_eq!(counts(&posts, post.id).await, (2, 1));

    // A deleted user's votes and comments go by cascade, and so do their counts.
    users.delete(people[2].id, None).await.unwrap();
    assert_eq!(
        counts(&posts, post.id).await,
        (1, 0),
        "cascades counted too"
    );

    // Down past the counts (and every later migration), then up again.
    let later = Migrator::migrations().len() as u32 - BEFORE_COUNTS;
    Migrator::down(&conn, Some(later)).await.expect("down");
    Migrator::up(&conn, None).await.expect("up again");
    assert_eq!(
        counts(&posts, post.id).await,
        (1, 0),
        "refilled on the way up"
    );
    assert_eq!(votes::Entity::find().all(&conn).await.unwrap().len(), 1);
}

#[tokio::test]
async fn post_counts_are_filled_and_kept_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check(&common::sqlite_url(&dir, "counts")).await;
}

/// Runs when `TEST_DATABASE_URL` names a PostgreSQL server (CI sets it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn post_counts_are_filled_and_kept_on_postgres() {
    common::on_postgres(|url| async move { check(&url).await }).await;
}
