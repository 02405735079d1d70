//! The problem answers of the OpenAPI document, each declared once as a response component
//! (`#/components/responses/...`). The common ones are added by `openapi::complete` to every
//! operation that can give them; a handler names the others with `response = ...`.

use crate::error::Problem;
use utoipa::ToResponse;
use utoipa::openapi::{RefOr, Response};

/// Malformed JSON or a malformed `If-Match` header.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct BadRequest(pub Problem);

/// No valid access token.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Unauthorized(pub Problem);

/// The caller lacks the admin role this needs (or, with `REQUIRE_VERIFIED_EMAIL`, has not
/// verified its address: type `urn:problem-type:email-not-verified`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct AdminOnly(pub Problem);

/// `REQUIRE_VERIFIED_EMAIL` is on and the caller has not verified its address: the
/// problem's `type` is `urn:problem-type:email-not-verified`. (Operations that also answer
/// `403` for a missing right say so in their own `403`.)
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct EmailNotVerified(pub Problem);

/// No such resource, or one hidden from the caller.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct NotFound(pub Problem);

/// The body did not arrive within `REQUEST_TIMEOUT_SECS`.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct RequestTimeout(pub Problem);

/// `If-Match` names a version that is no longer current: read again, then retry.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PreconditionFailed(pub Problem);

/// Writes without `If-Match` kept losing to concurrent writers of the same resource;
/// nothing changed: retry.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Contended(pub Problem);

/// A request with this `Idempotency-Key` is still running; retry later (nothing changed).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct KeyInFlight(pub Problem);

/// The body is over the configured limit.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PayloadTooLarge(pub Problem);

/// The body is not `application/json`.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct UnsupportedMediaType(pub Problem);

/// Invalid path, query or body values; `errors` names each field.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct UnprocessableEntity(pub Problem);

/// Rate limited; `Retry-After` says when to try again.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct TooManyRequests(pub Problem);

/// A dependency (the database, Redis) is unavailable; retry later.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct ServiceUnavailable(pub Problem);

/// Neither the one who created the resource nor an admin (or, with
/// `REQUIRE_VERIFIED_EMAIL`, a caller whose address is not verified: type
/// `urn:problem-type:email-not-verified`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct OwnerOnly(pub Problem);

/// No such post, or a draft hidden from the caller.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PostNotFound(pub Problem);

/// The email is already in use (emails are compared case-insensitively).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct EmailTaken(pub Problem);

/// Another product has this name (compared case-insensitively).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct NameTaken(pub Problem);

/// The answers handlers name themselves, for `components.responses`.
pub fn named() -> Vec<(&'static str, RefOr<Response>)> {
    vec![
        OwnerOnly::response(),
        PostNotFound::response(),
        EmailTaken::response(),
        NameTaken::response(),
        KeyInFlight::response(),
    ]
}

/// The answers shared by many operations, with their status, for `components.responses`.
pub fn all() -> Vec<(&'static str, (&'static str, RefOr<Response>))> {
    vec![
        ("400", BadRequest::response()),
        ("401", Unauthorized::response()),
        ("403", AdminOnly::response()),
        ("403", EmailNotVerified::response()),
        ("404", NotFound::response()),
        ("408", RequestTimeout::response()),
        ("409", Contended::response()),
        ("412", PreconditionFailed::response()),
        ("413", PayloadTooLarge::response()),
        ("415", UnsupportedMediaType::response()),
        ("422", UnprocessableEntity::response()),
        ("429", TooManyRequests::response()),
        ("503", ServiceUnavailable::response()),
    ]
}
