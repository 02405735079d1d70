//! Blog use cases: who may write posts, votes and comments.

use super::*;

#[tokio::test]
async fn only_owner_or_admin_write_posts_and_preconditions_hold() {
    let p = people();
    let post = post_of(&p.owner, true);
    let patch = || PostInput {
        title: Some("New".into()),
        ..Default::default()
    };
    let svc = Mocks::default().with_post(&post).service();
    assert!(matches!(
        svc.patch_post(&p.stranger, post.id, patch(), None).await,
        Err(BlogError::App(AppError::Forbidden(_)))
    ));
    assert!(matches!(
        svc.delete_post(&p.stranger, post.id, None).await,
        Err(BlogError::App(AppError::Forbidden(_)))
    ));
    let stale = IfMatch::Tags(vec![]);
    assert!(matches!(
        svc.patch_post(&p.owner, post.id, patch(), Some(&stale))
            .await,
        Err(BlogError::App(AppError::PreconditionFailed))
    ));

    let mut m = Mocks::default().with_post(&post);
    let version = post.updated_at;
    m.posts
        .expect_update()
        .withf(move |u, expected| {
            u.title.as_str() == "New" && u.content.as_str() == "Body" && *expected == Some(version)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    m.service()
        .patch_post(&p.admin, post.id, patch(), Some(&IfMatch::Any))
        .await
        .unwrap();

    let mut m = Mocks::default().with_post(&post);
    m.posts
        .expect_delete()
        .with(eq(post.id), eq(None))
        .times(1)
        .returning(|_, _| Ok(()));
    m.service()
        .delete_post(&p.owner, post.id, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn votes_add_remove_and_report_conflicts() {
    let p = people();
    let post = post_of(&p.owner, true);

    let mut m = Mocks::default().with_post(&post);
    let (post_id_of, stranger) = (post.id, p.stranger.user_id);
    m.votes
        .expect_add()
        .withf(move |post_id, user, notify| {
            *post_id == post_id_of && *user == stranger && notify.is_some()
        })
        .returning(|_, user, _| Ok(added(3, user)));
    m.events.expect_publish().times(1).return_const(());
    assert_eq!(
        m.service()
            .vote(&p.stranger, post.id, VoteChange::Add)
            .await
            .unwrap(),
        VoteOutcome::Added { votes: 3 }
    );

    let mut m = Mocks::default().with_post(&post);
    m.votes
        .expect_add()
        .returning(|_, _, _| Err(RepoError::Conflict("votes_pkey".into())));
    assert!(matches!(
        m.service()
            .vote(&p.stranger, post.id, VoteChange::Add)
            .await,
        Err(BlogError::AlreadyVoted)
    ));

    let mut m = Mocks::default().with_post(&post);
    m.votes.expect_remove().returning(|_, _| Ok(false));
    assert!(matches!(
        m.service()
            .vote(&p.stranger, post.id, VoteChange::Remove)
            .await,
        Err(BlogError::NotVoted)
    ));

    let mut m = Mocks::default().with_post(&post);
    m.votes.expect_remove().returning(|_, _| Ok(true));
    assert_eq!(
        m.service()
            .vote(&p.owner, post.id, VoteChange::Remove)
            .await
            .unwrap(),
        VoteOutcome::Removed
    );

    // A `dir` other than 0 or 1 is refused where the request is read: the API's
    // `routes::blog::votes` tests.

    let mut m = Mocks::default();
    m.posts.expect_find().returning(|_, _| Ok(None));
    assert!(matches!(
        m.service()
            .vote(&p.stranger, Uuid::now_v7(), VoteChange::Add)
            .await,
        Err(BlogError::App(AppError::NotFound(_)))
    ));
}

#[tokio::test]
async fn comments_are_edited_by_their_author_and_deleted_by_author_owner_or_admin() {
    let p = people();
    let author = principal_of(&user("a@b.co", Role::Member));
    let post = post_of(&p.owner, true);
    let comment = Comment::new(post.id, author.user_id, CommentContent::new("hi").unwrap());
    let setup = || Mocks::default().with_post(&post).with_comment(&comment);

    for editor in [&p.owner, &p.admin, &p.stranger] {
        let err = setup()
            .service()
            .edit_comment(editor, comment.id, Some("x".into()), None)
            .await
            .unwrap_err();
        assert!(matches!(err, BlogError::App(AppError::Forbidden(_))));
    }
    let mut m = setup();
    m.comments
        .expect_update()
        .withf(|c, _| c.content.as_str() == "edited")
        .times(1)
        .returning(|_, _| Ok(()));
    let edited = m
        .service()
        .edit_comment(&author, comment.id, Some("edited".into()), None)
        .await
        .unwrap();
    assert_eq!(edited.comment.content.as_str(), "edited");

    let err = setup()
        .service()
        .delete_comment(&p.stranger, comment.id, None)
        .await
        .unwrap_err();
    assert!(matches!(err, BlogError::App(AppError::Forbidden(_))));
    for deleter in [&author, &p.owner, &p.admin] {
        let mut m = setup();
        m.comments
            .expect_delete()
            .with(eq(comment.id), eq(None))
            .times(1)
            .returning(|_, _| Ok(()));
        m.service()
            .delete_comment(deleter, comment.id, None)
            .await
            .unwrap();
    }

    let err = setup()
        .service()
        .edit_comment(&author, comment.id, Some("  ".into()), None)
        .await
        .unwrap_err();
    assert!(matches!(&err, BlogError::App(AppError::Invalid(v)) if v.0[0].field == "content"));
}

#[tokio::test]
async fn a_comment_on_a_hidden_draft_is_not_found() {
    let p = people();
    let draft = post_of(&p.owner, false);
    let comment = Comment::new(
        draft.id,
        p.owner.user_id,
        CommentContent::new("note").unwrap(),
    );
    let svc = Mocks::default()
        .with_post(&draft)
        .with_comment(&comment)
        .service();
    assert!(matches!(
        svc.get_comment(Some(&p.stranger), comment.id).await,
        Err(BlogError::App(AppError::NotFound("comment")))
    ));
    assert!(matches!(
        svc.get_comment(None, comment.id).await,
        Err(BlogError::App(AppError::NotFound("comment")))
    ));
    assert!(svc.get_comment(Some(&p.admin), comment.id).await.is_ok());
}
