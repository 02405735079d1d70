//! Black-box tests of the HTTP API against a real server and a real database.

mod account;
mod answers;
mod auth;
mod blog;
mod cli;
mod conventions;
mod docs;
mod edges;
mod employees;
mod helpers;
mod http;
mod idempotency;
mod jobs;
mod jwt_attacks;
mod notifications;
mod operations;
mod pagination;
mod process;
mod products;
mod promises;
mod realtime;
mod resources;
mod security;
mod smtp;
mod users;
mod ws_client;
