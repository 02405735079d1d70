//! `/api/v1/auth`: register, login, refresh, logout.

use super::PROBLEM;
use crate::error::{ApiError, Problem, retry_secs};
use crate::extract::{ApiJson, AuthUser, ClientIp, JsonOrForm};
use crate::problems::{EmailTaken, TooManyRequests};
use crate::routes::users::UserResponse;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, post, web};
use app::AuthError;
use domain::auth::TokenPair;
use domain::rate_limit::{RateDecision, client_bucket};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(refresh)
        .service(logout);
}

/// A new account. Absent fields are read as missing, so each is named in the `422`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery", "name": "Ada"}))]
pub struct RegisterRequest {
    #[schema(value_type = String)]
    pub email: Option<String>,
    /// 8 to 72 bytes.
    #[schema(value_type = String)]
    pub password: Option<String>,
    /// 1 to 100 characters; defaults to the email's local part.
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery"}))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// The OAuth2 password grant form (`username` is the email).
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    pub grant_type: Option<String>,
    pub scope: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"refresh_token": "q0yJ0eWtHnAHuV6mC1dGZ1s0sY0Jm0b4cJ3Qv6X2n1E"}))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
    "refresh_token": "q0yJ0eWtHnAHuV6mC1dGZ1s0sY0Jm0b4cJ3Qv6X2n1E",
    "token_type": "bearer",
    "expires_in": 900
}))]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

impl From<TokenPair> for TokenResponse {
    fn from(t: TokenPair) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            token_type: "bearer",
            expires_in: t.expires_in,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    pub user: UserResponse,
    #[serde(flatten)]
    pub tokens: TokenResponse,
}

/// An answer carrying tokens, which no cache may keep (RFC 6749 section 5.1).
fn with_tokens(mut answer: HttpResponseBuilder, body: impl Serialize) -> HttpResponse {
    answer
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// Counts one attempt of `action` for the client's IP; over budget is `429`.
pub(crate) async fn rate_limit(
    state: &AppState,
    ip: ClientIp,
    action: &str,
) -> Result<(), ApiError> {
    let limit = state.auth_rate_limit_per_minute;
    if limit == 0 {
        return Ok(());
    }
    let client = ip.0.map_or_else(|| "unknown".to_owned(), client_bucket);
    let key = format!("{action}:{client}");
    match state
        .rate_limiter
        .hit(&key, limit, Duration::from_secs(60))
        .await
    {
        Ok(RateDecision::Allowed) => Ok(()),
        Ok(RateDecision::Limited { retry_after }) => {
            Err(ApiError::too_many_requests(retry_secs(retry_after)))
        }
        // Fail closed: without its budget the limit would be off exactly when the limiter
        // is down; the client is told to come back (503), and nothing else is affected.
        Err(e) => Err(ApiError::unavailable(e)),
    }
}

/// Create an account and start a session.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created; `Location` names the user", body = RegisterResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = PROBLEM),
        (status = 409, response = EmailTaken),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    ip: ClientIp,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Counted before the body is read: a malformed attempt spends the budget too.
    rate_limit(&state, ip, "register").await?;
    let body = ApiJson::<RegisterRequest>::from_request(&req, &mut payload.into_inner())
        .await?
        .0;
    let registered = state
        .auth
        .register(
            body.email.as_deref(),
            body.password.as_deref(),
            body.name.as_deref(),
        )
        .await?;
    let location = format!("/api/v1/users/{}", registered.user.id);
    let mut created = HttpResponse::Created();
    created.insert_header((header::LOCATION, location));
    Ok(with_tokens(
        created,
        RegisterResponse {
            user: UserResponse::from(registered.user),
            tokens: registered.tokens.into(),
        },
    ))
}

/// Exchange credentials for tokens: JSON `{email, password}` or the OAuth2 password form.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body(
        content(
            (LoginRequest = "application/json"),
            (LoginForm = "application/x-www-form-urlencoded"),
        )
    ),
    responses(
        (status = 200, description = "A new session", body = TokenResponse),
        (status = 401, description = "Wrong email or password, or inactive account", body = Problem, content_type = PROBLEM),
        (status = 415, description = "Neither JSON nor a form", body = Problem, content_type = PROBLEM),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    ip: ClientIp,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Counted before the body is read: a malformed attempt spends the budget too.
    rate_limit(&state, ip, "login").await?;
    let body = JsonOrForm::<LoginRequest, LoginForm>::from_request(&req, &mut payload.into_inner())
        .await?;
    let (email, password) = match body {
        JsonOrForm::Json(b) => (b.email, b.password),
        JsonOrForm::Form(f) => (f.username, f.password),
    };
    let tokens = state.auth.login(&email, &password).await?;
    Ok(with_tokens(HttpResponse::Ok(), TokenResponse::from(tokens)))
}

/// Rotate a refresh token. A token used twice ends its whole session.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair; the presented refresh token is spent", body = TokenResponse),
        (status = 401, description = "Unknown, expired, spent or revoked refresh token", body = Problem, content_type = PROBLEM),
        (status = 422, description = "Missing refresh_token", body = Problem, content_type = PROBLEM),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let tokens = state.auth.refresh(&body.0.refresh_token).await?;
    Ok(with_tokens(HttpResponse::Ok(), TokenResponse::from(tokens)))
}

/// End the current session: its access and refresh tokens stop working everywhere.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Session ended"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    state.auth.logout(&user.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Invalid(v) => v.into(),
            AuthError::EmailTaken => Self::conflict(e.to_string()),
            AuthError::InvalidCredentials | AuthError::InvalidToken => {
                Self::unauthorized_because(e.to_string())
            }
            AuthError::TooManyAttempts(wait) => Self::too_many_requests(retry_secs(wait)),
            AuthError::Unavailable(source) => Self::unavailable(source),
            AuthError::Unexpected(source) => Self::internal(source),
        }
    }
}
