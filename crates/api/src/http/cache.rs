//! The cache policy, in one place (RFC 9111). A handler that sets its own `Cache-Control`
//! keeps it (token answers, the account pages and their assets); every other answer gets:
//!
//! - `no-store` when it is tied to a caller: the request carried `Authorization`, or it is
//!   `/api/v1/users/me` or the WebSocket; and for answers to writes, and the operational
//!   endpoints (`/health`, `/health/ready`, `/metrics`), whose answers are live readings;
//! - `no-cache` for every other read: public data that a cache may keep but must revalidate
//!   (cheaply, with `If-None-Match`, where the answer has an `ETag`), so a change is seen
//!   at once.

use actix_web::dev::ServiceRequest;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderValue};

/// Paths whose answers are about the caller, or are live readings, even without a token.
const NEVER_STORED: [&str; 5] = [
    "/health",
    "/health/ready",
    "/metrics",
    "/api/v1/users/me",
    "/ws/notify",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    NoStore,
    NoCache,
}

impl Policy {
    /// Decided from the request alone: whether the answer may be kept does not depend on
    /// what the handler found.
    pub fn for_request(req: &ServiceRequest) -> Self {
        let read = matches!(*req.method(), Method::GET | Method::HEAD);
        if !read
            || req.headers().contains_key(header::AUTHORIZATION)
            || NEVER_STORED.contains(&req.path())
        {
            Self::NoStore
        } else {
            Self::NoCache
        }
    }

    pub fn value(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::NoStore => "no-store",
            Self::NoCache => "no-cache",
        })
    }

    /// Sets `Cache-Control` unless the handler chose one.
    pub fn apply(self, headers: &mut HeaderMap) {
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, self.value());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn policy(req: TestRequest) -> Policy {
        Policy::for_request(&req.to_srv_request())
    }

    #[test]
    fn classes() {
        assert_eq!(
            policy(TestRequest::get().uri("/api/v1/products?limit=5")),
            Policy::NoCache
        );
        assert_eq!(
            policy(
                TestRequest::get()
                    .uri("/api/v1/products")
                    .insert_header((header::AUTHORIZATION, "Bearer x"))
            ),
            Policy::NoStore
        );
        assert_eq!(
            policy(TestRequest::post().uri("/api/v1/products")),
            Policy::NoStore
        );
        for path in NEVER_STORED {
            assert_eq!(policy(TestRequest::get().uri(path)), Policy::NoStore);
        }
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public"));
        Policy::NoStore.apply(&mut headers);
        assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "public");
    }
}
