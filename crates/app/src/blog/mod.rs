//! The community blog: posts, their comments and votes. Whatever hangs off a post is
//! exactly as visible as the post, so every use case starts from the post.

use crate::error::AppError;
use crate::rewrite::rewrite;
use crate::service_error;
use domain::auth::Principal;
use domain::blog::{
    CommentRepository, Post, PostContent, PostFilter, PostRepository, PostSort, PostTitle,
    PostView, VoteRepository,
};
use domain::concurrency::{IfMatch, Versioned};
use domain::event::{Audience, Event, EventPublisher, Notification};
use domain::pagination::{Page, PageRequest};
use domain::validation::{ValidationError, Validator, required, search_text};
use std::sync::Arc;
use uuid::Uuid;

mod comments;
mod votes;

pub use votes::{VoteChange, VoteOutcome};

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
            q: search_text(query.q),
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
        let view = self.posts.create(&post).await?;
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
            p.title = title.clone();
            p.content = content.clone();
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
            if let Some(title) = &title {
                p.title = title.clone();
            }
            if let Some(content) = &content {
                p.content = content.clone();
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
        let view = self.changeable_post(caller, id).await?;
        let expected = view.post.delete_condition(if_match)?;
        self.posts.delete(id, expected).await?;
        Ok(())
    }

    /// The post, if the caller may see it (else 404) and change it (else 403).
    async fn changeable_post(&self, caller: &Principal, id: Uuid) -> Result<PostView, BlogError> {
        let view = self.get_post(Some(caller), id).await?;
        if !view.post.may_be_changed_by(caller) {
            return Err(
                AppError::Forbidden("only the post's owner or an admin may change it").into(),
            );
        }
        Ok(view)
    }

    /// Changes the post and saves it on condition that the version read is still current;
    /// a lost race without `If-Match` starts over.
    async fn write_post(
        &self,
        caller: &Principal,
        id: Uuid,
        if_match: Option<&IfMatch>,
        change: impl Fn(&mut Post),
    ) -> Result<PostView, BlogError> {
        let (view, was_published) = rewrite(if_match, || async {
            // The view already read for the checks has the owner and counts: no second read.
            let mut view = self.changeable_post(caller, id).await?;
            let expected = view.post.expected_version(if_match)?;
            let was_published = view.post.published;
            change(&mut view.post);
            view.post.touch();
            self.posts.update(&view.post, expected).await?;
            Ok::<_, BlogError>((view, was_published))
        })
        .await?;
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
