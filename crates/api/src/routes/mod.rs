//! HTTP handlers, one module per feature. Handlers extract, call one use case, map the result.

pub mod auth;
pub mod blog;
pub mod employees;
pub mod fallback;
pub mod health;
pub mod products;
pub mod users;
pub mod ws;

use actix_web::HttpResponse;
use actix_web::http::header;
use domain::concurrency::ETag;
use uuid::Uuid;

/// Documented problem responses, referenced from the handlers' OpenAPI attributes.
pub const PROBLEM: &str = crate::error::PROBLEM_JSON;

/// A `200` with the resource and its `ETag`.
pub fn ok_with_etag<T: serde::Serialize>(body: &T, etag: &ETag) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag.as_str()))
        .json(body)
}

/// A `201` with the new resource, its `Location` (`{collection}/{id}`) and its `ETag`.
pub fn created_with_etag<T: serde::Serialize>(
    collection: &str,
    id: Uuid,
    etag: &ETag,
    body: &T,
) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{collection}/{id}")))
        .insert_header((header::ETAG, etag.as_str()))
        .json(body)
}

/// Registers the `/api/v1` routes.
pub fn configure_v1(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.configure(auth::configure)
        .configure(users::configure)
        .configure(products::configure)
        .configure(employees::configure)
        .configure(blog::configure);
}
