//! The HTTP adapter: actix-web routes, extractors, problem details, OpenAPI, and the
//! composition root ([`startup`]) that the `api` binary and the end-to-end tests share.

pub mod dto;
pub mod error;
pub mod extract;
pub mod http;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod outage;
pub mod pages;
pub mod pagination;
pub mod problems;
pub mod request_context;
pub mod request_id;
pub mod routes;
pub mod schemas;
pub mod security;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod worker;
pub mod ws;
