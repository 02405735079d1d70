//! `/api/v1/auth/password-reset[/confirm]` and `/api/v1/auth/verify-email[/resend]`:
//! account recovery and e-mail verification. The pages the mailed links open are in
//! `crate::pages`.

use super::PROBLEM;
use super::auth::rate_limit;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, AuthUser, ClientIp};
use crate::state::AppState;
use actix_web::{FromRequest, HttpRequest, HttpResponse, post, web};
use app::AccountError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(request_password_reset)
        .service(confirm_password_reset)
        .service(verify_email)
        .service(resend_verification);
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ada@example.com"}))]
pub struct PasswordResetRequest {
    #[schema(value_type = String)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"token": "kq0yJ0eWtHnAHuV6mC1dGZ1s0sY0Jm0b4cJ3Qv6X2n1E", "password": "a new long password"}))]
pub struct PasswordResetConfirm {
    /// The token from the reset link.
    #[schema(value_type = String)]
    pub token: Option<String>,
    /// 8 to 72 bytes.
    #[schema(value_type = String)]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"token": "kq0yJ0eWtHnAHuV6mC1dGZ1s0sY0Jm0b4cJ3Qv6X2n1E"}))]
pub struct VerifyEmailRequest {
    /// The token from the verification link.
    #[schema(value_type = String)]
    pub token: Option<String>,
}

/// The answer to a request whose effect is a mail.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"detail": "If an active account has this address, a reset link is on its way."}))]
pub struct Accepted {
    pub detail: &'static str,
}

const RESET_ACCEPTED: &str = "If an active account has this address, a reset link is on its way.";

/// Ask for a password-reset link. The answer is the same, and takes the same time, whether
/// or not an account has the address: the lookup runs after it, and a worker sends the mail.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted; a link is mailed if an active account has the address", body = Accepted),
        (status = 429, response = crate::problems::TooManyRequests),
    )
)]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    ip: ClientIp,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&state, ip, "password-reset").await?;
    let body = ApiJson::<PasswordResetRequest>::from_request(&req, &mut payload.into_inner())
        .await?
        .0;
    let email = state.account.reset_request(body.email.as_deref())?;
    // After the answer: its timing must not tell whether the address has an account.
    let account = state.account.clone();
    actix_web::rt::spawn(async move {
        if let Err(e) = account.send_reset_link(&email).await {
            tracing::warn!(
                "password reset not queued: {}",
                domain::error::error_chain(&e, ": ")
            );
        }
    });
    Ok(HttpResponse::Accepted().json(Accepted {
        detail: RESET_ACCEPTED,
    }))
}

/// Set a new password with the token of a reset link. Ends every session of the account.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "Password set; every session of the account ended; a notice is mailed"),
        (status = 422, description = "`token` unknown, expired or spent, or `password` invalid (the token then stays unspent)", body = Problem, content_type = PROBLEM),
        (status = 429, response = crate::problems::TooManyRequests),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_password_reset(
    state: web::Data<AppState>,
    ip: ClientIp,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&state, ip, "password-reset-confirm").await?;
    let body = ApiJson::<PasswordResetConfirm>::from_request(&req, &mut payload.into_inner())
        .await?
        .0;
    state
        .account
        .confirm_password_reset(body.token.as_deref(), body.password.as_deref())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Verify the account's e-mail address with the token of a verification link.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 422, description = "`token` unknown, expired or spent", body = Problem, content_type = PROBLEM),
        (status = 429, response = crate::problems::TooManyRequests),
    )
)]
#[post("/auth/verify-email")]
pub async fn verify_email(
    state: web::Data<AppState>,
    ip: ClientIp,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&state, ip, "verify-email").await?;
    let body = ApiJson::<VerifyEmailRequest>::from_request(&req, &mut payload.into_inner())
        .await?
        .0;
    state.account.verify_email(body.token.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mail a new verification link to the caller; the earlier link stops working.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 202, description = "A new link is on its way", body = Accepted),
        (status = 409, description = "The address is already verified", body = Problem, content_type = PROBLEM),
    )
)]
#[post("/auth/verify-email/resend")]
pub async fn resend_verification(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    state.account.resend_verification(&user.0).await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        detail: "A new verification link is on its way.",
    }))
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::App(e) => e.into(),
            AccountError::InvalidToken => {
                Self::field("token", "is invalid, has expired or was already used")
            }
            AccountError::AlreadyVerified => Self::conflict(e.to_string()),
        }
    }
}
