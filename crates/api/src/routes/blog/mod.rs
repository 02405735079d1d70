//! The community blog: `/api/v1/posts`, `/api/v1/comments` and `/api/v1/votes`.

mod comments;
mod posts;
mod votes;

pub use comments::{CommentPage, CommentResponse};
pub use posts::{PostPage, PostResponse};

use crate::error::ApiError;
use app::BlogError;
use domain::blog::Author;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(posts::list_posts)
        .service(posts::create_post)
        .service(posts::get_post)
        .service(posts::replace_post)
        .service(posts::patch_post)
        .service(posts::delete_post)
        .service(comments::list_comments)
        .service(comments::create_comment)
        .service(comments::get_comment)
        .service(comments::edit_comment)
        .service(comments::delete_comment)
        .service(votes::vote);
}

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

impl From<BlogError> for ApiError {
    fn from(e: BlogError) -> Self {
        match e {
            BlogError::App(e) => e.into(),
            BlogError::NotVoted => Self::not_found(e.to_string()),
            BlogError::AlreadyVoted => Self::conflict(e.to_string()),
        }
    }
}
