//! Comments: `/api/v1/posts/{id}/comments` and `/api/v1/comments`.

use crate::dto::blog::CommentResponse;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, AuthUser, IfMatchHeader, MaybeUser};
use crate::pagination::{PageParams, PageResponse};
use crate::problems::PostNotFound;
use crate::routes::{PROBLEM, Tagged};
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use domain::blog::CommentView;
use domain::concurrency::Versioned;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A page of [`CommentResponse`]s (its schema is named `CommentPage`).
pub type CommentPage = PageResponse<CommentResponse>;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"content": "Nice write-up!"}))]
pub struct CommentRequest {
    /// 1 to 5000 characters.
    #[schema(value_type = String)]
    pub content: Option<String>,
}

fn tagged(view: CommentView) -> Tagged<CommentResponse> {
    Tagged::new(view.comment.etag(), view.into())
}

/// A post's comments, oldest first.
#[utoipa::path(
    tag = "blog",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of comments", body = CommentPage),
        (status = 404, response = PostNotFound),
    )
)]
#[get("/posts/{id}/comments")]
pub async fn list_comments(
    state: web::Data<AppState>,
    viewer: MaybeUser,
    id: web::Path<Uuid>,
    page: ApiQuery<PageParams>,
) -> Result<CommentPage, ApiError> {
    let comments = state
        .blog
        .list_comments(viewer.0.as_ref(), id.into_inner(), page.0.page()?)
        .await?;
    Ok(comments.into())
}

/// Comment on a post.
#[utoipa::path(
    tag = "blog",
    request_body = CommentRequest,
    responses(
        (status = 201, description = "Created; `Location` names it", body = CommentResponse),
        (status = 404, response = PostNotFound),
    )
)]
#[post("/posts/{id}/comments")]
pub async fn create_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<CommentRequest>,
) -> Result<Tagged<CommentResponse>, ApiError> {
    let view = state
        .blog
        .add_comment(&user.0, id.into_inner(), body.0.content)
        .await?;
    let id = view.comment.id;
    Ok(tagged(view).located("/api/v1/comments", id))
}

/// One comment, if its post is visible to the caller.
#[utoipa::path(
    tag = "blog",
    security((), ("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The comment, with its ETag", body = CommentResponse),
        (status = 404, description = "No such comment, or on a hidden draft", body = Problem, content_type = PROBLEM),
    )
)]
#[get("/comments/{id}")]
pub async fn get_comment(
    state: web::Data<AppState>,
    viewer: MaybeUser,
    id: web::Path<Uuid>,
) -> Result<Tagged<CommentResponse>, ApiError> {
    Ok(tagged(
        state
            .blog
            .get_comment(viewer.0.as_ref(), id.into_inner())
            .await?,
    ))
}

/// Edit one's own comment.
#[utoipa::path(
    tag = "blog",
    request_body = CommentRequest,
    params(IfMatchHeader),
    responses(
        (status = 200, description = "Edited", body = CommentResponse),
        (status = 403, description = "Not the author (or, with `REQUIRE_VERIFIED_EMAIL`, an unverified caller: `email-not-verified`)", body = Problem, content_type = PROBLEM),
    )
)]
#[patch("/comments/{id}")]
pub async fn edit_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
    body: ApiJson<CommentRequest>,
) -> Result<Tagged<CommentResponse>, ApiError> {
    let view = state
        .blog
        .edit_comment(&user.0, id.into_inner(), body.0.content, if_match.as_ref())
        .await?;
    Ok(tagged(view))
}

/// Delete a comment: its author, the post's owner or an admin.
#[utoipa::path(
    tag = "blog",
    params(IfMatchHeader),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the author, the post's owner or an admin (or, with `REQUIRE_VERIFIED_EMAIL`, an unverified caller: `email-not-verified`)", body = Problem, content_type = PROBLEM),
    )
)]
#[delete("/comments/{id}")]
pub async fn delete_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
) -> Result<HttpResponse, ApiError> {
    state
        .blog
        .delete_comment(&user.0, id.into_inner(), if_match.as_ref())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
