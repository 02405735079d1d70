//! The community blog: posts, comments and votes, with their repository ports.

use crate::auth::Principal;
use crate::concurrency::{ExpectedVersion, Versioned, versioned};
use crate::error::RepoError;
use crate::notification::Notify;
use crate::pagination::{BY_TIME_THEN_ID, KeyKind, Page, PageRequest};
use crate::time::{self, Timestamp};
use crate::validation::{named_enum, text_value};
use async_trait::async_trait;
use uuid::Uuid;

versioned!(Post, Comment);

text_value!(
    /// 1 to 200 characters.
    PostTitle, bounded_name, 1, 200
);

text_value!(
    /// 1 to 20 000 characters.
    PostContent, bounded_text, 1, 20_000
);

text_value!(
    /// 1 to 5000 characters.
    CommentContent, bounded_text, 1, 5000
);

/// Who wrote something, as everyone may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub title: PostTitle,
    pub content: PostContent,
    /// A draft (`false`) is seen only by its owner, and by admins when asked for by id.
    pub published: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Post {
    pub fn new(owner_id: Uuid, title: PostTitle, content: PostContent, published: bool) -> Self {
        let now = time::now();
        Self {
            id: Uuid::now_v7(),
            owner_id,
            title,
            content,
            published,
            created_at: now,
            updated_at: now,
        }
    }

    /// Published posts are public; drafts only to their owner and admins. Whatever hangs
    /// off a post (comments, votes) is exactly as visible as the post.
    pub fn visible_to(&self, viewer: Option<&Principal>) -> bool {
        self.published || viewer.is_some_and(|v| v.user_id == self.owner_id || v.is_admin())
    }

    pub fn may_be_changed_by(&self, caller: &Principal) -> bool {
        caller.user_id == self.owner_id || caller.is_admin()
    }
}

/// A post as listed: with its owner, counts and whether the viewer voted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostView {
    pub post: Post,
    pub owner: Author,
    pub votes: u64,
    pub comments_count: u64,
    pub voted: bool,
}

impl PostView {
    /// A post just written by `owner`: nobody has voted on it or commented yet.
    pub fn new_post(post: Post, owner: Author) -> Self {
        Self {
            post,
            owner,
            votes: 0,
            comments_count: 0,
            voted: false,
        }
    }
}

named_enum! {
    /// A list's order: the `sort` value that asks for it.
    #[derive(Default)]
    pub enum PostSort {
        #[default]
        Newest = "-created_at",
        Oldest = "created_at",
        MostVoted = "-votes",
    }
}

impl PostSort {
    /// The order's key, which a cursor into it carries.
    pub fn key(self) -> &'static [KeyKind] {
        match self {
            Self::Newest | Self::Oldest => BY_TIME_THEN_ID,
            Self::MostVoted => &[KeyKind::Int, KeyKind::Time, KeyKind::Id],
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostFilter {
    /// Case-insensitive text in the title or the content.
    pub q: Option<String>,
    pub owner_id: Option<Uuid>,
    pub sort: PostSort,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: Uuid,
    pub post_id: Uuid,
    pub author_id: Uuid,
    pub content: CommentContent,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Comment {
    pub fn new(post_id: Uuid, author_id: Uuid, content: CommentContent) -> Self {
        let now = time::now();
        Self {
            id: Uuid::now_v7(),
            post_id,
            author_id,
            content,
            created_at: now,
            updated_at: now,
        }
    }

    /// Only the author edits.
    pub fn may_be_edited_by(&self, caller: &Principal) -> bool {
        caller.user_id == self.author_id
    }

    /// The author, the post's owner or an admin deletes.
    pub fn may_be_deleted_by(&self, caller: &Principal, post: &Post) -> bool {
        caller.user_id == self.author_id || caller.user_id == post.owner_id || caller.is_admin()
    }

    pub fn edit(&mut self, content: CommentContent) {
        self.content = content;
        self.touch();
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentView {
    pub comment: Comment,
    pub author: Author,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PostRepository: Send + Sync {
    /// Stores a new post and gives it back as its owner sees it, the owner's name read by
    /// the same statement (post create is one round trip).
    async fn create(&self, post: &Post) -> Result<PostView, RepoError>;
    /// The post with owner and counts, `voted` for `viewer`; drafts included (the use case
    /// decides who may see them).
    async fn find(&self, id: Uuid, viewer: Option<Uuid>) -> Result<Option<PostView>, RepoError>;
    /// Published posts plus `viewer`'s own drafts, in a fixed number of queries.
    async fn list(
        &self,
        filter: &PostFilter,
        viewer: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<PostView>, RepoError>;
    async fn update(&self, post: &Post, expected: ExpectedVersion) -> Result<(), RepoError>;
    /// Deletes the post with its comments and votes.
    async fn delete(&self, id: Uuid, expected: ExpectedVersion) -> Result<(), RepoError>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CommentRepository: Send + Sync {
    /// Stores the comment and, in the same transaction, `notify`'s notification of it
    /// (`comment.created`, the comment read back with its author).
    async fn create(&self, comment: &Comment, notify: Option<Notify>) -> Result<(), RepoError>;
    async fn find(&self, id: Uuid) -> Result<Option<CommentView>, RepoError>;
    /// A post's comments, oldest first.
    async fn list(&self, post_id: Uuid, page: PageRequest) -> Result<Page<CommentView>, RepoError>;
    async fn update(&self, comment: &Comment, expected: ExpectedVersion) -> Result<(), RepoError>;
    async fn delete(&self, id: Uuid, expected: ExpectedVersion) -> Result<(), RepoError>;
}

/// A vote just recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteAdded {
    pub votes: u64,
    pub voter: Author,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait VoteRepository: Send + Sync {
    /// Records the vote and returns the post's new count with the voter's public name; an
    /// existing vote is `RepoError::Conflict` (enforced by the primary key, so races leave one).
    /// `notify`'s notification (`vote.created`, with the new count) is stored in the same
    /// transaction.
    async fn add(
        &self,
        post_id: Uuid,
        user_id: Uuid,
        notify: Option<Notify>,
    ) -> Result<VoteAdded, RepoError>;
    /// Removes the vote; `false` when there was none.
    async fn remove(&self, post_id: Uuid, user_id: Uuid) -> Result<bool, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::Role;

    fn principal(role: Role) -> Principal {
        Principal {
            user_id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
            role,
            email_verified: true,
        }
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(PostTitle::new("  Hello ").unwrap().as_str(), "Hello");
        assert!(PostTitle::new("   ").is_err());
        assert!(PostTitle::new(&"t".repeat(201)).is_err());
        assert!(PostContent::new(&"c".repeat(20_000)).is_ok());
        assert!(PostContent::new(&"c".repeat(20_001)).is_err());
        assert!(CommentContent::new(&"c".repeat(5000)).is_ok());
        assert!(CommentContent::new(&"c".repeat(5001)).is_err());
        assert!(CommentContent::new("\n\t").is_err());
    }

    #[test]
    fn drafts_are_visible_to_their_owner_and_admins_only() {
        let owner = principal(Role::Member);
        let mut post = Post::new(
            owner.user_id,
            PostTitle::new("t").unwrap(),
            PostContent::new("c").unwrap(),
            false,
        );
        assert!(post.visible_to(Some(&owner)));
        assert!(post.visible_to(Some(&principal(Role::Admin))));
        assert!(!post.visible_to(Some(&principal(Role::Member))));
        assert!(!post.visible_to(None));
        post.published = true;
        assert!(post.visible_to(None));
    }

    #[test]
    fn comment_rules() {
        let author = principal(Role::Member);
        let owner = principal(Role::Member);
        let stranger = principal(Role::Member);
        let admin = principal(Role::Admin);
        let post = Post::new(
            owner.user_id,
            PostTitle::new("t").unwrap(),
            PostContent::new("c").unwrap(),
            true,
        );
        let mut comment = Comment::new(post.id, author.user_id, CommentContent::new("hi").unwrap());
        assert!(comment.may_be_edited_by(&author));
        assert!(!comment.may_be_edited_by(&owner) && !comment.may_be_edited_by(&admin));
        for p in [&author, &owner, &admin] {
            assert!(comment.may_be_deleted_by(p, &post));
        }
        assert!(!comment.may_be_deleted_by(&stranger, &post));
        let before = comment.etag();
        comment.edit(CommentContent::new("edited").unwrap());
        assert_ne!(before, comment.etag());
    }

    #[test]
    fn sorts_parse() {
        assert_eq!("-votes".parse::<PostSort>().unwrap(), PostSort::MostVoted);
        assert_eq!(PostSort::default(), PostSort::Newest);
        assert!("votes".parse::<PostSort>().is_err());
    }
}
