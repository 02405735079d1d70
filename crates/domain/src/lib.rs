//! The domain: entities, value objects, domain errors and the ports the outer layers implement.
//!
//! Nothing here performs I/O or knows about HTTP, SQL or an async runtime; ports are
//! `async_trait` traits so adapters can be swapped and use cases tested against mocks.

pub mod account;
pub mod auth;
pub mod blog;
pub mod concurrency;
pub mod employee;
pub mod error;
pub mod event;
pub mod health;
pub mod idempotency;
pub mod job;
pub mod money;
pub mod notification;
pub mod pagination;
pub mod product;
pub mod rate_limit;
pub mod retention;
pub mod time;
pub mod user;
pub mod validation;

pub use error::{BoxError, RepoError};
pub use validation::{FieldError, ValidationError};
