//! Database failures as the ports report them.

use domain::RepoError;
use sea_orm::{DbErr, SqlErr};

/// `.db_err()`: a SeaORM failure as the ports report it.
pub trait DbResultExt<T> {
    fn db_err(self) -> Result<T, RepoError>;
}

impl<T> DbResultExt<T> for Result<T, DbErr> {
    fn db_err(self) -> Result<T, RepoError> {
        self.map_err(map_db_err)
    }
}

/// A stored value the domain refuses: the table holds what the service never writes.
pub fn corrupt(what: &str, e: impl std::fmt::Display) -> RepoError {
    RepoError::unexpected(format!("stored {what}: {e}"))
}

/// Translates a database error: a unique violation is a domain conflict, the rest unexpected.
pub fn map_db_err(e: DbErr) -> RepoError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(constraint)) => {
            return RepoError::Conflict(constraint);
        }
        // The row it points to went away meanwhile (e.g. a comment racing its post's deletion).
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => return RepoError::NotFound,
        _ => {}
    }
    if is_unavailable(&e) {
        RepoError::Unavailable(e.into())
    } else {
        RepoError::unexpected(e)
    }
}

/// Whether the database, not the statement, is the problem: no connection could be had,
/// or the one in use broke (the server went away or was shut down mid-query).
fn is_unavailable(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    let runtime = match e {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => return true,
        DbErr::Exec(r) | DbErr::Query(r) => r,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return false;
    };
    match sqlx.as_ref() {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::Protocol(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => true,
        // SQLSTATE classes 08 (connection exception) and 57 (operator intervention: the
        // server is shutting down or terminated the session).
        Sqlx::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57")),
        _ => false,
    }
}
