use super::{empty_page, principal_of, user};
use crate::AppError;
use crate::blog::{BlogError, BlogService, PostInput, PostQuery, VoteChange, VoteOutcome};
use domain::RepoError;
use domain::auth::Principal;
use domain::blog::{
    Author, Comment, CommentContent, CommentView, MockCommentRepository, MockPostRepository,
    MockVoteRepository, Post, PostContent, PostSort, PostTitle, PostView, VoteAdded,
};
use domain::concurrency::IfMatch;
use domain::event::{Audience, Event, MockEventPublisher, Notification};
use domain::pagination::PageRequest;
use domain::user::Role;
use mockall::predicate::eq;
use std::sync::Arc;
use uuid::Uuid;

mod writes;

#[derive(Default)]
struct Mocks {
    posts: MockPostRepository,
    comments: MockCommentRepository,
    votes: MockVoteRepository,
    events: MockEventPublisher,
}

impl Mocks {
    fn service(self) -> BlogService {
        BlogService::new(
            Arc::new(self.posts),
            Arc::new(self.comments),
            Arc::new(self.votes),
            Arc::new(self.events),
        )
    }

    /// `find` answers with this post for any id and viewer.
    fn with_post(mut self, post: &Post) -> Self {
        let view = as_stored(post);
        self.posts
            .expect_find()
            .returning(move |_, _| Ok(Some(view.clone())));
        self
    }

    fn with_comment(mut self, comment: &Comment) -> Self {
        let view = CommentView {
            comment: comment.clone(),
            author: Author {
                id: comment.author_id,
                name: "author".into(),
            },
        };
        self.comments
            .expect_find()
            .returning(move |_| Ok(Some(view.clone())));
        self
    }
}

struct People {
    owner: Principal,
    stranger: Principal,
    admin: Principal,
}

fn people() -> People {
    People {
        owner: principal_of(&user("o@b.co", Role::Member)),
        stranger: principal_of(&user("s@b.co", Role::Member)),
        admin: principal_of(&user("r@b.co", Role::Admin)),
    }
}

/// `post` as the repository gives it back: its owner named "owner", no votes or comments.
fn as_stored(post: &Post) -> PostView {
    let owner = Author {
        id: post.owner_id,
        name: "owner".into(),
    };
    PostView::new_post(post.clone(), owner)
}

fn post_of(owner: &Principal, published: bool) -> Post {
    Post::new(
        owner.user_id,
        PostTitle::new("Title").unwrap(),
        PostContent::new("Body").unwrap(),
        published,
    )
}

#[tokio::test]
async fn drafts_are_not_found_except_by_owner_and_admins() {
    let p = people();
    let draft = post_of(&p.owner, false);
    let svc = Mocks::default().with_post(&draft).service();
    assert!(matches!(
        svc.get_post(None, draft.id).await,
        Err(BlogError::App(AppError::NotFound(_)))
    ));
    assert!(matches!(
        svc.get_post(Some(&p.stranger), draft.id).await,
        Err(BlogError::App(AppError::NotFound(_)))
    ));
    assert!(svc.get_post(Some(&p.owner), draft.id).await.is_ok());
    assert!(svc.get_post(Some(&p.admin), draft.id).await.is_ok());
    // Its comments and votes are as hidden as the draft; nothing is written.
    assert!(matches!(
        svc.list_comments(Some(&p.stranger), draft.id, PageRequest::default())
            .await,
        Err(BlogError::App(AppError::NotFound(_)))
    ));
    assert!(matches!(
        svc.add_comment(&p.stranger, draft.id, Some("hi".into()))
            .await,
        Err(BlogError::App(AppError::NotFound(_)))
    ));
    assert!(matches!(
        svc.vote(&p.stranger, draft.id, VoteChange::Add).await,
        Err(BlogError::App(AppError::NotFound(_)))
    ));
}

#[tokio::test]
async fn list_passes_the_viewer_and_parses_the_sort() {
    let p = people();
    let mut m = Mocks::default();
    let viewer = p.owner.user_id;
    m.posts
        .expect_list()
        .withf(move |f, v, _| {
            f.sort == PostSort::MostVoted && f.q.as_deref() == Some("rust") && *v == Some(viewer)
        })
        .times(1)
        .returning(|_, _, page| empty_page(page));
    let query = PostQuery {
        q: Some(" rust ".into()),
        sort: Some("-votes".into()),
        owner_id: None,
    };
    m.service()
        .list_posts(Some(&p.owner), query, PageRequest::default())
        .await
        .unwrap();

    let bad = PostQuery {
        sort: Some("votes".into()),
        ..Default::default()
    };
    let err = Mocks::default()
        .service()
        .list_posts(None, bad, PageRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(&err, BlogError::App(AppError::Invalid(v)) if v.0[0].field == "sort"));
}

#[tokio::test]
async fn create_validates_and_defaults_to_published() {
    let p = people();
    let err = Mocks::default()
        .service()
        .create_post(&p.owner, PostInput::default())
        .await
        .unwrap_err();
    assert!(matches!(&err, BlogError::App(AppError::Invalid(v)) if v.0.len() == 2));

    let mut m = Mocks::default();
    let owner = p.owner.user_id;
    m.posts
        .expect_create()
        .withf(move |post| post.published && post.owner_id == owner)
        .times(1)
        .returning(|post| Ok(as_stored(post)));
    m.events.expect_publish().times(1).return_const(());
    let input = PostInput {
        title: Some("T".into()),
        content: Some("C".into()),
        published: None,
    };
    let view = m.service().create_post(&p.owner, input).await.unwrap();
    assert_eq!(view.post.title.as_str(), "T");
    assert_eq!((view.votes, view.comments_count, view.voted), (0, 0, false));
}

fn added(votes: u64, voter: Uuid) -> VoteAdded {
    VoteAdded {
        votes,
        voter: Author {
            id: voter,
            name: "voter".into(),
        },
    }
}

/// Records what the service publishes.
fn recording(m: &mut Mocks) -> Arc<std::sync::Mutex<Vec<Notification>>> {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    m.events
        .expect_publish()
        .returning(move |n| sink.lock().unwrap().push(n));
    seen
}

#[tokio::test]
async fn a_published_post_is_announced_to_everyone_but_its_author() {
    let p = people();
    let mut m = Mocks::default();
    m.posts
        .expect_create()
        .returning(|post| Ok(as_stored(post)));
    let seen = recording(&mut m);
    let input = PostInput {
        title: Some("T".into()),
        content: Some("C".into()),
        published: Some(true),
    };
    let created = m.service().create_post(&p.owner, input).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].audience, Audience::AllExcept(p.owner.user_id));
    assert!(matches!(&seen[0].event, Event::PostPublished { post } if post == &created));
}

#[tokio::test]
async fn drafts_announce_nothing_until_they_are_published() {
    let p = people();
    // Created as a draft: no event.
    let mut m = Mocks::default();
    m.posts
        .expect_create()
        .returning(|post| Ok(as_stored(post)));
    let draft = post_of(&p.owner, false);
    let input = PostInput {
        title: Some("T".into()),
        content: Some("C".into()),
        published: Some(false),
    };
    m.service().create_post(&p.owner, input).await.unwrap();

    // A draft edited but kept a draft: no event.
    let mut m = Mocks::default().with_post(&draft);
    m.posts.expect_update().returning(|_, _| Ok(()));
    let edit = PostInput {
        title: Some("New".into()),
        ..PostInput::default()
    };
    m.service()
        .patch_post(&p.owner, draft.id, edit, None)
        .await
        .unwrap();

    // Published by an admin: everyone but the admin hears of it, the owner included.
    let mut m = Mocks::default().with_post(&draft);
    m.posts.expect_update().returning(|_, _| Ok(()));
    let seen = recording(&mut m);
    let publish = PostInput {
        published: Some(true),
        ..PostInput::default()
    };
    m.service()
        .patch_post(&p.admin, draft.id, publish, None)
        .await
        .unwrap();
    let announced = seen.lock().unwrap().clone();
    assert_eq!(announced.len(), 1);
    assert_eq!(announced[0].audience, Audience::AllExcept(p.admin.user_id));

    // Already published and edited again: no second announcement.
    let published = post_of(&p.owner, true);
    let mut m = Mocks::default().with_post(&published);
    m.posts.expect_update().returning(|_, _| Ok(()));
    let edit = PostInput {
        published: Some(true),
        ..PostInput::default()
    };
    m.service()
        .patch_post(&p.owner, published.id, edit, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn comments_and_votes_notify_the_post_owner_but_never_the_actor() {
    let p = people();
    let post = post_of(&p.owner, true);

    // Someone else comments: the owner hears of it, with the comment.
    // Stored for the owner in the comment's own write, under the id the socket then shows.
    let mut m = Mocks::default().with_post(&post);
    let owner_id = p.owner.user_id;
    let stored = Arc::new(std::sync::Mutex::new(None));
    let keep = stored.clone();
    m.comments
        .expect_create()
        .withf(move |_, notify| notify.is_some_and(|n| n.user_id == owner_id))
        .times(1)
        .returning(move |_, notify| {
            *keep.lock().unwrap() = notify.map(|n| n.id);
            Ok(())
        });
    let stranger = p.stranger.user_id;
    let post_id = post.id;
    m.comments.expect_find().returning(move |id| {
        let mut comment = Comment::new(post_id, stranger, CommentContent::new("hi").unwrap());
        comment.id = id;
        Ok(Some(CommentView {
            comment,
            author: Author {
                id: stranger,
                name: "stranger".into(),
            },
        }))
    });
    let seen = recording(&mut m);
    let view = m
        .service()
        .add_comment(&p.stranger, post.id, Some("hi".into()))
        .await
        .unwrap();
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].audience, Audience::User(p.owner.user_id));
        assert!(seen[0].id.is_some());
        assert_eq!(seen[0].id, *stored.lock().unwrap());
        assert!(matches!(
            &seen[0].event,
            Event::CommentCreated { post_id, comment } if *post_id == post.id && comment.comment.id == view.comment.id
        ));
    }

    // The owner comments on their own post: nothing stored, nothing published (an
    // unexpected publish would panic).
    let mut m = Mocks::default().with_post(&post);
    m.comments
        .expect_create()
        .withf(|_, notify| notify.is_none())
        .times(1)
        .returning(|_, _| Ok(()));
    let owner = p.owner.user_id;
    m.comments.expect_find().returning(move |id| {
        let mut comment = Comment::new(post_id, owner, CommentContent::new("me").unwrap());
        comment.id = id;
        Ok(Some(CommentView {
            comment,
            author: Author {
                id: owner,
                name: "owner".into(),
            },
        }))
    });
    m.service()
        .add_comment(&p.owner, post.id, Some("me".into()))
        .await
        .unwrap();

    // Someone else votes: the owner hears the new count and who voted.
    let mut m = Mocks::default().with_post(&post);
    m.votes
        .expect_add()
        .withf(move |_, _, notify| notify.is_some_and(|n| n.user_id == owner_id))
        .times(1)
        .returning(|_, user, _| Ok(added(7, user)));
    let seen = recording(&mut m);
    m.service()
        .vote(&p.stranger, post.id, VoteChange::Add)
        .await
        .unwrap();
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].audience, Audience::User(p.owner.user_id));
        assert!(seen[0].id.is_some());
        assert!(matches!(
            &seen[0].event,
            Event::VoteCreated { votes: 7, voter, .. } if voter.id == p.stranger.user_id
        ));
    }

    // Voting on one's own post, and removing a vote: nothing.
    let mut m = Mocks::default().with_post(&post);
    m.votes
        .expect_add()
        .withf(|_, _, notify| notify.is_none())
        .times(1)
        .returning(|_, user, _| Ok(added(1, user)));
    m.service()
        .vote(&p.owner, post.id, VoteChange::Add)
        .await
        .unwrap();
    let mut m = Mocks::default().with_post(&post);
    m.votes.expect_remove().returning(|_, _| Ok(true));
    m.service()
        .vote(&p.stranger, post.id, VoteChange::Remove)
        .await
        .unwrap();
}
