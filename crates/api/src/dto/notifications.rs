//! What a notification carries, by type: the inbox's `data` and the socket frame's.

use super::blog::{AuthorResponse, CommentResponse};
use domain::event::Event;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// `comment.created`: someone else commented on the recipient's post.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentCreatedData {
    pub post_id: Uuid,
    pub comment: CommentResponse,
}

/// `vote.created`: someone else voted on the recipient's post; `votes` is the new count.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteCreatedData {
    pub post_id: Uuid,
    pub voter: AuthorResponse,
    pub votes: u64,
}

/// A notification's `data`: exactly what its socket frame carries, by `type`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum NotificationData {
    CommentCreated(CommentCreatedData),
    VoteCreated(VoteCreatedData),
}

impl NotificationData {
    /// The data of an event the inbox keeps (`None` for the others).
    pub fn of(event: Event) -> Option<Self> {
        match event {
            Event::CommentCreated { post_id, comment } => {
                Some(Self::CommentCreated(CommentCreatedData {
                    post_id,
                    comment: comment.into(),
                }))
            }
            Event::VoteCreated {
                post_id,
                voter,
                votes,
            } => Some(Self::VoteCreated(VoteCreatedData {
                post_id,
                voter: voter.into(),
                votes,
            })),
            _ => None,
        }
    }
}
