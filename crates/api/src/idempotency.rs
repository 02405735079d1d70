//! `Idempotency-Key` on every `POST` by a signed-in user (SPEC section 1, "retries"), in
//! one middleware so no handler knows of it. It runs after the caller is resolved: the
//! first request with a key runs and its answer is kept (`app::idempotency` decides which
//! are); a repeat with the same method, path and body gets that answer byte for byte with
//! `Idempotent-Replayed: true`; the same key with another request is `422`; a repeat while
//! the first still runs is `409`. Routes that need no sign-in ignore the header.

use crate::error::ApiError;
use crate::extract::Caller;
use crate::extract::read_body;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use domain::idempotency::{Claim, IdempotencyKey, KeptAnswer};
use sha2::{Digest, Sha256};
use utoipa::openapi::OpenApi;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// The `POST` routes that need a signed-in caller (path templates), read off the OpenAPI
/// document, so a new route is covered without a word.
#[derive(Debug, Clone, Default)]
pub struct SignedInPosts(Vec<Vec<String>>);

impl SignedInPosts {
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .filter(|(_, item)| item.post.as_ref().is_some_and(needs_sign_in))
            .map(|(path, _)| segments(path))
            .collect();
        Self(routes)
    }

    fn covers(&self, path: &str) -> bool {
        let wanted = segments(path);
        self.0.iter().any(|template| {
            template.len() == wanted.len()
                && template.iter().zip(&wanted).all(|(t, w)| {
                    (t.starts_with('{') && t.ends_with('}') && !w.is_empty()) || t == w
                })
        })
    }
}

/// Documented with a security requirement, none of whose alternatives is "no credentials".
pub fn needs_sign_in(op: &utoipa::openapi::path::Operation) -> bool {
    op.security.as_ref().is_some_and(|alternatives| {
        !alternatives.is_empty()
            && alternatives.iter().all(|requirement| {
                serde_json::to_value(requirement).is_ok_and(|v| v != serde_json::json!({}))
            })
    })
}

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// The method, path with query, and body: what a repeat must match byte for byte.
fn fingerprint(method: &Method, path_and_query: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update(b" ");
    hash.update(path_and_query.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(raw) = req.headers().get(HEADER).cloned() else {
        return pass(req, next).await;
    };
    let caller = req.extensions().get::<Caller>().copied();
    let covered = req
        .app_data::<web::Data<SignedInPosts>>()
        .is_some_and(|routes| routes.covers(req.path()));
    let (Method::POST, Some(Caller::Authenticated(principal)), true) =
        (req.method().clone(), caller, covered)
    else {
        return pass(req, next).await;
    };
    let key = raw
        .to_str()
        .ok()
        .and_then(|text| IdempotencyKey::parse(text).ok())
        .ok_or_else(|| {
            ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters")
        })?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state is not registered"))?;

    // The body is read here (within the same limit and time as anywhere) to fingerprint
    // it, then handed on to the handler unchanged.
    let body = {
        // The clone must be gone before the request is routed (actix needs it unshared).
        let http = req.request().clone();
        read_body(&http, req.take_payload()).await?
    };
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |pq| pq.as_str().to_owned());
    let print = fingerprint(req.method(), &path, &body);
    req.set_payload(Payload::from(body));

    let user = principal.user_id;
    let claim = state.idempotency.claim(user, &key, &print).await;
    match claim.map_err(ApiError::from)? {
        Claim::Claimed => {}
        Claim::Replay(answer) => return Ok(req.into_response(replay(&answer))),
        Claim::Mismatch => {
            return Err(ApiError::field(
                "Idempotency-Key",
                "was used with another method, path or body",
            )
            .into());
        }
        Claim::InFlight => {
            return Err(ApiError::conflict(
                "a request with this Idempotency-Key is still running; retry later",
            )
            .into());
        }
    }
    let res = match next.call(req).await {
        Ok(res) => res,
        Err(e) => {
            let _ = state.idempotency.abandon(user, &key).await;
            return Err(e);
        }
    };
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let body = match to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let _ = state.idempotency.abandon(user, &key).await;
            return Err(ApiError::internal("the answer's body could not be read").into());
        }
    };
    let text = |name| {
        head.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let answer = KeptAnswer {
        status: head.status().as_u16(),
        body: body.to_vec(),
        content_type: text(header::CONTENT_TYPE),
        location: text(header::LOCATION),
        etag: text(header::ETAG),
    };
    if let Err(e) = state.idempotency.finish(user, &key, &answer).await {
        // The work is done and its answer goes out; a retry within the lease gets 409,
        // after it the request runs again.
        tracing::error!(
            "idempotency key not settled: {}",
            domain::error::error_chain(&e, ": ")
        );
    }
    let res = head.set_body(body).map_into_boxed_body();
    Ok(ServiceResponse::new(req, res))
}

async fn pass(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// A kept answer, as it was, marked as a replay.
fn replay(answer: &KeptAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    res.insert_header((REPLAYED, "true"));
    for (name, value) in [
        (header::CONTENT_TYPE, &answer.content_type),
        (header::LOCATION, &answer.location),
        (header::ETAG, &answer.etag),
    ] {
        if let Some(value) = value {
            res.insert_header((name, value.as_str()));
        }
    }
    res.body(answer.body.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_covers_method_path_query_and_body() {
        let base = fingerprint(&Method::POST, "/api/v1/posts", b"{}");
        assert_eq!(base, fingerprint(&Method::POST, "/api/v1/posts", b"{}"));
        assert_ne!(base, fingerprint(&Method::PUT, "/api/v1/posts", b"{}"));
        assert_ne!(base, fingerprint(&Method::POST, "/api/v1/posts?x=1", b"{}"));
        assert_ne!(base, fingerprint(&Method::POST, "/api/v1/posts", b"{ }"));
        assert_eq!(base.len(), 64);
    }

    #[test]
    fn templates_match_paths_segment_by_segment() {
        let routes = SignedInPosts(vec![
            segments("/api/v1/products/{id}/stock"),
            segments("/api/v1/posts"),
        ]);
        assert!(routes.covers("/api/v1/products/0193/stock"));
        assert!(routes.covers("/api/v1/posts"));
        assert!(!routes.covers("/api/v1/products//stock"));
        assert!(!routes.covers("/api/v1/auth/login"));
    }
}
