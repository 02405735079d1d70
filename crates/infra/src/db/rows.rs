//! Rows read by position: each column taken in select order, its name checked.
//!
//! SeaORM's derived readers find every column of every row by name (a hash lookup) and ask
//! sqlx to check its type against the Rust type, which for a `String` builds and compares
//! six type descriptions. On a comments page that was a fifth of the service's
//! instructions (about 1,000 per text column, 800 per timestamp). Here a column is the
//! next one in the row, checked by a string comparison of its name, so a select that
//! changes its order is an error rather than a silent misread. On PostgreSQL the types
//! are checked on a statement's first row only: every row of a result shares its column
//! types. SQLite types each value on its own, so there every row is checked.

use sea_orm::sqlx::{self, Column as _, ColumnIndex, Decode, Postgres, Row, Sqlite, Type};
use sea_orm::{DbErr, QueryResult};

/// A row type read column by column, in the order its select lists them.
pub trait FromRow: Sized {
    fn from_row(row: &mut Columns<'_>) -> Result<Self, DbErr>;
}

/// `impl FromRow` for a struct whose fields are the select's columns, in order and by
/// name: `from_row!(products::Model { id, name, ... })`.
#[macro_export]
macro_rules! from_row {
    ($row:ty { $($field:ident),+ $(,)? }) => {
        impl $crate::db::FromRow for $row {
            fn from_row(
                row: &mut $crate::db::Columns<'_>,
            ) -> ::std::result::Result<Self, ::sea_orm::DbErr> {
                Ok(Self { $($field: row.next(stringify!($field))?),+ })
            }
        }
    };
}

/// The columns of one row, taken in order.
pub struct Columns<'a> {
    row: &'a QueryResult,
    next: usize,
    check_types: bool,
}

/// A value of a column on both backends.
pub trait Readable:
    for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>
{
}

impl<T> Readable for T where
    T: for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>
{
}

impl<'a> Columns<'a> {
    /// The columns of `row`, the `index`th of its result.
    pub(crate) fn new(row: &'a QueryResult, index: usize) -> Self {
        Self {
            row,
            next: 0,
            check_types: index == 0 || row.try_as_sqlite_row().is_some(),
        }
    }

    /// The next column's value; its name must be `name`.
    pub fn next<T: Readable>(&mut self, name: &str) -> Result<T, DbErr> {
        let at = self.next;
        self.next += 1;
        if let Some(row) = self.row.try_as_pg_row() {
            read(row, at, name, self.check_types)
        } else if let Some(row) = self.row.try_as_sqlite_row() {
            read(row, at, name, self.check_types)
        } else {
            Err(DbErr::Type(
                "a row from neither PostgreSQL nor SQLite".into(),
            ))
        }
    }
}

fn read<'r, R, T>(row: &'r R, at: usize, name: &str, check_type: bool) -> Result<T, DbErr>
where
    R: Row,
    usize: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    let found = row.columns().get(at).map(|column| column.name());
    if found != Some(name) {
        return Err(DbErr::Type(format!(
            "column {at} is {found:?}, where `{name}` was expected"
        )));
    }
    let value = if check_type {
        row.try_get(at)
    } else {
        row.try_get_unchecked(at)
    };
    value.map_err(|e: sqlx::Error| DbErr::Type(format!("column `{name}`: {e}")))
}

/// The first row of `query` run on `conn` (a pool or a transaction), read as `R`.
pub async fn one<R: FromRow>(
    conn: &impl sea_orm::ConnectionTrait,
    query: &impl sea_orm::QueryTrait,
) -> Result<Option<R>, DbErr> {
    read_one(
        conn.query_one_raw(query.build(conn.get_database_backend()))
            .await?,
    )
}

/// Every row of `query` run on `conn` (a pool or a transaction), read as `R`.
pub async fn all<R: FromRow>(
    conn: &impl sea_orm::ConnectionTrait,
    query: &impl sea_orm::QueryTrait,
) -> Result<Vec<R>, DbErr> {
    read_all(
        &conn
            .query_all_raw(query.build(conn.get_database_backend()))
            .await?,
    )
}

pub(crate) fn read_one<R: FromRow>(row: Option<QueryResult>) -> Result<Option<R>, DbErr> {
    row.as_ref()
        .map(|row| R::from_row(&mut Columns::new(row, 0)))
        .transpose()
}

/// Every row of a result, read as `R`.
pub(crate) fn read_all<R: FromRow>(rows: &[QueryResult]) -> Result<Vec<R>, DbErr> {
    rows.iter()
        .enumerate()
        .map(|(index, row)| R::from_row(&mut Columns::new(row, index)))
        .collect()
}
