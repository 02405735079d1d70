//! Adapters: implementations of the domain's ports, plus configuration and database set-up.

pub mod config;
pub mod db;
pub mod entities;
pub mod events;
pub mod mail;
pub mod password;
pub mod rate_limit;
pub mod redis;
pub mod repositories;
pub mod secret;
pub mod statement_pool;
pub mod token;

pub use config::{Config, ConfigError};
