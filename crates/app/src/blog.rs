//! The community blog: posts, their comments and votes. Whatever hangs off a post is
//! exactly as visible as the post, so every use case starts from the post.

use crate::error::AppError;
use crate::service_error;
use domain::auth::Principal;
use domain::blog::{
    Comment, CommentContent, CommentRepository, CommentView, Post, PostContent, PostFilter,
    PostRepository, PostSort, PostTitle, PostView, VoteRepository,
};
use domain::concurrency::{IfMatch, Versioned};
use domain::error::RepoError;
use domain::event::{Audience, Event, EventPublisher, Notification};
use domain::pagination::{BY_TIME_THEN_ID, Page, PageRequest};
use domain::time::Timestamp;
use domain::validation::{ValidationError, Validator, required};
use std::sync::Arc;
use uuid::Uuid;

service_error! {
    pub enum BlogError for "resource" {
        #[error("you already voted on this post")]
        AlreadyVoted,
        #[error("you have not voted on this post")]
        NotVoted,
    }
}

const POST: &str = "post";
const COMMENT: &str = "comment";

/// A post as a client writes it; `published` defaults to true.
#[derive(Debug, Clone, Default)]
pub struct PostInput {
    pub title: Option<String>,
    pub content: Option<String>,
    pub published: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct PostQuery {
    pub q: Option<String>,
    pub owner_id: Option<Uuid>,
    pub sort: Option<String>,
}

/// What a vote did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOutcome {
    Added { votes: u64 },
    Removed,
}

pub struct BlogService {
    posts: Arc<dyn PostRepository>,
    comments: Arc<dyn CommentRepository>,
    votes: Arc<dyn VoteRepository>,
    events: Arc<dyn EventPublisher>,
}

impl BlogService {
    pub fn new(
        posts: Arc<dyn PostRepository>,
        comments: Arc<dyn CommentRepository>,
        votes: Arc<dyn VoteRepository>,
        events: Arc<dyn EventPublisher>,
    ) -> Self {
        Self {
            posts,
            comments,
            votes,
            events,
        }
    }

    /// Published posts plus the caller's own drafts.
    pub async fn list_posts(
        &self,
        viewer: Option<&Principal>,
        query: PostQuery,
        page: PageRequest,
    ) -> Result<Page<PostView>, BlogError> {
        let sort = query
            .sort
            .as_deref()
            .map(str::parse::<PostSort>)
            .transpose()
            .map_err(|e| ValidationError::from(e.at("sort")))?
            .unwrap_or_default();
        page.check_key(sort.key()).map_err(ValidationError::from)?;
        let filter = PostFilter {
            q: query
                .q
                .map(|q| q.trim().to_owned())
                .filter(|q| !q.is_empty()),
            owner_id: query.owner_id,
            sort,
        };
        Ok(self
            .posts
            .list(&filter, viewer.map(|v| v.user_id), page)
            .await?)
    }

    /// A post; a draft is `NotFound` to all but its owner and admins.
    pub async fn get_post(
        &self,
        viewer: Option<&Principal>,
        id: Uuid,
    ) -> Result<PostView, BlogError> {
        let view = self
            .posts
            .find(id, viewer.map(|v| v.user_id))
            .await?
            .ok_or(AppError::NotFound(POST))?;
        if view.post.visible_to(viewer) {
            Ok(view)
        } else {
            Err(AppError::NotFound(POST).into())
        }
    }

    pub async fn create_post(
        &self,
        caller: &Principal,
        input: PostInput,
    ) -> Result<PostView, BlogError> {
        let (title, content) = parse_post(input.title, input.content)?;
        let post = Post::new(
            caller.user_id,
            title,
            content,
            input.published.unwrap_or(true),
        );
        self.posts.create(&post).await?;
        let view = self.get_post(Some(caller), post.id).await?;
        if view.post.published {
            self.announce(caller, &view);
        }
        Ok(view)
    }

    /// `PUT`: title and content required, `published` back to true when omitted.
    pub async fn replace_post(
        &self,
        caller: &Principal,
        id: Uuid,
        input: PostInput,
        if_match: Option<&IfMatch>,
    ) -> Result<PostView, BlogError> {
        let (title, content) = parse_post(input.title, input.content)?;
        let published = input.published.unwrap_or(true);
        self.write_post(caller, id, if_match, |p| {
            p.title = title;
            p.content = content;
            p.published = published;
        })
        .await
    }

    /// `PATCH`: only what was sent changes.
    pub async fn patch_post(
        &self,
        caller: &Principal,
        id: Uuid,
        input: PostInput,
        if_match: Option<&IfMatch>,
    ) -> Result<PostView, BlogError> {
        let mut v = Validator::new();
        let title = v.check_opt("title", input.title.as_deref(), PostTitle::new);
        let content = v.check_opt("content", input.content.as_deref(), PostContent::new);
        v.finish()?;
        let (title, content) = (required(title, "title")?, required(content, "content")?);
        self.write_post(caller, id, if_match, |p| {
            if let Some(title) = title {
                p.title = title;
            }
            if let Some(content) = content {
                p.content = content;
            }
            if let Some(published) = input.published {
                p.published = published;
            }
        })
        .await
    }

    /// Deletes the post with its comments and votes.
    pub async fn delete_post(
        &self,
        caller: &Principal,
        id: Uuid,
        if_match: Option<&IfMatch>,
    ) -> Result<(), BlogError> {
        let (_, expected) = self.changeable_post(caller, id, if_match).await?;
        self.posts.delete(id, expected).await?;
        Ok(())
    }

    /// A visible post's comments, oldest first.
    pub async fn list_comments(
        &self,
        viewer: Option<&Principal>,
        post_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<CommentView>, BlogError> {
        page.check_key(BY_TIME_THEN_ID)
            .map_err(ValidationError::from)?;
        self.get_post(viewer, post_id).await?;
        Ok(self.comments.list(post_id, page).await?)
    }

    pub async fn add_comment(
        &self,
        caller: &Principal,
        post_id: Uuid,
        content: Option<String>,
    ) -> Result<CommentView, BlogError> {
        let content = parse_comment(content)?;
        let post = self.get_post(Some(caller), post_id).await?;
        let comment = Comment::new(post_id, caller.user_id, content);
        self.comments.create(&comment).await?;
        let view = self
            .comments
            .find(comment.id)
            .await?
            .ok_or(AppError::NotFound(COMMENT))?;
        if post.post.owner_id != caller.user_id {
            self.events.publish(Notification::new(
                Audience::User(post.post.owner_id),
                Event::CommentCreated {
                    post_id,
                    comment: view.clone(),
                },
            ));
        }
        Ok(view)
    }

    /// A comment, if its post is visible to the viewer.
    pub async fn get_comment(
        &self,
        viewer: Option<&Principal>,
        id: Uuid,
    ) -> Result<CommentView, BlogError> {
        self.visible_comment(viewer, id).await.map(|(view, _)| view)
    }

    /// Only the author edits a comment.
    pub async fn edit_comment(
        &self,
        caller: &Principal,
        id: Uuid,
        content: Option<String>,
        if_match: Option<&IfMatch>,
    ) -> Result<CommentView, BlogError> {
        let content = parse_comment(content)?;
        let (view, _) = self.visible_comment(Some(caller), id).await?;
        let mut comment = view.comment;
        if !comment.may_be_edited_by(caller) {
            return Err(AppError::Forbidden("only the author may edit a comment").into());
        }
        let expected = comment.expected_version(if_match)?;
        comment.edit(content);
        self.comments.update(&comment, expected).await?;
        Ok(CommentView {
            comment,
            author: view.author,
        })
    }

    /// The author, the post's owner or an admin deletes a comment.
    pub async fn delete_comment(
        &self,
        caller: &Principal,
        id: Uuid,
        if_match: Option<&IfMatch>,
    ) -> Result<(), BlogError> {
        let (view, post) = self.visible_comment(Some(caller), id).await?;
        if !view.comment.may_be_deleted_by(caller, &post) {
            return Err(AppError::Forbidden(
                "only the author, the post's owner or an admin may delete a comment",
            )
            .into());
        }
        let expected = view.comment.expected_version(if_match)?;
        self.comments.delete(id, expected).await?;
        Ok(())
    }

    /// `dir = 1` adds the caller's vote, `dir = 0` removes it. Voting on one's own post is fine.
    pub async fn vote(
        &self,
        caller: &Principal,
        post_id: Uuid,
        dir: Option<i64>,
    ) -> Result<VoteOutcome, BlogError> {
        let add = match dir {
            Some(1) => true,
            Some(0) => false,
            Some(_) => {
                return Err(ValidationError::single(
                    "dir",
                    "must be 1 (vote) or 0 (remove the vote)",
                )
                .into());
            }
            None => return Err(ValidationError::single("dir", "is required").into()),
        };
        let post = self.get_post(Some(caller), post_id).await?.post;
        if add {
            match self.votes.add(post_id, caller.user_id).await {
                Ok(added) => {
                    if post.owner_id != caller.user_id {
                        self.events.publish(Notification::new(
                            Audience::User(post.owner_id),
                            Event::VoteCreated {
                                post_id,
                                voter: added.voter,
                                votes: added.votes,
                            },
                        ));
                    }
                    Ok(VoteOutcome::Added { votes: added.votes })
                }
                Err(RepoError::Conflict(_)) => Err(BlogError::AlreadyVoted),
                Err(e) => Err(e.into()),
            }
        } else if self.votes.remove(post_id, caller.user_id).await? {
            Ok(VoteOutcome::Removed)
        } else {
            Err(BlogError::NotVoted)
        }
    }

    async fn visible_comment(
        &self,
        viewer: Option<&Principal>,
        id: Uuid,
    ) -> Result<(CommentView, Post), BlogError> {
        let view = self
            .comments
            .find(id)
            .await?
            .ok_or(AppError::NotFound(COMMENT))?;
        let post = self
            .get_post(viewer, view.comment.post_id)
            .await
            .map_err(|e| match e {
                // A hidden post hides its comments too.
                BlogError::App(AppError::NotFound(_)) => AppError::NotFound(COMMENT).into(),
                other => other,
            })?;
        Ok((view, post.post))
    }

    /// The post, if the caller may see it (else 404) and change it (else 403) and the
    /// precondition holds; with the version the write must still find.
    async fn changeable_post(
        &self,
        caller: &Principal,
        id: Uuid,
        if_match: Option<&IfMatch>,
    ) -> Result<(PostView, Option<Timestamp>), BlogError> {
        let view = self.get_post(Some(caller), id).await?;
        if !view.post.may_be_changed_by(caller) {
            return Err(
                AppError::Forbidden("only the post's owner or an admin may change it").into(),
            );
        }
        let expected = view.post.expected_version(if_match)?;
        Ok((view, expected))
    }

    async fn write_post(
        &self,
        caller: &Principal,
        id: Uuid,
        if_match: Option<&IfMatch>,
        change: impl FnOnce(&mut Post),
    ) -> Result<PostView, BlogError> {
        // The view already read for the checks has the owner and counts: no second read.
        let (mut view, expected) = self.changeable_post(caller, id, if_match).await?;
        let was_published = view.post.published;
        change(&mut view.post);
        view.post.touch();
        self.posts.update(&view.post, expected).await?;
        if view.post.published && !was_published {
            self.announce(caller, &view);
        }
        Ok(view)
    }

    /// Tells every connected user but the one who did it that a post became public.
    fn announce(&self, actor: &Principal, view: &PostView) {
        let mut post = view.clone();
        // `voted` is per viewer; the author's own flag means nothing to the recipients.
        post.voted = false;
        self.events.publish(Notification::new(
            Audience::AllExcept(actor.user_id),
            Event::PostPublished { post },
        ));
    }
}

fn parse_post(
    title: Option<String>,
    content: Option<String>,
) -> Result<(PostTitle, PostContent), ValidationError> {
    let mut v = Validator::new();
    let title = v.require("title", title.as_deref(), PostTitle::new);
    let content = v.require("content", content.as_deref(), PostContent::new);
    v.finish()?;
    Ok((required(title, "title")?, required(content, "content")?))
}

fn parse_comment(content: Option<String>) -> Result<CommentContent, ValidationError> {
    match content {
        Some(c) => CommentContent::new(&c).map_err(|e| e.at("content").into()),
        None => Err(ValidationError::single("content", "is required")),
    }
}
