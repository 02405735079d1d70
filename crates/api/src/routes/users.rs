//! `/api/v1/users`: one's own account and the admin's user management.

use super::{PROBLEM, Tagged};
use crate::error::{ApiError, Problem, retry_secs};
use crate::extract::{ApiJson, ApiQuery, AuthUser, IfMatchHeader};
use crate::pagination::{PageParams, PageResponse};
use crate::problems::{AdminOnly, EmailTaken};
use crate::schemas::RoleName;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use app::UserError;
use app::users::{AdminUpdate, NewUserInput, UpdateMe};
use chrono::{DateTime, Utc};
use domain::concurrency::Versioned;
use domain::user::{User, UserFilter, UserView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A page of [`UserResponse`]s (its schema is named `UserPage`).
pub type UserPage = PageResponse<UserResponse>;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // `/users/me` before `/users/{id}`, which would otherwise claim "me".
    cfg.service(get_me)
        .service(update_me)
        .service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(delete_user);
}

/// A user as the user itself and admins see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f7a4-3b7e-7cc0-9a35-0f1e2d3c4b5a",
    "email": "ada@example.com",
    "name": "Ada",
    "role": "member",
    "is_active": true,
    "email_verified": false,
    "created_at": "2026-11-23T10:00:00Z",
    "updated_at": "2026-11-23T10:00:00Z"
}))]
pub struct UserResponse {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    #[schema(value_type = RoleName, example = "member")]
    pub role: &'static str,
    pub is_active: bool,
    /// Whether a mail to `email` came back (a verification link or a password reset).
    pub email_verified: bool,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::dto::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserResponse {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email.to_string(),
            name: u.name.as_str().to_owned(),
            role: u.role.as_str(),
            is_active: u.is_active,
            email_verified: u.email_verified,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// What everyone may see of another user. Nothing else (`additionalProperties: false`, from
/// `deny_unknown_fields`), so a full user's body never also matches this schema.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicUser {
    pub id: Uuid,
    pub name: String,
}

/// The full user to itself and admins, `{id, name}` to everyone else.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum UserViewResponse {
    Full(UserResponse),
    Public(PublicUser),
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Ada L.", "password": "new password 123", "current_password": "correct horse battery"}))]
pub struct UpdateMeRequest {
    pub name: Option<String>,
    pub password: Option<String>,
    /// Required, and checked, only when `password` is sent.
    pub current_password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "grace@example.com", "password": "a long password", "name": "Grace", "role": "admin"}))]
pub struct CreateUserRequest {
    pub email: String,
    pub password: String,
    pub name: Option<String>,
    /// Default `member`.
    #[schema(value_type = Option<RoleName>)]
    pub role: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"role": "admin", "is_active": false}))]
pub struct AdminUpdateUserRequest {
    pub name: Option<String>,
    #[schema(value_type = Option<RoleName>)]
    pub role: Option<String>,
    /// `false` deactivates the account: its tokens stop working at once.
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Case-insensitive text in the email or the name.
    pub q: Option<String>,
}

/// The caller's own account.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, description = "The caller, with its ETag", body = UserResponse),
    )
)]
#[get("/users/me")]
pub async fn get_me(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<Tagged<UserResponse>, ApiError> {
    let me = state.users.me(&user.0).await?;
    Ok(Tagged::of(me))
}

/// Rename oneself or change one's password (`current_password` required for the latter).
#[utoipa::path(
    tag = "users",
    request_body = UpdateMeRequest,
    params(IfMatchHeader),
    responses(
        (status = 200, description = "Updated", body = UserResponse),
        (status = 422, description = "Invalid fields or wrong current password", body = Problem, content_type = PROBLEM),
        (status = 429, description = "The account's budget of failed password checks is spent", body = Problem, content_type = PROBLEM),
    )
)]
#[patch("/users/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    user: AuthUser,
    if_match: IfMatchHeader,
    body: ApiJson<UpdateMeRequest>,
) -> Result<Tagged<UserResponse>, ApiError> {
    let b = body.0;
    let input = UpdateMe {
        name: b.name,
        password: b.password,
        current_password: b.current_password,
    };
    let me = state
        .users
        .update_me(&user.0, input, if_match.as_ref())
        .await?;
    Ok(Tagged::of(me))
}

/// All accounts, newest first (admin).
#[utoipa::path(
    tag = "users",
    params(PageParams, UserListQuery),
    responses(
        (status = 200, description = "A page of users", body = UserPage),
        (status = 403, response = AdminOnly),
    )
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ApiQuery<PageParams>,
    query: ApiQuery<UserListQuery>,
) -> Result<UserPage, ApiError> {
    let page = page.0.page()?;
    let filter = UserFilter { q: query.0.q };
    let users = state.users.list(&user.0, filter, page).await?;
    Ok(users.into())
}

/// Create an account with a role (admin).
#[utoipa::path(
    tag = "users",
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created; `Location` names it", body = UserResponse),
        (status = 403, response = AdminOnly),
        (status = 409, response = EmailTaken),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateUserRequest>,
) -> Result<Tagged<UserResponse>, ApiError> {
    let b = body.0;
    let input = NewUserInput {
        email: b.email,
        password: b.password,
        name: b.name,
        role: b.role,
    };
    let created = state.users.create(&user.0, input).await?;
    Ok(Tagged::created("/api/v1/users", created))
}

/// One user: everything to itself and admins, `{id, name}` to others.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, description = "The user, with its ETag", body = UserViewResponse),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<Tagged<UserViewResponse>, ApiError> {
    match state.users.get(&user.0, id.into_inner()).await? {
        UserView::Full(u) => Ok(Tagged::new(u.etag(), UserViewResponse::Full(u.into()))),
        UserView::Public { id, name, etag } => {
            let public = PublicUser {
                id,
                name: name.as_str().to_owned(),
            };
            Ok(Tagged::new(etag, UserViewResponse::Public(public)))
        }
    }
}

/// Change a user's name, role or active flag (admin).
#[utoipa::path(
    tag = "users",
    request_body = AdminUpdateUserRequest,
    params(IfMatchHeader),
    responses(
        (status = 200, description = "Updated", body = UserResponse),
        (status = 403, response = AdminOnly),
        (status = 409, description = "The last active admin cannot be demoted or deactivated", body = Problem, content_type = PROBLEM),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
    body: ApiJson<AdminUpdateUserRequest>,
) -> Result<Tagged<UserResponse>, ApiError> {
    let b = body.0;
    let input = AdminUpdate {
        name: b.name,
        role: b.role,
        is_active: b.is_active,
    };
    let updated = state
        .users
        .update(&user.0, id.into_inner(), input, if_match.as_ref())
        .await?;
    Ok(Tagged::of(updated))
}

/// Delete a user with its posts, comments and votes (admin).
#[utoipa::path(
    tag = "users",
    params(IfMatchHeader),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = AdminOnly),
        (status = 409, description = "The last active admin cannot be deleted", body = Problem, content_type = PROBLEM),
    )
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    if_match: IfMatchHeader,
) -> Result<HttpResponse, ApiError> {
    state
        .users
        .delete(&user.0, id.into_inner(), if_match.as_ref())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::App(e) => e.into(),
            UserError::EmailTaken | UserError::LastAdmin => Self::conflict(e.to_string()),
            UserError::WrongPassword => Self::field("current_password", "is incorrect"),
            UserError::TooManyAttempts { retry_after } => {
                Self::too_many_requests(retry_secs(retry_after))
            }
        }
    }
}
