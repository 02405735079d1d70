//! SeaORM implementations of the repository ports.

mod blog;
mod employee;
mod product;
mod session;
mod user;

pub use blog::{SeaOrmCommentRepository, SeaOrmPostRepository, SeaOrmVoteRepository};
pub use employee::SeaOrmEmployeeRepository;
pub use product::SeaOrmProductRepository;
pub use session::SeaOrmSessionRepository;
pub use user::SeaOrmUserRepository;

use domain::RepoError;
use sea_orm::{DbErr, SqlErr};

/// Translates a database error: a unique violation is a domain conflict, the rest unexpected.
pub(crate) fn map_db_err(e: DbErr) -> RepoError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(constraint)) => {
            return RepoError::Conflict(constraint);
        }
        // The row it points to went away meanwhile (e.g. a comment racing its post's deletion).
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => return RepoError::NotFound,
        _ => {}
    }
    match e {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => RepoError::Unavailable(e.into()),
        _ => RepoError::unexpected(e),
    }
}

/// A `LIKE` pattern matching `needle` anywhere, lower-cased, with wildcards escaped.
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("Ab"), "%ab%");
        assert_eq!(contains_pattern("50%_x\\"), "%50\\%\\_x\\\\%");
    }
}
