//! Every error leaves as RFC 9457 problem details (`application/problem+json`) carrying the
//! request id. A 500 logs its whole cause chain and tells the client nothing internal.

use crate::outage::Refusal;
use crate::request_context;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use app::AppError;
use domain::{BoxError, FieldError, ValidationError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The problem details body (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URN naming the kind of problem, e.g. `urn:problem-type:not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status phrase.
    pub title: String,
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// The request's `X-Request-Id`.
    pub request_id: String,
    /// Validation problems (`422`) only: one entry per invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

/// An error answer of the API (boxed: results stay small on the happy path).
#[derive(Debug)]
pub struct ApiError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    slug: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    retry_after_secs: Option<u64>,
    allow: Option<String>,
    source: Option<BoxError>,
}

impl ApiError {
    pub fn new(status: StatusCode, slug: &'static str, detail: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            status,
            slug,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
            allow: None,
            source: None,
        }))
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer access token is required",
        )
    }

    /// A `401` saying why the credentials were refused.
    pub fn unauthorized_because(detail: impl Into<String>) -> Self {
        let mut e = Self::unauthorized();
        e.0.detail = detail.into();
        e
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// `REQUIRE_VERIFIED_EMAIL` is on and the caller's address is not verified yet.
    pub fn email_not_verified() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "email-not-verified",
            "verify your e-mail address first (POST /api/v1/auth/verify-email/resend mails a new link)",
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn method_not_allowed(allow: String) -> Self {
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            format!("this resource supports: {allow}"),
        );
        e.0.allow = Some(allow);
        e
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", detail)
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            "the resource changed since it was read (If-Match does not match its ETag)",
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            format!("the request body exceeds {limit} bytes"),
        )
    }

    pub fn request_timeout(after: std::time::Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            format!(
                "the request body did not arrive within {} s",
                after.as_secs()
            ),
        )
    }

    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            format!("the request body must be {expected}"),
        )
    }

    /// `429`; the client may retry after `retry_after_secs` (a `Retry-After` header).
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            format!("too many attempts; retry in {retry_after_secs} s"),
        );
        e.0.retry_after_secs = Some(retry_after_secs);
        e
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-error",
            format!("the request has {} invalid field(s)", errors.len()),
        );
        e.0.errors = errors;
        e
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service-unavailable",
            "a required dependency is unavailable; try again shortly",
        );
        e.0.source = Some(source.into());
        e.0.retry_after_secs = Some(5);
        e
    }

    pub fn internal(source: impl Into<BoxError>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal-error",
            "an unexpected error occurred; the request id identifies it in the logs",
        );
        e.0.source = Some(source.into());
        e
    }

    /// A problem for a status produced outside the handlers (framework, middleware).
    pub fn from_status(status: StatusCode, detail: impl Into<String>) -> Self {
        if status.is_server_error() {
            let mut e = Self::internal(detail.into());
            e.0.status = status;
            return e;
        }
        Self::new(status, "http-error", detail)
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The fields named in a validation answer, in order.
    #[cfg(test)]
    pub(crate) fn fields(&self) -> Vec<&str> {
        self.0.errors.iter().map(|e| e.field.as_str()).collect()
    }

    fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:problem-type:{}", self.0.slug),
            title: self
                .0
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            status: self.0.status.as_u16(),
            detail: self.0.detail.clone(),
            request_id: request_context::current().unwrap_or_default(),
            errors: self
                .0
                .errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    message: e.message.clone(),
                })
                .collect(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.status, self.0.detail)
    }
}

/// Writes an error and every `source()` below it, one per line.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    domain::error::error_chain(e, "\n  caused by: ")
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        let cause = || {
            self.0
                .source
                .as_deref()
                .map(|s| error_chain(s))
                .unwrap_or_default()
        };
        // A 503 is one refusal of an outage, reported (once) by the request middleware
        // through `outage::Outages`; any other server error is logged with its causes.
        let refusal = (self.0.status == StatusCode::SERVICE_UNAVAILABLE).then(|| Refusal {
            dependency: self
                .0
                .source
                .as_deref()
                .map_or("other", |s| infra::dependency_of(s)),
            cause: cause(),
        });
        if refusal.is_none() && self.0.status.is_server_error() {
            tracing::error!(request_id = %request_context::current().unwrap_or_default(), status = self.0.status.as_u16(), "{}", cause());
        }
        let mut res = HttpResponse::build(self.0.status);
        if let Some(refusal) = refusal {
            res.extensions_mut().insert(refusal);
        }
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if self.0.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let Some(secs) = self.0.retry_after_secs {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = &self.0.allow
            && let Ok(v) = HeaderValue::from_str(allow)
        {
            res.insert_header((header::ALLOW, v));
        }
        match serde_json::to_vec(&self.problem()) {
            Ok(body) => res.body(body),
            Err(_) => res.finish(),
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self::validation(e.0)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(v) => v.into(),
            AppError::NotFound(_) => Self::not_found(e.to_string()),
            AppError::Forbidden(why) => Self::forbidden(why),
            AppError::PreconditionFailed => Self::precondition_failed(),
            AppError::Contended => Self::conflict(e.to_string()),
            AppError::Unavailable(source) => Self::unavailable(source),
            AppError::Unexpected(source) => Self::internal(source),
        }
    }
}

/// Whole seconds to wait, rounded up, as `Retry-After` counts them.
pub fn retry_secs(wait: std::time::Duration) -> u64 {
    wait.as_secs_f64().ceil() as u64
}
