//! The community blog: `/api/v1/posts`, `/api/v1/comments` and `/api/v1/votes`.

use super::{PROBLEM, ok_with_etag};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, AuthUser, IfMatchHeader, MaybeUser};
use crate::pagination::{PageParams, PageResponse};
use crate::schemas::{PostSortKey, VoteDirection};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use app::blog::{PostInput, PostQuery, VoteOutcome};
use chrono::{DateTime, Utc};
use domain::blog::{Author, CommentView, PostView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A page of [`PostResponse`]s (its schema is named `PostPage`).
pub type PostPage = PageResponse<PostResponse>;
/// A page of [`CommentResponse`]s (its schema is named `CommentPage`).
pub type CommentPage = PageResponse<CommentResponse>;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_posts)
        .service(create_post)
        .service(get_post)
        .service(replace_post)
        .service(patch_post)
        .service(delete_post)
        .service(list_comments)
        .service(create_comment)
        .service(get_comment)
        .service(edit_comment)
        .service(delete_comment)
        .service(vote);
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
    pub created_at: DateTime<Utc>,
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
    pub created_at: DateTime<Utc>,
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

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"content": "Nice write-up!"}))]
pub struct CommentRequest {
    /// 1 to 5000 characters.
    #[schema(value_type = String)]
    pub content: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"post_id": "0192f7a4-3b7e-7cc0-9a35-0f1e2d3c4b5a", "dir": 1}))]
pub struct VoteRequest {
    pub post_id: Uuid,
    /// 1 adds the caller's vote, 0 removes it.
    #[schema(value_type = VoteDirection)]
    pub dir: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"post_id": "0192f7a4-3b7e-7cc0-9a35-0f1e2d3c4b5a", "votes": 4}))]
pub struct VoteResponse {
    pub post_id: Uuid,
    /// The post's vote count after the vote.
    pub votes: u64,
}

fn post_with_etag(view: PostView) -> HttpResponse {
    let etag = view.post.etag();
    ok_with_etag(&PostResponse::from(view), &etag)
}

fn comment_with_etag(view: CommentView) -> HttpResponse {
    let etag = view.comment.etag();
    ok_with_etag(&CommentResponse::from(view), &etag)
}

/// Published posts plus the caller's own drafts.
#[utoipa::path(
    tag = "blog",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(PageParams, PostListQuery),
    responses(
        (status = 200, description = "A page of posts", body = PostPage),
        (status = 401, description = "A token was sent and refused", body = Problem, content_type = PROBLEM),
        (status = 422, description = "Bad query parameters", body = Problem, content_type = PROBLEM),
    )
)]
#[get("/posts")]
pub async fn list_posts(
    state: web::Data<AppState>,
    viewer: MaybeUser,
    page: ApiQuery<PageParams>,
    query: ApiQuery<PostListQuery>,
) -> Result<web::Json<PostPage>, ApiError> {
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
    Ok(web::Json(PageResponse::from_page(
        posts,
        PostResponse::from,
    )))
}

/// Write a post (`published: false` for a draft).
#[utoipa::path(
    tag = "blog",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = PostRequest,
    responses(
        (status = 201, description = "Created; `Location` names it", body = PostResponse),
        (status = 401, description = "No valid access token", body = Problem, content_type = PROBLEM),
        (status = 422, description = "Invalid fields", body = Problem, content_type = PROBLEM),
    )
)]
#[post("/posts")]
pub async fn create_post(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<PostRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = state.blog.create_post(&user.0, body.0.into()).await?;
    let etag = view.post.etag();
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/posts/{}", view.post.id)))
        .insert_header((header::ETAG, etag.as_str()))
        .json(PostResponse::from(view)))
}

/// One post; a draft is 404 to everyone but its owner and admins.
#[utoipa::path(
    tag = "blog",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 200, description = "The post, with its ETag", body = PostResponse),
        (status = 404, description = "No such post, or a draft of someone else", body = Problem, content_type = PROBLEM),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = PROBLEM),
    )
)]
#[get("/posts/{id}")]
pub async fn get_post(
    state: web::Data<AppState>,
    viewer: MaybeUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(post_with_etag(
        state
            .blog
            .get_post(viewer.0.as_ref(), id.into_inner())
            .await?,
    ))
}

/// Replace title, content and `published` (back to true when omitted).
#[utoipa::path(
    tag = "blog",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = PostRequest,
    params(
        ("id" = Uuid, Path, description = "Post id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    responses(
        (status = 200, description = "Replaced", body = PostResponse),
        (status = 401, description = "No valid access token", body = Problem, content_type = PROBLEM),
        (status = 403, description = "Neither the owner nor an admin", body = Problem, content_type = PROBLEM),
        (status = 404, description = "No such post", body = Problem, content_type = PROBLEM),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = PROBLEM),
        (status = 422, description = "Invalid fields", body = Problem, content_type = PROBLEM),
    )
)]
#[put("/posts/{id}")]
pub async fn replace_post(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
    body: ApiJson<PostRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .blog
        .replace_post(&user.0, id.into_inner(), body.0.into(), if_match.as_ref())
        .await?;
    Ok(post_with_etag(view))
}

/// Change only the fields sent.
#[utoipa::path(
    tag = "blog",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = PostPatchRequest,
    params(
        ("id" = Uuid, Path, description = "Post id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    responses(
        (status = 200, description = "Updated", body = PostResponse),
        (status = 401, description = "No valid access token", body = Problem, content_type = PROBLEM),
        (status = 403, description = "Neither the owner nor an admin", body = Problem, content_type = PROBLEM),
        (status = 404, description = "No such post", body = Problem, content_type = PROBLEM),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = PROBLEM),
        (status = 422, description = "Invalid fields", body = Problem, content_type = PROBLEM),
    )
)]
#[patch("/posts/{id}")]
pub async fn patch_post(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
    body: ApiJson<PostPatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .blog
        .patch_post(&user.0, id.into_inner(), body.0.into(), if_match.as_ref())
        .await?;
    Ok(post_with_etag(view))
}

/// Delete a post with its comments and votes.
#[utoipa::path(
    tag = "blog",
    security(("bearer" = []), ("oauth2" = [])),
    params(
        ("id" = Uuid, Path, description = "Post id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid access token", body = Problem, content_type = PROBLEM),
        (status = 403, description = "Neither the owner nor an admin", body = Problem, content_type = PROBLEM),
        (status = 404, description = "No such post", body = Problem, content_type = PROBLEM),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = PROBLEM),
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

/// A post's comments, oldest first.
#[utoipa::path(
    tag = "blog",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Post id"), PageParams),
    responses(
        (status = 200, description = "A page of comments", body = CommentPage),
        (status = 404, description = "No such post, or a hidden draft", body = Problem, content_type = PROBLEM),
    )
)]
#[get("/posts/{id}/comments")]
pub async fn list_comments(
    state: web::Data<AppState>,
    viewer: MaybeUser,
    id: web::Path<Uuid>,
    page: ApiQuery<PageParams>,
) -> Result<web::Json<CommentPage>, ApiError> {
    let comments = state
        .blog
        .list_comments(viewer.0.as_ref(), id.into_inner(), page.0.page()?)
        .await?;
    Ok(web::Json(PageResponse::from_page(
        comments,
        CommentResponse::from,
    )))
}

/// Comment on a post.
#[utoipa::path(
    tag = "blog",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CommentRequest,
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 201, description = "Created; `Location` names it", body = CommentResponse),
        (status = 401, description = "No valid access token", body = Problem, content_type = PROBLEM),
        (status = 404, description = "No such post, or a hidden draft", body = Problem, content_type = PROBLEM),
        (status = 422, description = "Invalid content", body = Problem, content_type = PROBLEM),
    )
)]
#[post("/posts/{id}/comments")]
pub async fn create_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .blog
        .add_comment(&user.0, id.into_inner(), body.0.content)
        .await?;
    let etag = view.comment.etag();
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/comments/{}", view.comment.id),
        ))
        .insert_header((header::ETAG, etag.as_str()))
        .json(CommentResponse::from(view)))
}

/// One comment, if its post is visible to the caller.
#[utoipa::path(
    tag = "blog",
    security((), ("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "Comment id")),
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
) -> Result<HttpResponse, ApiError> {
    Ok(comment_with_etag(
        state
            .blog
            .get_comment(viewer.0.as_ref(), id.into_inner())
            .await?,
    ))
}

/// Edit one's own comment.
#[utoipa::path(
    tag = "blog",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CommentRequest,
    params(
        ("id" = Uuid, Path, description = "Comment id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    responses(
        (status = 200, description = "Edited", body = CommentResponse),
        (status = 401, description = "No valid access token", body = Problem, content_type = PROBLEM),
        (status = 403, description = "Not the author", body = Problem, content_type = PROBLEM),
        (status = 404, description = "No such comment", body = Problem, content_type = PROBLEM),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = PROBLEM),
        (status = 422, description = "Invalid content", body = Problem, content_type = PROBLEM),
    )
)]
#[patch("/comments/{id}")]
pub async fn edit_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
    body: ApiJson<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .blog
        .edit_comment(&user.0, id.into_inner(), body.0.content, if_match.as_ref())
        .await?;
    Ok(comment_with_etag(view))
}

/// Delete a comment: its author, the post's owner or an admin.
#[utoipa::path(
    tag = "blog",
    security(("bearer" = []), ("oauth2" = [])),
    params(
        ("id" = Uuid, Path, description = "Comment id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid access token", body = Problem, content_type = PROBLEM),
        (status = 403, description = "Not the author, the post's owner or an admin", body = Problem, content_type = PROBLEM),
        (status = 404, description = "No such comment", body = Problem, content_type = PROBLEM),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = PROBLEM),
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

/// Vote (`dir: 1`, `201`) or take one's vote back (`dir: 0`, `204`).
#[utoipa::path(
    tag = "blog",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = VoteRequest,
    responses(
        (status = 201, description = "Vote recorded (no `Location`: a vote has no URL)", body = VoteResponse),
        (status = 204, description = "Vote removed"),
        (status = 401, description = "No valid access token", body = Problem, content_type = PROBLEM),
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
    match state.blog.vote(&user.0, b.post_id, b.dir).await? {
        VoteOutcome::Added { votes } => Ok(HttpResponse::Created().json(VoteResponse {
            post_id: b.post_id,
            votes,
        })),
        VoteOutcome::Removed => Ok(HttpResponse::NoContent().finish()),
    }
}
