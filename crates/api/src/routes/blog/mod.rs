//! The community blog: `/api/v1/posts`, `/api/v1/comments` and `/api/v1/votes`.

mod comments;
mod posts;
mod votes;

pub use crate::dto::blog::{AuthorResponse, CommentResponse, PostResponse};
pub use comments::CommentPage;
pub use posts::PostPage;

use crate::error::ApiError;
use app::BlogError;

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

impl From<BlogError> for ApiError {
    fn from(e: BlogError) -> Self {
        match e {
            BlogError::App(e) => e.into(),
            BlogError::NotVoted => Self::not_found(e.to_string()),
            BlogError::AlreadyVoted => Self::conflict(e.to_string()),
        }
    }
}
