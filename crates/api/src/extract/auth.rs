//! The caller: resolved from the bearer token once per request.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};
use app::AuthError;
use domain::auth::Principal;
use futures_util::future::{Ready, ready};

/// Who is calling, resolved once per request by [`resolve_caller`].
#[derive(Debug, Clone, Copy)]
pub enum Caller {
    Anonymous,
    Authenticated(Principal),
    /// A token was presented and refused.
    Rejected,
}

/// The bearer token of the `Authorization` header: `None` without one, `Err` when it is
/// not a bearer token.
pub fn bearer_token(headers: &header::HeaderMap) -> Option<Result<String, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let Ok(value) = value.to_str() else {
        return Some(Err(()));
    };
    let mut parts = value.trim().splitn(2, ' ');
    match (parts.next(), parts.next()) {
        (Some(scheme), Some(token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Some(Ok(token.trim().to_owned()))
        }
        _ => Some(Err(())),
    }
}

/// Resolves the bearer token before any extractor runs, so authentication is decided
/// before the body is read or validated.
pub async fn resolve_caller(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let caller = match bearer_token(req.headers()) {
        None => Caller::Anonymous,
        Some(Err(())) => Caller::Rejected,
        Some(Ok(token)) => {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal("application state is not registered"))?;
            match state.auth.authenticate(&token).await {
                Ok(principal) => {
                    if state.require_verified_email
                        && !principal.email_verified
                        && needs_verified_email(req.method(), req.path())
                    {
                        return Err(ApiError::email_not_verified().into());
                    }
                    Caller::Authenticated(principal)
                }
                Err(AuthError::InvalidToken) => Caller::Rejected,
                Err(e) => return Err(ApiError::from(e).into()),
            }
        }
    };
    req.extensions_mut().insert(caller);
    next.call(req).await
}

/// The writes `REQUIRE_VERIFIED_EMAIL` keeps from unverified callers: every one under
/// `/api/v1` but the `auth` endpoints (which include getting verified).
fn needs_verified_email(method: &Method, path: &str) -> bool {
    let write = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    write && path.starts_with("/api/v1/") && !path.starts_with("/api/v1/auth/")
}

fn caller_of(req: &HttpRequest) -> Caller {
    req.extensions()
        .get::<Caller>()
        .copied()
        .unwrap_or(Caller::Anonymous)
}

/// An authenticated caller; anything else is `401`.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser(pub Principal);

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match caller_of(req) {
            Caller::Authenticated(p) => Ok(Self(p)),
            _ => Err(ApiError::unauthorized()),
        })
    }
}

/// An optional caller: anonymous is fine, a refused token is still `401`.
#[derive(Debug, Clone, Copy)]
pub struct MaybeUser(pub Option<Principal>);

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match caller_of(req) {
            Caller::Authenticated(p) => Ok(Self(Some(p))),
            Caller::Anonymous => Ok(Self(None)),
            Caller::Rejected => Err(ApiError::unauthorized()),
        })
    }
}
