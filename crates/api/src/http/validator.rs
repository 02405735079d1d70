//! A validator for public reads that have none of their own (pages, the OpenAPI document):
//! a weak `ETag` from a hash of the body, so a `no-cache` answer can be revalidated with
//! `If-None-Match` instead of sent again. Weak, because it names the content, and the
//! compressed forms share it; `If-Match` (strong comparison) never accepts it.

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use std::hash::{DefaultHasher, Hasher};

/// Adds a weak `ETag` to a `200` without one whose body is whole in memory.
pub fn tag_if_missing<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> ServiceResponse<BoxBody> {
    if res.status() != StatusCode::OK || res.headers().contains_key(header::ETAG) {
        return res.map_into_boxed_body();
    }
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let answer: HttpResponse<BoxBody> = match body.try_into_bytes() {
        Ok(bytes) => {
            let mut hasher = DefaultHasher::new();
            hasher.write(&bytes);
            let mut answer = head.set_body(BoxBody::new(bytes));
            if let Ok(tag) = HeaderValue::from_str(&format!("W/\"{:016x}\"", hasher.finish())) {
                answer.headers_mut().insert(header::ETAG, tag);
            }
            answer
        }
        // A streamed body is not read twice.
        Err(body) => head.set_body(BoxBody::new(body)),
    };
    ServiceResponse::new(req, answer)
}
