//! SeaORM models of the tables the migrations create.

pub mod account_tokens;
pub mod comments;
pub mod employees;
pub mod idempotency_keys;
pub mod jobs;
pub mod leases;
pub mod notifications;
pub mod posts;
pub mod products;
pub mod refresh_tokens;
pub mod sessions;
pub mod stock_movements;
pub mod users;
pub mod votes;
