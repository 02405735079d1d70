//! HTTP handlers, one module per feature. Handlers extract, call one use case, map the result.

pub mod account;
pub mod auth;
pub mod blog;
pub mod employees;
pub mod fallback;
pub mod health;
pub mod notifications;
pub mod products;
pub mod users;
pub mod ws;

use actix_web::body::BoxBody;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Responder};
use domain::concurrency::{ETag, Versioned};
use uuid::Uuid;

/// Documented problem responses, referenced from the handlers' OpenAPI attributes.
pub const PROBLEM: &str = crate::error::PROBLEM_JSON;

/// A resource answered with its `ETag`: a `200`, or a `201` whose `Location` names it.
pub struct Tagged<R> {
    etag: ETag,
    body: R,
    location: Option<String>,
}

impl<R> Tagged<R> {
    pub fn new(etag: ETag, body: R) -> Self {
        Self {
            etag,
            body,
            location: None,
        }
    }

    /// `entity` as its response, with its own `ETag`.
    pub fn of<E: Versioned + Into<R>>(entity: E) -> Self {
        Self::new(entity.etag(), entity.into())
    }

    /// A new `entity`: its `Location` is `{collection}/{id}`.
    pub fn created<E: Versioned + Into<R>>(collection: &str, entity: E) -> Self {
        let id = entity.id();
        Self::of(entity).located(collection, id)
    }

    /// A `201` whose `Location` is `{collection}/{id}`.
    pub fn located(mut self, collection: &str, id: Uuid) -> Self {
        self.location = Some(format!("{collection}/{id}"));
        self
    }
}

impl<R: serde::Serialize> Responder for Tagged<R> {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let mut response = match self.location {
            Some(location) => {
                let mut created = HttpResponse::Created();
                created.insert_header((header::LOCATION, location));
                created
            }
            None => HttpResponse::Ok(),
        };
        response
            .insert_header((header::ETAG, self.etag.as_str()))
            .json(self.body)
    }
}

/// Registers the `/api/v1` routes.
pub fn configure_v1(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.configure(auth::configure)
        .configure(account::configure)
        .configure(users::configure)
        .configure(products::configure)
        .configure(employees::configure)
        .configure(blog::configure)
        .configure(notifications::configure);
}
