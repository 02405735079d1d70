//! The post list runs a fixed number of statements whatever the page size (no N+1), one
//! fewer on its last page (no COUNT), and its counts and `voted` flags are right. On SQLite,
//! and on PostgreSQL when `TEST_DATABASE_URL` is set.

mod common;

use domain::blog::{
    Comment, CommentContent, CommentRepository, PostFilter, PostRepository, VoteRepository,
};
use domain::pagination::PageRequest;
use infra::repositories::{
    SeaOrmCommentRepository, SeaOrmPostRepository, SeaOrmUserRepository, SeaOrmVoteRepository,
};
use std::sync::atomic::Ordering;

async fn check(url: &str) {
    let (db, statements) = common::counted_db(url).await;
    let users = SeaOrmUserRepository::new(db.clone());
    let posts = SeaOrmPostRepository::new(db.clone());
    let comments = SeaOrmCommentRepository::new(db.clone());
    let votes = SeaOrmVoteRepository::new(db.clone());
    let people = common::members(&users, "u", 3).await;
    for i in 0..60 {
        let owner = &people[i % 3];
        let post = common::published_post(&posts, owner.id, &format!("Post {i}")).await;
        for voter in people.iter().take(i % 4) {
            votes.add(post.id, voter.id, None).await.unwrap();
        }
        for _ in 0..(i % 3) {
            let c = Comment::new(post.id, owner.id, CommentContent::new("hi").unwrap());
            comments.create(&c, None).await.unwrap();
        }
    }

    let viewer = Some(people[0].id);
    let mut per_page = Vec::new();
    for limit in [5, 50] {
        statements.store(0, Ordering::SeqCst);
        let page = posts
            .list(
                &PostFilter::default(),
                viewer,
                PageRequest::new(Some(limit), None).unwrap(),
            )
            .await
            .unwrap();
        per_page.push(statements.load(Ordering::SeqCst));
        assert_eq!(page.items.len(), limit as usize);
        assert_eq!(page.total, 60);
        for view in &page.items {
            let i: usize = view.post.title.as_str()["Post ".len()..].parse().unwrap();
            assert_eq!(view.votes, (i % 4) as u64, "votes of post {i}");
            assert_eq!(view.comments_count, (i % 3) as u64, "comments of post {i}");
            assert_eq!(
                view.voted,
                i % 4 >= 1,
                "people[0] votes first on every voted post"
            );
            assert_eq!(view.owner.id, people[i % 3].id);
        }
    }
    assert_eq!(
        per_page,
        vec![2, 2],
        "one COUNT and one SELECT, whatever the page size"
    );
    // A page holding the list's end reads the total off its rows; past the end, the rows
    // cannot tell, so it is counted.
    for (offset, items, expected) in [(50, 10, 1), (70, 0, 2)] {
        statements.store(0, Ordering::SeqCst);
        let page = posts
            .list(
                &PostFilter::default(),
                viewer,
                PageRequest::new(Some(20), Some(offset)).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            (page.items.len(), page.total),
            (items, 60),
            "offset {offset}"
        );
        assert_eq!(
            statements.load(Ordering::SeqCst),
            expected,
            "offset {offset}"
        );
    }
}

#[tokio::test]
async fn post_list_statements_do_not_grow_with_the_page_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check(&common::sqlite_url(&dir, "q")).await;
}

/// Runs when `TEST_DATABASE_URL` names a PostgreSQL server (CI sets it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn post_list_statements_do_not_grow_with_the_page_on_postgres() {
    common::on_postgres(|url| async move { check(&url).await }).await;
}
