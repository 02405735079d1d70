//! Votes: `/api/v1/votes`.

use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, AuthUser};
use crate::routes::PROBLEM;
use crate::schemas::VoteDirection;
use crate::state::AppState;
use actix_web::{HttpResponse, post, web};
use app::blog::{VoteChange, VoteOutcome};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"post_id": "0192f7a4-3b7e-7cc0-9a35-0f1e2d3c4b5a", "dir": 1}))]
pub struct VoteRequest {
    pub post_id: Uuid,
    /// 1 adds the caller's vote, 0 removes it.
    #[schema(value_type = VoteDirection)]
    pub dir: Option<i64>,
}

impl VoteRequest {
    /// `dir` read as the change it asks for.
    fn change(&self) -> Result<VoteChange, ApiError> {
        match self.dir {
            Some(1) => Ok(VoteChange::Add),
            Some(0) => Ok(VoteChange::Remove),
            Some(_) => Err(ApiError::field(
                "dir",
                "must be 1 (vote) or 0 (remove the vote)",
            )),
            None => Err(ApiError::field("dir", "is required")),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"post_id": "0192f7a4-3b7e-7cc0-9a35-0f1e2d3c4b5a", "votes": 4}))]
pub struct VoteResponse {
    pub post_id: Uuid,
    /// The post's vote count after the vote.
    pub votes: u64,
}

/// Vote (`dir: 1`, `201`) or take one's vote back (`dir: 0`, `204`).
#[utoipa::path(
    tag = "blog",
    request_body = VoteRequest,
    responses(
        (status = 201, description = "Vote recorded (no `Location`: a vote has no URL)", body = VoteResponse),
        (status = 204, description = "Vote removed"),
        (status = 404, description = "No such post, or no vote to remove", body = Problem, content_type = PROBLEM),
        (status = 409, description = "Already voted", body = Problem, content_type = PROBLEM),
        (status = 422, description = "`dir` other than 0 or 1, or a bad `post_id`", body = Problem, content_type = PROBLEM),
    )
)]
#[post("/votes")]
pub async fn vote(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<VoteRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    match state.blog.vote(&user.0, b.post_id, b.change()?).await? {
        VoteOutcome::Added { votes } => Ok(HttpResponse::Created().json(VoteResponse {
            post_id: b.post_id,
            votes,
        })),
        VoteOutcome::Removed => Ok(HttpResponse::NoContent().finish()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(dir: Option<i64>) -> Result<VoteChange, ApiError> {
        VoteRequest {
            post_id: Uuid::nil(),
            dir,
        }
        .change()
    }

    #[test]
    fn dir_is_one_or_zero() {
        assert_eq!(change(Some(1)).ok(), Some(VoteChange::Add));
        assert_eq!(change(Some(0)).ok(), Some(VoteChange::Remove));
        for dir in [None, Some(2), Some(-1)] {
            let err = change(dir).expect_err("refused");
            assert_eq!(err.status().as_u16(), 422, "{dir:?}");
            assert_eq!(err.fields(), ["dir"], "{dir:?}");
        }
    }
}
