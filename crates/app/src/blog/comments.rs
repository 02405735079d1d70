//! Comments: as visible as their post; edited by their author.

use super::{BlogError, BlogService, COMMENT};
use crate::error::AppError;
use crate::rewrite::rewrite;
use domain::auth::Principal;
use domain::blog::{Comment, CommentContent, CommentView, Post};
use domain::concurrency::{IfMatch, Versioned};
use domain::event::Event;
use domain::notification::Notify;
use domain::pagination::{BY_TIME_THEN_ID, Page, PageRequest};
use domain::validation::ValidationError;
use uuid::Uuid;

impl BlogService {
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
        // The owner's notification, stored with the comment; never for one's own post.
        let notify =
            (post.post.owner_id != caller.user_id).then(|| Notify::new(post.post.owner_id));
        self.comments.create(&comment, notify).await?;
        let view = self
            .comments
            .find(comment.id)
            .await?
            .ok_or(AppError::NotFound(COMMENT))?;
        if let Some(notify) = notify {
            let event = Event::CommentCreated {
                post_id,
                comment: view.clone(),
            };
            self.events.publish(notify.with(event).live());
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
        rewrite(if_match, || async {
            let (view, _) = self.visible_comment(Some(caller), id).await?;
            let mut comment = view.comment;
            if !comment.may_be_edited_by(caller) {
                return Err(AppError::Forbidden("only the author may edit a comment").into());
            }
            let expected = comment.expected_version(if_match)?;
            comment.edit(content.clone());
            self.comments.update(&comment, expected).await?;
            Ok(CommentView {
                comment,
                author: view.author,
            })
        })
        .await
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
        let expected = view.comment.delete_condition(if_match)?;
        self.comments.delete(id, expected).await?;
        Ok(())
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
}

fn parse_comment(content: Option<String>) -> Result<CommentContent, ValidationError> {
    match content {
        Some(c) => CommentContent::new(&c).map_err(|e| e.at("content").into()),
        None => Err(ValidationError::single("content", "is required")),
    }
}
