//! SeaORM implementations of the repository ports.

mod account;
mod blog;
mod employee;
mod idempotency;
mod job;
mod keyset;
mod lease;
mod notification;
mod principal_cache;
mod product;
mod session;
mod user;

pub use account::SeaOrmAccountTokenRepository;
pub use blog::{SeaOrmCommentRepository, SeaOrmPostRepository, SeaOrmVoteRepository};
pub use employee::SeaOrmEmployeeRepository;
pub use idempotency::SeaOrmIdempotencyStore;
pub use job::SeaOrmJobQueue;
pub use lease::SeaOrmLeases;
pub use notification::SeaOrmNotificationRepository;
pub use principal_cache::PrincipalCache;
pub use product::SeaOrmProductRepository;
pub use session::SeaOrmSessionRepository;
pub use user::SeaOrmUserRepository;

pub(crate) use keyset::{Key, Keyset, Listing, list};

use crate::db::Db;
use domain::RepoError;
use domain::concurrency::ExpectedVersion;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic,
    QueryFilter, SqlErr, UpdateMany,
};
use uuid::Uuid;

/// A table whose rows have an `id` and change `updated_at` on every write, which is what
/// the optimistic-concurrency helpers below need.
pub(crate) trait Versioned: EntityTrait {
    const ID: Self::Column;
    const UPDATED_AT: Self::Column;
}

/// `impl Versioned` for entity modules whose columns are `Id` and `UpdatedAt`.
macro_rules! versioned_tables {
    ($($table:ident),+ $(,)?) => {$(
        impl Versioned for crate::entities::$table::Entity {
            const ID: Self::Column = crate::entities::$table::Column::Id;
            const UPDATED_AT: Self::Column = crate::entities::$table::Column::UpdatedAt;
        }
    )+};
}

versioned_tables!(comments, employees, posts, products, users);

/// `.db_err()`: a SeaORM failure as the ports report it.
pub(crate) trait DbResultExt<T> {
    fn db_err(self) -> Result<T, RepoError>;
}

impl<T> DbResultExt<T> for Result<T, DbErr> {
    fn db_err(self) -> Result<T, RepoError> {
        self.map_err(map_db_err)
    }
}

/// A stored value the domain refuses: the table holds what the service never writes.
pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> RepoError {
    RepoError::unexpected(format!("stored {what}: {e}"))
}

/// Runs `update` on row `id`, only while its version is still `expected` (when given).
pub(crate) async fn update_versioned<E: Versioned>(
    db: &Db,
    update: UpdateMany<E>,
    id: Uuid,
    expected: ExpectedVersion,
) -> Result<(), RepoError> {
    let mut update = update.filter(E::ID.eq(id));
    if let Some(expected) = expected {
        update = update.filter(E::UPDATED_AT.eq(expected));
    }
    let changed = db.write(&update).await.db_err()?;
    if changed == 0 {
        return Err(missing_or_stale::<E>(db.conn(), id).await);
    }
    Ok(())
}

/// Deletes row `id`, only while its version is still `expected` (when given).
pub(crate) async fn delete_versioned<E: Versioned>(
    db: &Db,
    id: Uuid,
    expected: ExpectedVersion,
) -> Result<(), RepoError> {
    let mut delete = E::delete_many().filter(E::ID.eq(id));
    if let Some(expected) = expected {
        delete = delete.filter(E::UPDATED_AT.eq(expected));
    }
    let changed = db.write(&delete).await.db_err()?;
    if changed == 0 {
        return Err(missing_or_stale::<E>(db.conn(), id).await);
    }
    Ok(())
}

/// After a conditional write touched nothing: was the row gone, or newer than expected?
pub(crate) async fn missing_or_stale<E: Versioned>(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> RepoError {
    match E::find().filter(E::ID.eq(id)).one(db).await {
        Ok(None) => RepoError::NotFound,
        Ok(Some(_)) => RepoError::Stale,
        Err(e) => map_db_err(e),
    }
}

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

/// Rows of `E` where any of `cols` contains `needle`, case-insensitively.
///
/// On SQLite a needle of 3 characters or more is looked up in the table's FTS5 trigram
/// index (migration 21: `{table}_fts` over the same columns) instead of scanning with
/// `LIKE`; a shorter one has no trigram to look up and scans. PostgreSQL's `pg_trgm`
/// indexes serve the `LIKE` itself.
pub(crate) fn any_contains<E: EntityTrait>(
    backend: DbBackend,
    cols: &[E::Column],
    needle: &str,
) -> Condition {
    if backend == DbBackend::Sqlite && needle.chars().count() >= 3 {
        let table = E::default().table_name().to_owned();
        let names: Vec<String> = cols.iter().map(|c| c.as_str().to_owned()).collect();
        // An FTS5 string is a phrase of its characters, `"` doubled: trigram tokenizes it
        // into consecutive trigrams, which is a substring match. `{a b}:` limits it to those
        // columns.
        let phrase = format!(
            "{{{}}} : \"{}\"",
            names.join(" "),
            needle.replace('"', "\"\"")
        );
        return Condition::all().add(Expr::cust_with_values(
            format!(
                "\"{table}\".rowid IN (SELECT rowid FROM \"{table}_fts\" WHERE \"{table}_fts\" MATCH ?)"
            ),
            [phrase],
        ));
    }
    let pattern = contains_pattern(needle);
    cols.iter().fold(Condition::any(), |any, col| {
        any.add(
            Expr::expr(Func::lower(Expr::col((E::default(), *col))))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    })
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
