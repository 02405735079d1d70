//! The blog's answers, shared by its routes, the notifications inbox and the socket.

use chrono::{DateTime, Utc};
use domain::blog::{Author, CommentView, PostView};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorResponse {
    pub id: Uuid,
    pub name: String,
}

impl From<Author> for AuthorResponse {
    fn from(a: Author) -> Self {
        Self {
            id: a.id,
            name: a.name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f7a4-3b7e-7cc0-9a35-0f1e2d3c4b5a",
    "title": "Hello, Rust",
    "content": "Why we rewrote our API.",
    "published": true,
    "owner": {"id": "0192f7a4-0000-7000-8000-000000000001", "name": "ada"},
    "votes": 3,
    "comments_count": 1,
    "voted": false,
    "created_at": "2026-11-23T10:00:00Z",
    "updated_at": "2026-11-23T10:00:00Z"
}))]
pub struct PostResponse {
    pub id: Uuid,
    pub title: String,
    pub content: String,
    pub published: bool,
    pub owner: AuthorResponse,
    pub votes: u64,
    pub comments_count: u64,
    /// Whether the caller voted; false for anonymous callers.
    pub voted: bool,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<PostView> for PostResponse {
    fn from(v: PostView) -> Self {
        Self {
            id: v.post.id,
            title: v.post.title.as_str().to_owned(),
            content: v.post.content.as_str().to_owned(),
            published: v.post.published,
            owner: v.owner.into(),
            votes: v.votes,
            comments_count: v.comments_count,
            voted: v.voted,
            created_at: v.post.created_at,
            updated_at: v.post.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f7a4-3b7e-7cc0-9a35-0f1e2d3c4b5b",
    "post_id": "0192f7a4-3b7e-7cc0-9a35-0f1e2d3c4b5a",
    "author": {"id": "0192f7a4-0000-7000-8000-000000000002", "name": "grace"},
    "content": "Nice write-up!",
    "created_at": "2026-11-23T10:05:00Z",
    "updated_at": "2026-11-23T10:05:00Z"
}))]
pub struct CommentResponse {
    pub id: Uuid,
    pub post_id: Uuid,
    pub author: AuthorResponse,
    pub content: String,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<CommentView> for CommentResponse {
    fn from(v: CommentView) -> Self {
        Self {
            id: v.comment.id,
            post_id: v.comment.post_id,
            author: v.author.into(),
            content: v.comment.content.as_str().to_owned(),
            created_at: v.comment.created_at,
            updated_at: v.comment.updated_at,
        }
    }
}
