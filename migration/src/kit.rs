//! What the table migrations share: SeaORM's column helpers (`uuid`, `text_null`,
//! `timestamp_with_time_zone`, ...: not null unless the name says `_null`) and the few
//! statements every table repeats, so a migration reads as its table's shape.

pub use sea_orm_migration::prelude::*;
pub use sea_orm_migration::schema::*;

/// `CREATE TABLE name` starting with its UUID primary key.
pub fn table<T: IntoIden + 'static>(name: T, id: impl IntoIden) -> TableCreateStatement {
    Table::create().table(name).col(pk_uuid(id)).take()
}

/// A named foreign key from `from.1` of `from.0` to `to.1` of `to.0`.
pub fn foreign_key<FT, FC, TT, TC>(
    name: &str,
    from: (FT, FC),
    to: (TT, TC),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement
where
    FT: IntoIden + 'static,
    FC: IntoIden + 'static,
    TT: IntoIden + 'static,
    TC: IntoIden + 'static,
{
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .take()
}

/// A plain index over `cols`, in order.
pub fn index<T, C>(name: &str, table: T, cols: impl IntoIterator<Item = C>) -> IndexCreateStatement
where
    T: IntoIden + 'static,
    C: IntoIden + 'static,
{
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    index
}

/// Creates each `(name, columns)` index on `table`.
pub async fn create_indexes<T, C, const N: usize>(
    manager: &SchemaManager<'_>,
    table: T,
    indexes: [(&str, Vec<C>); N],
) -> Result<(), DbErr>
where
    T: IntoIden + Copy + 'static,
    C: IntoIden + 'static,
{
    for (name, cols) in indexes {
        manager.create_index(index(name, table, cols)).await?;
    }
    Ok(())
}

/// The `down` of a table migration.
pub async fn drop_table<T: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    name: T,
) -> Result<(), DbErr> {
    manager.drop_table(Table::drop().table(name).take()).await
}
