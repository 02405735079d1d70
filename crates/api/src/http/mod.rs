//! HTTP semantics done once for every route rather than in each handler (RFC 9110, 9111):
//! `HEAD` wherever `GET` is, `304` for a matching `If-None-Match`, a `Cache-Control` on every
//! answer, and compression negotiated with `Vary`. [`semantics`] is one middleware that
//! sits just inside the request-id layer; [`representation`] sits inside actix-web's
//! `Compress`, which [`semantics`] wraps, to see bodies before they are encoded. Paging links come from
//! [`crate::pagination`], trailing slashes and `Allow` from [`crate::routes::fallback`].

pub mod cache;
pub mod compression;
pub mod conditional;
pub mod validator;

use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::Method;
use actix_web::middleware::Next;

/// The outer half of the HTTP layer: answers `HEAD` as `GET`, turns a `200` whose `ETag`
/// matches `If-None-Match` into a `304`, then sets `Cache-Control` and `Vary`.
pub async fn semantics(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // A HEAD runs the GET route so every header (Content-Length, ETag, Content-Encoding)
    // is the GET's. The body stays in the response: the protocol layer knows the request
    // was a HEAD and sends none, while dropping it here would lose the Content-Length.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    compression::prefer_gzip(&mut req.head_mut().headers);
    let reading = req.method() == Method::GET;
    let policy = cache::Policy::for_request(&req);
    let if_none_match = reading
        .then(|| conditional::IfNoneMatch::from_headers(req.headers()))
        .flatten();
    let mut res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        // A middleware refused before a handler answered: its answer gets the same headers
        // as every other, and stays an error for the request-id layer to log.
        Err(e) => {
            let mut answer = e.error_response();
            policy.apply(answer.headers_mut());
            compression::finish(answer.status(), answer.headers_mut());
            return Err(InternalError::from_response(e.to_string(), answer).into());
        }
    };
    if let Some(condition) = &if_none_match {
        res = conditional::not_modified(res, condition);
    }
    let status = res.status();
    policy.apply(res.headers_mut());
    compression::finish(status, res.headers_mut());
    Ok(res)
}

/// The inner half, inside `Compress`: a weak `ETag` for public reads without one (see
/// [`validator`]), and small bodies marked to be sent unencoded.
pub async fn representation(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let public_read =
        req.method() == Method::GET && cache::Policy::for_request(&req) == cache::Policy::NoCache;
    let res = next.call(req).await?;
    let mut res = if public_read {
        validator::tag_if_missing(res)
    } else {
        res.map_into_boxed_body()
    };
    compression::mark_small(&mut res);
    Ok(res)
}
