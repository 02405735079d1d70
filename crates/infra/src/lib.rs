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
pub mod token;
pub mod trace_context;

pub use config::{Config, ConfigError};

/// Which dependency an adapter's error came from (`database`, `redis`, `smtp`, or
/// `other`), read off the error chain: outages are reported and counted by it.
pub fn dependency_of(error: &(dyn std::error::Error + 'static)) -> &'static str {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<sea_orm::DbErr>() || e.is::<sea_orm::sqlx::Error>() {
            return "database";
        }
        if e.is::<::redis::RedisError>() {
            return "redis";
        }
        if e.is::<lettre::transport::smtp::Error>() {
            return "smtp";
        }
        next = e.source();
    }
    "other"
}

#[cfg(test)]
mod tests {
    use super::dependency_of;
    use domain::RepoError;

    #[test]
    fn an_error_is_traced_to_its_dependency_through_its_chain() {
        let db = RepoError::Unavailable(Box::new(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout,
        )));
        assert_eq!(dependency_of(&db), "database");
        let redis = ::redis::RedisError::from(std::io::Error::other("refused"));
        assert_eq!(dependency_of(&redis), "redis");
        let nested = RepoError::Unavailable(Box::new(redis));
        assert_eq!(dependency_of(&nested), "redis");
        assert_eq!(dependency_of(&std::io::Error::other("x")), "other");
    }
}
