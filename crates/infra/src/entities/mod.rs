//! SeaORM models of the tables the migrations create.

pub mod jobs;
pub mod refresh_tokens;
pub mod sessions;
pub mod users;
