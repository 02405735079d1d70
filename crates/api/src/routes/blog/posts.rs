//! Posts: `/api/v1/posts`.

use crate::dto::blog::PostResponse;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, AuthUser, IfMatchHeader, MaybeUser};
use crate::pagination::{PageParams, PageResponse};
use crate::problems::{OwnerOnly, PostNotFound};
use crate::routes::{PROBLEM, Tagged};
use crate::schemas::PostSortKey;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use app::blog::{PostInput, PostQuery};
use domain::blog::PostView;
use domain::concurrency::Versioned;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A page of [`PostResponse`]s (its schema is named `PostPage`).
pub type PostPage = PageResponse<PostResponse>;

/// A new post (`POST`) or all of one (`PUT`). Absent fields are read as missing, so each
/// is reported in the `422` by name.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"title": "Hello, Rust", "content": "Why we rewrote our API.", "published": true}))]
pub struct PostRequest {
    /// 1 to 200 characters.
    #[schema(value_type = String)]
    pub title: Option<String>,
    /// 1 to 20 000 characters.
    #[schema(value_type = String)]
    pub content: Option<String>,
    /// Default true; `false` makes a draft.
    pub published: Option<bool>,
}

/// Any subset of a post's fields (`PATCH`).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"published": false}))]
pub struct PostPatchRequest {
    /// 1 to 200 characters.
    pub title: Option<String>,
    /// 1 to 20 000 characters.
    pub content: Option<String>,
    pub published: Option<bool>,
}

impl From<PostRequest> for PostInput {
    fn from(b: PostRequest) -> Self {
        Self {
            title: b.title,
            content: b.content,
            published: b.published,
        }
    }
}

impl From<PostPatchRequest> for PostInput {
    fn from(b: PostPatchRequest) -> Self {
        Self {
            title: b.title,
            content: b.content,
            published: b.published,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostListQuery {
    /// Case-insensitive text in the title or the content.
    pub q: Option<String>,
    pub owner_id: Option<Uuid>,
    /// `-created_at` (default), `created_at` or `-votes`.
    #[param(value_type = Option<PostSortKey>)]
    pub sort: Option<String>,
}

fn tagged(view: PostView) -> Tagged<PostResponse> {
    Tagged::new(view.post.etag(), view.into())
}

/// Published posts plus the caller's own drafts.
#[utoipa::path(
    tag = "blog",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(PageParams, PostListQuery),
    responses(
        (status = 200, description = "A page of posts", body = PostPage),
        (status = 401, description = "A token was sent and refused", body = Problem, content_type = PROBLEM),
    )
)]
#[get("/posts")]
pub async fn list_posts(
    state: web::Data<AppState>,
    viewer: MaybeUser,
    page: ApiQuery<PageParams>,
    query: ApiQuery<PostListQuery>,
) -> Result<PostPage, ApiError> {
    let q = query.0;
    let query = PostQuery {
        q: q.q,
        owner_id: q.owner_id,
        sort: q.sort,
    };
    let posts = state
        .blog
        .list_posts(viewer.0.as_ref(), query, page.0.page()?)
        .await?;
    Ok(posts.into())
}

/// Write a post (`published: false` for a draft).
#[utoipa::path(
    tag = "blog",
    request_body = PostRequest,
    responses(
        (status = 201, description = "Created; `Location` names it", body = PostResponse),
    )
)]
#[post("/posts")]
pub async fn create_post(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<PostRequest>,
) -> Result<Tagged<PostResponse>, ApiError> {
    let view = state.blog.create_post(&user.0, body.0.into()).await?;
    let id = view.post.id;
    Ok(tagged(view).located("/api/v1/posts", id))
}

/// One post; a draft is 404 to everyone but its owner and admins.
#[utoipa::path(
    tag = "blog",
    security((), ("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The post, with its ETag", body = PostResponse),
        (status = 404, response = PostNotFound),
    )
)]
#[get("/posts/{id}")]
pub async fn get_post(
    state: web::Data<AppState>,
    viewer: MaybeUser,
    id: web::Path<Uuid>,
) -> Result<Tagged<PostResponse>, ApiError> {
    Ok(tagged(
        state
            .blog
            .get_post(viewer.0.as_ref(), id.into_inner())
            .await?,
    ))
}

/// Replace title, content and `published` (back to true when omitted).
#[utoipa::path(
    tag = "blog",
    request_body = PostRequest,
    params(IfMatchHeader),
    responses(
        (status = 200, description = "Replaced", body = PostResponse),
        (status = 403, response = OwnerOnly),
    )
)]
#[put("/posts/{id}")]
pub async fn replace_post(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
    body: ApiJson<PostRequest>,
) -> Result<Tagged<PostResponse>, ApiError> {
    let view = state
        .blog
        .replace_post(&user.0, id.into_inner(), body.0.into(), if_match.as_ref())
        .await?;
    Ok(tagged(view))
}

/// Change only the fields sent.
#[utoipa::path(
    tag = "blog",
    request_body = PostPatchRequest,
    params(IfMatchHeader),
    responses(
        (status = 200, description = "Updated", body = PostResponse),
        (status = 403, response = OwnerOnly),
    )
)]
#[patch("/posts/{id}")]
pub async fn patch_post(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
    body: ApiJson<PostPatchRequest>,
) -> Result<Tagged<PostResponse>, ApiError> {
    let view = state
        .blog
        .patch_post(&user.0, id.into_inner(), body.0.into(), if_match.as_ref())
        .await?;
    Ok(tagged(view))
}

/// Delete a post with its comments and votes.
#[utoipa::path(
    tag = "blog",
    params(IfMatchHeader),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = OwnerOnly),
    )
)]
#[delete("/posts/{id}")]
pub async fn delete_post(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
) -> Result<HttpResponse, ApiError> {
    state
        .blog
        .delete_post(&user.0, id.into_inner(), if_match.as_ref())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
