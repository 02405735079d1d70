//! SeaORM implementations of the repository ports.

mod blog;
mod employee;
mod job;
mod principal_cache;
mod product;
mod session;
mod user;

pub use blog::{SeaOrmCommentRepository, SeaOrmPostRepository, SeaOrmVoteRepository};
pub use employee::SeaOrmEmployeeRepository;
pub use job::SeaOrmJobQueue;
pub use principal_cache::PrincipalCache;
pub use product::SeaOrmProductRepository;
pub use session::SeaOrmSessionRepository;
pub use user::SeaOrmUserRepository;

use crate::db::{Db, FromRow};
use domain::RepoError;
use domain::pagination::{KeyValue, Page, PageRequest};
use domain::time::Timestamp;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select, SqlErr, UpdateMany,
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
    expected: Option<Timestamp>,
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
    expected: Option<Timestamp>,
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

/// One part of a list's order key.
pub(crate) enum Key {
    /// A column, compared as stored.
    Col(Expr),
    /// A text column compared case-insensitively: `lower()` applied by the database to both
    /// sides, so the cursor's value sorts exactly as the stored ones do.
    Lower(Expr),
}

impl Key {
    /// `table.column` of entity `E`, qualified so that joins leave it unambiguous.
    pub(crate) fn col<E: EntityTrait>(column: E::Column) -> Self {
        Self::Col(Expr::col((E::default(), column)))
    }
}

/// A list's order: key parts in one direction, the last one the id, so the order is total
/// and a page can continue after any item (keyset pagination).
pub(crate) struct Keyset {
    keys: Vec<Key>,
    order: Order,
}

impl Keyset {
    pub(crate) fn asc(keys: Vec<Key>) -> Self {
        Self {
            keys,
            order: Order::Asc,
        }
    }

    pub(crate) fn desc(keys: Vec<Key>) -> Self {
        Self {
            keys,
            order: Order::Desc,
        }
    }

    /// Newest first by creation time, ties by id: the order of most lists.
    pub(crate) fn newest_first<E: EntityTrait>(created_at: E::Column, id: E::Column) -> Self {
        Self::desc(vec![Key::col::<E>(created_at), Key::col::<E>(id)])
    }

    /// Orders `query` by the key.
    pub(crate) fn order<E: EntityTrait>(&self, mut query: Select<E>) -> Select<E> {
        for key in &self.keys {
            let expr = match key {
                Key::Col(col) => col.clone(),
                Key::Lower(col) => Func::lower(col.clone()).into(),
            };
            query = query.order_by(expr, self.order.clone());
        }
        query
    }

    /// Whether `page` starts at the top of the order or at a cursor: its rows are then the
    /// first the order's index yields, so a list reads them whole in one statement. Past
    /// an offset that statement would build every skipped row (joins included), so deeper
    /// pages pick their ids first.
    pub(crate) fn skips_nothing(page: &PageRequest) -> bool {
        page.after().is_some() || page.offset() == 0
    }

    /// Orders `query` and restricts it to `page`: the rows after the cursor's key (one
    /// row-value comparison, which an index on the key answers by seeking), or at the
    /// offset; one row more than the page holds, so [`PageRequest::split`] can tell whether
    /// another page follows. The caller checked the cursor against the key's shape.
    pub(crate) fn window<E: EntityTrait>(&self, query: Select<E>, page: &PageRequest) -> Select<E> {
        let query = self.order(query).limit(page.fetch());
        let Some(cursor) = page.after() else {
            return query.offset(page.offset());
        };
        let (mut columns, mut values) = (Vec::new(), Vec::new());
        for (key, value) in self.keys.iter().zip(&cursor.key) {
            let value = match value {
                KeyValue::Int(v) => Expr::val(*v),
                KeyValue::Text(v) => Expr::val(v.clone()),
                KeyValue::Time(v) => Expr::val(*v),
                KeyValue::Id(v) => Expr::val(*v),
            };
            match key {
                Key::Col(col) => {
                    columns.push(col.clone());
                    values.push(value);
                }
                Key::Lower(col) => {
                    columns.push(Func::lower(col.clone()).into());
                    values.push(Func::lower(value).into());
                }
            }
        }
        let (columns, values) = (Expr::tuple(columns), Expr::tuple(values));
        query.filter(match self.order {
            Order::Desc => columns.lt(values),
            _ => columns.gt(values),
        })
    }
}

/// The page of `rows` (fetched through [`Keyset::window`]): cut to the page, each row
/// converted, and the cursor of the page after it made from the last row's `key`.
pub(crate) fn into_page<R, T>(
    rows: Vec<R>,
    total: u64,
    page: PageRequest,
    key: impl Fn(&R) -> Vec<KeyValue>,
    convert: impl FnMut(R) -> Result<T, RepoError>,
) -> Result<Page<T>, RepoError> {
    let (rows, next) = page.split(rows, key);
    Ok(Page {
        items: rows.into_iter().map(convert).collect::<Result<_, _>>()?,
        total,
        request: page,
        next,
    })
}

/// A page of `query` in `keyset` order: its total (counted as [`Db::count`] decides), the
/// rows of the window, each converted.
pub(crate) async fn paginate<E, T>(
    db: &Db,
    query: Select<E>,
    keyset: Keyset,
    page: PageRequest,
    key: impl Fn(&E::Model) -> Vec<KeyValue>,
    convert: impl FnMut(E::Model) -> Result<T, RepoError>,
) -> Result<Page<T>, RepoError>
where
    E: EntityTrait,
    E::Model: FromRow + Send + Sync,
{
    let total = db.count(query.clone()).await.db_err()?;
    let rows = db.page_rows(&keyset.window(query, &page)).await.db_err()?;
    into_page(rows, total, page, key, convert)
}

/// Rows of `E` where any of `cols` contains `needle`, case-insensitively.
pub(crate) fn any_contains<E: EntityTrait>(cols: &[E::Column], needle: &str) -> Condition {
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
